// Decides a payload's format from its first bytes (content, not the file name).
#pragma once

#include <optional>
#include <string_view>

#include "latebind/profiler/profile.h"

namespace latebind::profiler {

// `head` is the start of the payload after any BOM; `complete` says it is the whole payload.
//  - '{' → NDJSON when the first line, or one of the next 15 that starts at column 0, is a
//    complete JSON object — so a broken first record does not hide the format — else JSON
//    (a pretty-printed object or concatenated values);
//  - '[' → JSON (a top-level array of records);
//  - a whole payload that is one JSON scalar (42, "text", true) → JSON, which then
//    reports it as not a record;
//  - anything else → CSV.
// Binary content is not judged here: the parsers report its bytes where they are.
Format DetectFormat(std::string_view head, bool complete);

// The format a raw object's key declares by its extension (.json, .ndjson, .csv, each
// optionally .gz): what its source claimed, or the lander sniffed. nullopt for another
// name, whose content decides (DetectFormat).
std::optional<Format> FormatOfKey(std::string_view key);

}  // namespace latebind::profiler
