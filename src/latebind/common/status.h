// Error kinds carried on arrow::Status (STYLE.md §2).
//
// A Status says *that* something failed and why in words; ErrorKind says what the failure
// *means* to a caller (bad input, not found, too large, unavailable...). Exactly one
// function maps a kind to a CLI exit code (cli/exit_codes.h) and, later, one to HTTP.
#pragma once

#include <arrow/status.h>

#include <string>

namespace latebind {

enum class ErrorKind {
  kBadInput,     // the user's input is malformed or refused; retrying will not help
  kNotFound,     // a named thing (file, source, version) does not exist
  kConflict,     // a concurrent change won; retrying may help
  kTooLarge,     // input exceeds a configured limit
  kUnavailable,  // storage or a dependency failed; retrying later may help
  kInternal,     // a bug: an invariant did not hold
};

const char* ErrorKindName(ErrorKind kind);

// A Status whose detail records `kind`. The StatusCode is chosen to match the kind.
arrow::Status MakeError(ErrorKind kind, std::string message);

// The kind attached by MakeError; statuses from libraries map by their StatusCode
// (IOError → kUnavailable, Invalid → kBadInput, ...).
ErrorKind KindOf(const arrow::Status& status);

}  // namespace latebind
