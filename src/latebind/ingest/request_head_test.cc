#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <utility>

#include "latebind/common/status.h"
#include "latebind/ingest/request_head_internal.h"

namespace latebind::ingest::internal {
namespace {

namespace http = boost::beast::http;

// A request head as the parser leaves it: `fields` in order, repeats kept.
http::request_header<> Head(
    unsigned version, std::string target,
    std::initializer_list<std::pair<http::field, std::string>> fields = {}) {
  http::request_header<> head;
  head.method(http::verb::post);
  head.version(version);
  head.target(target);
  for (const auto& [name, value] : fields) head.insert(name, value);
  return head;
}

void ExpectBadInput(const arrow::Result<std::string>& r, const std::string& says) {
  ASSERT_FALSE(r.ok()) << *r;
  EXPECT_EQ(KindOf(r.status()), ErrorKind::kBadInput);
  EXPECT_NE(r.status().message().find(says), std::string::npos) << r.status().message();
}

// Defect 2026-11-24: an HTTP/1.1 request without Host was served (RFC 9112 §3.2: 400).
TEST(RequestHeadTest, AnHttp11RequestNeedsExactlyOneHost) {
  ExpectBadInput(CheckRequestHead(Head(11, "/healthz")), "needs a Host header field");
  ExpectBadInput(
      CheckRequestHead(Head(11, "/healthz", {{http::field::host, "a"}, {http::field::host, "b"}})),
      "2 Host header fields");
  EXPECT_EQ(*CheckRequestHead(Head(11, "/healthz", {{http::field::host, "127.0.0.1:8080"}})),
            "/healthz");
}

TEST(RequestHeadTest, AnHttp10RequestMayLeaveHostOutButNotRepeatIt) {
  EXPECT_EQ(*CheckRequestHead(Head(10, "/healthz")), "/healthz");
  EXPECT_EQ(*CheckRequestHead(Head(10, "/healthz", {{http::field::host, "x"}})), "/healthz");
  ExpectBadInput(
      CheckRequestHead(Head(10, "/healthz", {{http::field::host, "x"}, {http::field::host, "x"}})),
      "2 Host header fields");
}

TEST(RequestHeadTest, AHostValueIsHostAndPort) {
  for (const char* ok : {"", "x", "my_host.example", "127.0.0.1:8080", "[::1]:80", "h:"}) {
    EXPECT_TRUE(CheckRequestHead(Head(11, "/", {{http::field::host, ok}})).ok()) << ok;
  }
  for (const char* bad : {"a b", "user@h", "h:port", "h/x", "h?x"}) {
    ExpectBadInput(CheckRequestHead(Head(11, "/", {{http::field::host, bad}})),
                   "invalid Host header field");
  }
}

// Defect 2026-11-24: a chunked HTTP/1.0 request was read as chunked (RFC 9112 §6.1: faulty).
TEST(RequestHeadTest, TransferEncodingInHttp10IsFaultyFraming) {
  for (const char* coding : {"chunked", "gzip, chunked", "identity"}) {
    ExpectBadInput(CheckRequestHead(Head(10, "/v1/sources/a/payloads",
                                         {{http::field::transfer_encoding, coding}})),
                   "Transfer-Encoding in an HTTP/1.0 request");
  }
  ExpectBadInput(CheckRequestHead(Head(10, "/v1/sources/a/payloads",
                                       {{http::field::content_length, "5"},
                                        {http::field::transfer_encoding, "chunked"}})),
                 "RFC 9112 §6.1");
  EXPECT_TRUE(CheckRequestHead(
                  Head(11, "/v1/sources/a/payloads",
                       {{http::field::host, "x"}, {http::field::transfer_encoding, "chunked"}}))
                  .ok());
}

// Defect 2026-11-24: an absolute-form target got 404 (RFC 9112 §3.2.2: MUST be accepted).
TEST(RequestHeadTest, AnAbsoluteFormTargetRoutesByItsPathAndQuery) {
  const auto origin = [](const char* target) {
    return CheckRequestHead(Head(11, target, {{http::field::host, "h"}}));
  };
  EXPECT_EQ(*origin("http://127.0.0.1:8080/v1/sources/x/payloads"), "/v1/sources/x/payloads");
  EXPECT_EQ(*origin("https://h/v1/sources/x/payloads?a=1&b=%2F"),
            "/v1/sources/x/payloads?a=1&b=%2F");
  EXPECT_EQ(*origin("HTTP://H/healthz"), "/healthz");  // the scheme is case-insensitive
  EXPECT_EQ(*origin("http://h"), "/");
  EXPECT_EQ(*origin("http://h?q"), "/?q");
  // Not decoded: the source id stays as sent, and is refused as it stands.
  EXPECT_EQ(*origin("http://h/v1/sources/%2e%2e/payloads"), "/v1/sources/%2e%2e/payloads");
  // Origin-form and "*" pass as they are.
  EXPECT_EQ(*origin("/v1/sources/x/payloads?y"), "/v1/sources/x/payloads?y");
  EXPECT_EQ(*origin("*"), "*");
}

TEST(RequestHeadTest, AnAbsoluteFormTargetIsAnHttpUriWithAHost) {
  const auto origin = [](const char* target) {
    return CheckRequestHead(Head(11, target, {{http::field::host, "h"}}));
  };
  ExpectBadInput(origin("ftp://h/v1/sources/x/payloads"), "scheme 'ftp' is not supported");
  ExpectBadInput(origin("example.com:443"), "scheme 'example.com' is not supported");
  for (const char* bad : {"http:///healthz", "http:/healthz", "http://user@h/healthz"}) {
    ExpectBadInput(origin(bad), "needs a host and no user info");
  }
  for (const char* bad : {"http://h/healthz#frag", "healthz", "http://h/a b"}) {
    ExpectBadInput(origin(bad), "malformed request target");
  }
}

}  // namespace
}  // namespace latebind::ingest::internal
