// What a request's head must be before the server routes it (RFC 9112): its Host field,
// its framing for the HTTP version, and the form of its target. Module-internal: it
// exposes Beast's header type.
#pragma once

#include <arrow/result.h>

#include <boost/beast/http/message.hpp>
#include <string>

namespace latebind::ingest::internal {

// Checks the head of a parsed request and returns its target in origin-form, the form
// routing reads: an origin-form target ("/v1/sources?x") as sent; an absolute-form one
// ("http://host:8080/v1/sources?x", RFC 9112 §3.2.2) reduced to its path and query, so
// both route alike; "*" as sent (no route takes it). Nothing is percent-decoded.
// Errors, each kBadInput (400, then the server closes the connection):
//  - an HTTP/1.1 request without a Host field; any request with more than one, or with
//    one that is not `host[:port]` (RFC 9112 §3.2; an empty Host is valid). HTTP/1.0
//    requests may leave Host out.
//  - Transfer-Encoding in an HTTP/1.0 request: its framing cannot be trusted (RFC 9112
//    §6.1), even with a Content-Length beside it.
//  - a target that is neither origin-form, "*", nor an absolute http or https URI with a
//    host and no user info (RFC 9110 §4.2).
// Pure: safe to repeat, nothing is read or written.
arrow::Result<std::string> CheckRequestHead(const boost::beast::http::request_header<>& head);

}  // namespace latebind::ingest::internal
