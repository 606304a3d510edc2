#include <fmt/format.h>

#include "latebind/ingest/request_head_internal.h"

// Boost.URL is built header-only, here and nowhere else (ADR-080): Debian ships no
// libboost_url, and this is the one file that parses URIs.
#include <boost/url/parse.hpp>
#include <boost/url/src.hpp>

#include "latebind/common/status.h"

namespace latebind::ingest::internal {
namespace {

namespace http = boost::beast::http;
namespace urls = boost::urls;

arrow::Status CheckHost(const http::request_header<>& head) {
  const size_t hosts = head.count(http::field::host);
  if (hosts == 0) {
    if (head.version() < 11) return arrow::Status::OK();
    return MakeError(ErrorKind::kBadInput,
                     "an HTTP/1.1 request needs a Host header field (RFC 9112 §3.2)");
  }
  if (hosts > 1) {
    return MakeError(
        ErrorKind::kBadInput,
        fmt::format("{} Host header fields: a request has one (RFC 9112 §3.2)", hosts));
  }
  // Host = uri-host [ ":" port ]: an authority without user info.
  const auto authority = urls::parse_authority(head[http::field::host]);
  if (!authority || authority->has_userinfo()) {
    return MakeError(ErrorKind::kBadInput,
                     "invalid Host header field: expected host[:port] (RFC 9112 §3.2)");
  }
  return arrow::Status::OK();
}

arrow::Result<std::string> OriginForm(std::string_view target) {
  if (target.starts_with('/') || target == "*") return std::string(target);
  const auto uri = urls::parse_absolute_uri(target);
  if (!uri) {
    return MakeError(ErrorKind::kBadInput,
                     "malformed request target: expected a path (/v1/...) or an absolute http "
                     "or https URI");
  }
  if (uri->scheme_id() != urls::scheme::http && uri->scheme_id() != urls::scheme::https) {
    return MakeError(ErrorKind::kBadInput,
                     fmt::format("request target scheme '{}' is not supported: use http or https",
                                 std::string_view(uri->scheme())));
  }
  // RFC 9110 §4.2.1: an http URI with an empty host is invalid; §4.2.4: user info in one
  // is deprecated and treated as an error.
  if (!uri->has_authority() || uri->encoded_host().empty() || uri->has_userinfo()) {
    return MakeError(ErrorKind::kBadInput,
                     "malformed request target: an http or https URI needs a host and no user "
                     "info (RFC 9110 §4.2)");
  }
  // An empty path is "/" (RFC 9110 §4.2.3).
  std::string origin = uri->encoded_path().empty() ? "/" : std::string(uri->encoded_path());
  if (uri->has_query()) origin += "?" + std::string(uri->encoded_query());
  return origin;
}

}  // namespace

arrow::Result<std::string> CheckRequestHead(const http::request_header<>& head) {
  ARROW_RETURN_NOT_OK(CheckHost(head));
  // Whatever else the header says: a recipient cannot tell whether an HTTP/1.0 sender
  // (or a proxy on the way) understood the coding, so the body's end is unknown.
  if (head.version() < 11 && head.count(http::field::transfer_encoding) > 0) {
    return MakeError(ErrorKind::kBadInput,
                     "Transfer-Encoding in an HTTP/1.0 request: its framing cannot be trusted "
                     "(RFC 9112 §6.1); send Content-Length, or use HTTP/1.1");
  }
  return OriginForm(head.target());
}

}  // namespace latebind::ingest::internal
