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

}  // namespace
}  // namespace latebind::ingest
