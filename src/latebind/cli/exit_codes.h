// The one place where an outcome becomes a process exit code (DESIGN.md §7).
#pragma once

#include <arrow/status.h>

namespace latebind::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;   // storage or an internal error
inline constexpr int kExitBadInput = 2;  // bad input or usage
inline constexpr int kExitPartial = 3;   // some work skipped (e.g. a BREAKING source)

int ExitCodeFor(const arrow::Status& status);

}  // namespace latebind::cli
