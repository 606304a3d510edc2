// Posting a JSON body to a webhook sink over HTTP/1.1, with or without TLS (Boost.Beast,
// OpenSSL with the system's CA store and host name verification).
#pragma once

#include <arrow/result.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace latebind::alerts {

// A webhook URL taken apart: `http://host[:port]/path?query` or `https://...`.
struct WebhookUrl {
  bool tls = false;
  std::string host;  // a DNS name, an IPv4 address, or an IPv6 address without brackets
  uint16_t port = 0;
  std::string target;  // path and query as sent, starting with '/'

  // The URL without its secret: Slack (and most sinks) put the credential in the path, so
  // logs name a sink as scheme://host[:port]/first-segment/… and nothing more.
  std::string Redacted() const;
  // The Host header: the host (IPv6 in brackets) and the port when it is not the default.
  std::string HostHeader() const;
};

// Validates a sink URL up front, so `serve --alert-webhook` refuses a bad one at startup.
// Accepts http and https (case-insensitive scheme), a host name, IPv4 or [IPv6] host, an
// optional port 1-65535, and a path/query of visible ASCII (anything else must be
// percent-encoded); a fragment is dropped, as it is never sent. kBadInput, saying what is
// wrong, for anything else, including credentials in the URL (user:pass@).
arrow::Result<WebhookUrl> ParseWebhookUrl(std::string_view url);

// A sink's answer. Any status is a response (a 500 is not an error Status): the caller
// decides what counts as delivered.
struct WebhookResponse {
  int status = 0;
  std::string body;  // at most kMaxResponseBodyBytes; the rest is not read
  // Retry-After in seconds, when the sink sent one (HTTP dates are ignored).
  std::optional<std::chrono::seconds> retry_after;

  bool ok() const { return status >= 200 && status < 300; }
};

// A sink that answers with more than this is not read further: its body only ever ends up
// in an error message.
constexpr size_t kMaxResponseBodyBytes = 64 * 1024;

struct PostOptions {
  // Bound on the whole exchange: DNS, connect, TLS handshake, sending and the response.
  // Default 5 s: long enough for a distant sink, short enough that a dead one is noticed.
  std::chrono::milliseconds timeout{5000};
  // A PEM bundle trusted in addition to the system's CAs (a private CA for an internal
  // sink). Default none.
  std::string ca_file;
};

// POSTs `json_body` with Content-Type: application/json, User-Agent: latebind and
// Idempotency-Key: `idempotency_key` (omitted when empty), Connection: close. Redirects are
// not followed. Returns the sink's response, or kUnavailable when no response came: DNS
// failure, refused connection, TLS failure (certificate not trusted, wrong host), the
// timeout (the message names the phase it ran out in). kBadInput when `ca_file` cannot be
// loaded. Blocks the caller until the outcome or the timeout, except that a DNS lookup the
// system resolver is still waiting on holds it until the resolver gives up (getaddrinfo
// cannot be abandoned). Safe to repeat (the sink deduplicates by the key).
arrow::Result<WebhookResponse> PostJson(const WebhookUrl& url, const std::string& json_body,
                                        const std::string& idempotency_key,
                                        const PostOptions& options = {});

}  // namespace latebind::alerts
