// Decides a payload's format from its first bytes (content, not the file name).
#pragma once

#include <arrow/result.h>

#include <string_view>

#include "latebind/profiler/profile.h"

namespace latebind::profiler {

// `head` is the start of the payload after any BOM; `complete` says it is the whole payload.
//  - '{' → NDJSON when the first line is one complete JSON object (a one-record file is
//    NDJSON too), else JSON (a pretty-printed object or concatenated values);
//  - '[' → JSON (a top-level array of records);
//  - anything else → CSV.
// Errors (kBadInput): NUL bytes in the head (binary data).
arrow::Result<Format> DetectFormat(std::string_view head, bool complete);

}  // namespace latebind::profiler
