// The one place where an outcome becomes a process exit code (DESIGN.md §7), and a failure
// the --json form of an error.
#pragma once

#include <arrow/status.h>

#include <nlohmann/json.hpp>
#include <string_view>

namespace latebind::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;   // storage or an internal error
inline constexpr int kExitBadInput = 2;  // bad input or usage
inline constexpr int kExitPartial = 3;   // some work skipped (e.g. a BREAKING source)

int ExitCodeFor(const arrow::Status& status);

// A failure as --json prints it: {"code", "message"}, as the HTTP API's errors are.
nlohmann::ordered_json ErrorJson(const arrow::Status& status);

// Reports a command's failure: "latebind COMMAND: message" on stderr and, with --json, also
// {"error": {"code", "message"}} on stdout, so that a script reading stdout sees it (ADR-096,
// every --json command, ADR-114). Gives the exit code.
int ReportFailure(std::string_view command, const arrow::Status& status, bool json);

// `status`, a failure to open or read a file named on the command line (ingest, profile),
// as the bad input it is for the command: a file that is there but cannot be read
// (permission denied, an I/O error: kUnavailable from the reader) is kBadInput, exit 2 as
// documented, like one that is missing, a directory or too large. Not for the home's own
// files, whose storage failures stay kUnavailable, exit 1.
arrow::Status AsInputFileError(const arrow::Status& status);

}  // namespace latebind::cli
