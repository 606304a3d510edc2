#include "latebind/cli/exit_codes.h"

#include <fmt/format.h>

#include <iostream>

#include "latebind/common/status.h"

namespace latebind::cli {

int ExitCodeFor(const arrow::Status& status) {
  if (status.ok()) return kExitOk;
  switch (KindOf(status)) {
    case ErrorKind::kBadInput:
    case ErrorKind::kNotFound:
    case ErrorKind::kTooLarge:
      return kExitBadInput;
    default:
      return kExitFailure;
  }
}

nlohmann::ordered_json ErrorJson(const arrow::Status& status) {
  return {{"code", ErrorKindName(KindOf(status))}, {"message", status.message()}};
}

int ReportFailure(std::string_view command, const arrow::Status& status, bool json) {
  fmt::print(stderr, "latebind {}: {}\n", command, status.message());
  if (json) {
    std::cout << nlohmann::ordered_json{{"error", ErrorJson(status)}}.dump(
                     2, ' ', false, nlohmann::json::error_handler_t::replace)
              << "\n";
  }
  return ExitCodeFor(status);
}

arrow::Status AsInputFileError(const arrow::Status& status) {
  if (KindOf(status) != ErrorKind::kUnavailable) return status;
  return MakeError(ErrorKind::kBadInput, status.message());
}

}  // namespace latebind::cli
