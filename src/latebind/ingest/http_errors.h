// The one place where an outcome becomes an HTTP status and error body (STYLE.md §2, §7.4).
#pragma once

#include <arrow/status.h>

#include <string>

namespace latebind::ingest {

struct HttpError {
  int status;        // 400, 401, 403, 404, 409, 411, 413, 431, 500, 503
  std::string code;  // stable machine-readable code, e.g. "bad_request", "unavailable"
};

// bad_input → 400, not_found → 404, conflict → 409, too_large → 413, unavailable → 503,
// internal → 500.
HttpError HttpErrorFor(const arrow::Status& status);

// {"error": {"code": ..., "message": ...}}
std::string ErrorBody(const std::string& code, const std::string& message);

}  // namespace latebind::ingest
