#include "latebind/ingest/auth.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "latebind/common/status.h"
#include "latebind/ingest/lander.h"

namespace latebind::ingest {
namespace {

namespace fs = std::filesystem;

std::string WriteTokens(const std::string& text) {
  const auto path = fs::temp_directory_path() / "latebind_tokens_test.json";
  std::ofstream(path) << text;
  return path.string();
}

TEST(TokenAuthenticatorTest, AllowsForbidsAndRejects) {
  const std::string file =
      WriteTokens("{\"tokens\": [{\"name\": \"bank\", \"sha256\": \"" + Sha256Hex("s3cret") +
                  "\", \"sources\": [\"bank\"]}, {\"name\": \"ops\", \"sha256\": \"" +
                  Sha256Hex("root-token") + "\", \"sources\": [\"*\"]}]}");
  auto auth = TokenAuthenticator::Load(file);
  ASSERT_TRUE(auth.ok()) << auth.status().ToString();
  using D = TokenAuthenticator::Decision;
  EXPECT_EQ((*auth)->Check("Bearer s3cret", "bank"), D::kAllowed);
  EXPECT_EQ((*auth)->Check("Bearer s3cret", "cards"), D::kForbidden);
  EXPECT_EQ((*auth)->Check("Bearer root-token", "cards"), D::kAllowed);
  EXPECT_EQ((*auth)->Check("Bearer s3cret", ""), D::kAllowed);
  EXPECT_EQ((*auth)->Check("Bearer wrong", "bank"), D::kUnauthenticated);
  EXPECT_EQ((*auth)->Check("", "bank"), D::kUnauthenticated);
  EXPECT_EQ((*auth)->Check("Basic czNjcmV0", "bank"), D::kUnauthenticated);
  EXPECT_EQ((*auth)->Check("Bearer ", "bank"), D::kUnauthenticated);
}

TEST(TokenAuthenticatorTest, BadFilesAreClearErrors) {
  EXPECT_EQ(KindOf(TokenAuthenticator::Load("/nonexistent/tokens.json").status()),
            ErrorKind::kNotFound);
  for (const char* text :
       {"not json", "{}", "{\"tokens\": []}",
        "{\"tokens\": [{\"sha256\": \"abc\", \"sources\": [\"a\"]}]}",
        "{\"tokens\": [{\"sha256\": \"" /* 64 hex */
        "0000000000000000000000000000000000000000000000000000000000000000\"}]}"}) {
    auto r = TokenAuthenticator::Load(WriteTokens(text));
    EXPECT_EQ(KindOf(r.status()), ErrorKind::kBadInput) << text;
  }
}

// Audit 2026-11-24: errors said "token 0" (an index from 0 nobody counts by); they name the
// token by its "name", else by its place counted from 1.
TEST(TokenAuthenticatorTest, ErrorsNameTheToken) {
  const std::string good = "{\"name\": \"ok\", \"sha256\": \"" + Sha256Hex("a") +
                           "\", \"sources\": [\"*\"], \"operator\": true}";
  auto named = TokenAuthenticator::Load(
      WriteTokens("{\"tokens\": [" + good +
                  ", {\"name\": \"billing\", \"sha256\": \"abc\", \"sources\": [\"a\"]}]}"));
  EXPECT_NE(named.status().message().find("token 'billing': \"sha256\""), std::string::npos)
      << named.status().message();
  auto unnamed = TokenAuthenticator::Load(WriteTokens(
      "{\"tokens\": [" + good + ", {\"sha256\": \"" + Sha256Hex("b") + "\", \"sources\": []}]}"));
  EXPECT_NE(unnamed.status().message().find("token #2: \"sources\""), std::string::npos)
      << unnamed.status().message();
  auto bad_name = TokenAuthenticator::Load(WriteTokens("{\"tokens\": [{\"name\": 5}]}"));
  EXPECT_EQ(KindOf(bad_name.status()), ErrorKind::kBadInput);
  EXPECT_NE(bad_name.status().message().find("token #1: \"name\" must be a string"),
            std::string::npos)
      << bad_name.status().message();
}

}  // namespace
}  // namespace latebind::ingest
