#include "latebind/cli/exit_codes.h"

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

arrow::Status AsInputFileError(const arrow::Status& status) {
  if (KindOf(status) != ErrorKind::kUnavailable) return status;
  return MakeError(ErrorKind::kBadInput, status.message());
}

}  // namespace latebind::cli
