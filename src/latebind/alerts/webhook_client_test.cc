#include "latebind/alerts/webhook_client.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "latebind/alerts/test_sink_for_tests.h"
#include "latebind/common/status.h"

namespace latebind::alerts {
namespace {

using std::chrono::milliseconds;
using test_support::Behavior;
using test_support::TestSink;

PostOptions Options(milliseconds timeout, std::string ca_file = "") {
  PostOptions o;
  o.timeout = timeout;
  o.ca_file = std::move(ca_file);
  return o;
}

WebhookUrl Parse(const std::string& url) {
  auto parsed = ParseWebhookUrl(url);
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  return parsed.ok() ? *parsed : WebhookUrl{};
}

TEST(ParseWebhookUrl, AcceptsHttpAndHttps) {
  WebhookUrl u = Parse("http://127.0.0.1:8080/hook");
  EXPECT_FALSE(u.tls);
  EXPECT_EQ(u.host, "127.0.0.1");
  EXPECT_EQ(u.port, 8080);
  EXPECT_EQ(u.target, "/hook");

  u = Parse("https://hooks.slack.com/services/T000/B000/XXXX");
  EXPECT_TRUE(u.tls);
  EXPECT_EQ(u.host, "hooks.slack.com");
  EXPECT_EQ(u.port, 443);
  EXPECT_EQ(u.target, "/services/T000/B000/XXXX");
  EXPECT_EQ(u.HostHeader(), "hooks.slack.com");

  u = Parse("HTTP://Example.com");
  EXPECT_EQ(u.port, 80);
  EXPECT_EQ(u.target, "/");

  u = Parse("http://[::1]:9000/a/b?c=d&e=%20");
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, 9000);
  EXPECT_EQ(u.target, "/a/b?c=d&e=%20");
  EXPECT_EQ(u.HostHeader(), "[::1]:9000");

  EXPECT_EQ(Parse("http://sink.internal?token=1").target, "/?token=1");
  EXPECT_EQ(Parse("http://sink.internal/p#fragment").target, "/p");
  EXPECT_EQ(Parse("http://sink.internal:80/").HostHeader(), "sink.internal");
}

TEST(ParseWebhookUrl, RefusesBadUrlsSayingWhy) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "must start with http:// or https://"},
      {"hooks.slack.com/services/x", "must start with http:// or https://"},
      {"ftp://sink/x", "scheme 'ftp' is not supported"},
      {"http://", "the host is missing"},
      {"http:///path", "the host is missing"},
      {"http://user:secret@sink/x", "credentials in the URL"},
      {"http://sink:0/x", "port '0'"},
      {"http://sink:65536/x", "port '65536'"},
      {"http://sink:http/x", "port 'http'"},
      {"http://sink:/x", "port ''"},
      {"http://si nk/x", "invalid character at position 2"},
      {"http://sink/a b", "must be percent-encoded"},
      {"http://sink/caf\xc3\xa9", "must be percent-encoded"},
      {"http://[::1/x", "no ']'"},
      {"http://[zz]/x", "is not an IPv6 address"},
      {"http://[::1]x/", "unexpected characters after the IPv6 address"},
  };
  for (const auto& [url, why] : cases) {
    auto parsed = ParseWebhookUrl(url);
    ASSERT_FALSE(parsed.ok()) << url;
    EXPECT_EQ(KindOf(parsed.status()), ErrorKind::kBadInput) << url;
    EXPECT_NE(parsed.status().message().find("bad webhook URL"), std::string::npos) << url;
    EXPECT_NE(parsed.status().message().find(why), std::string::npos)
        << url << ": " << parsed.status().message();
  }
}

TEST(WebhookUrl, RedactedHidesTheSecretPath) {
  EXPECT_EQ(Parse("https://hooks.slack.com/services/T000/B000/XXXX").Redacted(),
            "https://hooks.slack.com/services/…");
  EXPECT_EQ(Parse("http://127.0.0.1:8080/secret-token").Redacted(), "http://127.0.0.1:8080/…");
  EXPECT_EQ(Parse("http://127.0.0.1:8080/?token=x").Redacted(), "http://127.0.0.1:8080/…");
  EXPECT_EQ(Parse("http://127.0.0.1:8080/").Redacted(), "http://127.0.0.1:8080/");
}

TEST(PostJson, SendsTheBodyAndHeaders) {
  TestSink sink;
  const std::string body = R"({"text":"hello"})";
  auto r = PostJson(Parse(sink.url("/services/x")), body, "alert-7-a");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(r->ok());
  EXPECT_EQ(r->body, "ok");
  const auto got = sink.requests();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].method, "POST");
  EXPECT_EQ(got[0].target, "/services/x");
  EXPECT_EQ(got[0].body, body);
  EXPECT_EQ(got[0].headers.at("Content-Type"), "application/json");
  EXPECT_EQ(got[0].headers.at("User-Agent"), "latebind");
  EXPECT_EQ(got[0].headers.at("Idempotency-Key"), "alert-7-a");
  EXPECT_EQ(got[0].headers.at("Host"), "127.0.0.1:" + std::to_string(sink.port()));
}

TEST(PostJson, ANon2xxIsAResponseNotAnError) {
  TestSink sink;
  sink.Script({Behavior::Status(500, "boom"), Behavior::Status(429, "slow down", "7")});
  auto r = PostJson(Parse(sink.url()), "{}", "k");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 500);
  EXPECT_FALSE(r->ok());
  EXPECT_EQ(r->body, "boom");
  EXPECT_FALSE(r->retry_after);
  r = PostJson(Parse(sink.url()), "{}", "k");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 429);
  EXPECT_EQ(r->retry_after, std::chrono::seconds(7));
}

TEST(PostJson, AHugeResponseBodyIsCutNotFatal) {
  TestSink sink;
  sink.Script({Behavior::Status(201, std::string(kMaxResponseBodyBytes * 4, 'x'))});
  auto r = PostJson(Parse(sink.url()), "{}", "k");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 201);
  EXPECT_LE(r->body.size(), kMaxResponseBodyBytes);
}

TEST(PostJson, ASinkThatNeverAnswersTimesOutWithinTheBound) {
  TestSink sink;
  sink.Script({}, Behavior::Hang());
  const auto start = std::chrono::steady_clock::now();
  auto r = PostJson(Parse(sink.url()), "{}", "k", Options(milliseconds(300)));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(KindOf(r.status()), ErrorKind::kUnavailable);
  EXPECT_NE(r.status().message().find("timed out after 300 ms while waiting for the response"),
            std::string::npos)
      << r.status().message();
  EXPECT_GE(elapsed, milliseconds(290));
  EXPECT_LT(elapsed, milliseconds(1500));
  EXPECT_EQ(sink.requests().size(), 1u);
}

TEST(PostJson, ConnectionRefusedIsUnavailable) {
  uint16_t port = 0;
  {
    // A port that was free a moment ago and has no listener now.
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    port = a.local_endpoint().port();
  }
  const auto start = std::chrono::steady_clock::now();
  auto r = PostJson(Parse("http://127.0.0.1:" + std::to_string(port) + "/hook"), "{}", "k",
                    Options(milliseconds(3000)));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(KindOf(r.status()), ErrorKind::kUnavailable);
  EXPECT_NE(r.status().message().find("while connecting"), std::string::npos)
      << r.status().message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(1000));
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cert_ = test_support::MakeSelfSignedCertificate();
    ca_file_ = std::filesystem::temp_directory_path() /
               ("latebind-alerts-ca-" + std::to_string(::getpid()) + ".pem");
    std::ofstream(ca_file_) << cert_.cert_pem;
  }
  void TearDown() override { std::filesystem::remove(ca_file_); }

  test_support::TestCertificate cert_;
  std::filesystem::path ca_file_;
};

TEST_F(TlsTest, PostsOverHttpsToATrustedSink) {
  TestSink sink(cert_);
  auto r = PostJson(Parse(sink.url()), R"({"a":1})", "k",
                    Options(milliseconds(3000), ca_file_.string()));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  ASSERT_EQ(sink.requests().size(), 1u);
  EXPECT_EQ(sink.requests()[0].body, R"({"a":1})");
}

TEST_F(TlsTest, RefusesACertificateTheSystemDoesNotTrust) {
  TestSink sink(cert_);
  auto r = PostJson(Parse(sink.url()), "{}", "k", Options(milliseconds(3000)));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(KindOf(r.status()), ErrorKind::kUnavailable);
  EXPECT_NE(r.status().message().find("in the TLS handshake"), std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("certificate verify failed"), std::string::npos)
      << r.status().message();
  EXPECT_TRUE(sink.requests().empty());  // nothing was sent to a sink not verified
}

TEST_F(TlsTest, RefusesACertificateForAnotherHost) {
  TestSink sink(cert_);
  // Trusted, but issued for 127.0.0.1, not for "localhost".
  auto r = PostJson(Parse("https://localhost:" + std::to_string(sink.port()) + "/hook"), "{}", "k",
                    Options(milliseconds(3000), ca_file_.string()));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("certificate verify failed"), std::string::npos)
      << r.status().message();
  EXPECT_TRUE(sink.requests().empty());
}

TEST_F(TlsTest, AnUnreadableCaFileIsBadInput) {
  auto r = PostJson(Parse("https://127.0.0.1:1/hook"), "{}", "k",
                    Options(milliseconds(3000), "/nonexistent/ca.pem"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(KindOf(r.status()), ErrorKind::kBadInput);
  EXPECT_NE(r.status().message().find("/nonexistent/ca.pem"), std::string::npos);
}

}  // namespace
}  // namespace latebind::alerts
