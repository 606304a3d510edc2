#include "latebind/ingest/http_errors.h"

#include <nlohmann/json.hpp>

#include "latebind/common/status.h"

namespace latebind::ingest {

HttpError HttpErrorFor(const arrow::Status& status) {
  switch (KindOf(status)) {
    case ErrorKind::kBadInput:
      return {400, "bad_request"};
    case ErrorKind::kNotFound:
      return {404, "not_found"};
    case ErrorKind::kConflict:
      return {409, "conflict"};
    case ErrorKind::kTooLarge:
      return {413, "payload_too_large"};
    case ErrorKind::kUnavailable:
      return {503, "storage_unavailable"};
    case ErrorKind::kInternal:
      break;
  }
  return {500, "internal"};
}

std::string ErrorBody(const std::string& code, const std::string& message) {
  return nlohmann::json{{"error", {{"code", code}, {"message", message}}}}.dump(
             -1, ' ', false, nlohmann::json::error_handler_t::replace) +
         "\n";
}

}  // namespace latebind::ingest
