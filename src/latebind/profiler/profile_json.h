// The JSON form of a profile (documented in docs/profile-json.md). Stable: fields are only
// ever added. The registry stores this shape.
#pragma once

#include <arrow/result.h>

#include <nlohmann/json.hpp>
#include <string_view>

#include "latebind/profiler/profile.h"

namespace latebind::profiler {

inline constexpr int kProfileJsonVersion = 1;

nlohmann::ordered_json ScalarToJson(const ScalarValue& value);
nlohmann::ordered_json ProfileToJson(const PayloadProfile& profile);
// A problem as every JSON output gives it (a dead letter's reason, a warning):
// {"line", "column", "byte", "message"}.
nlohmann::ordered_json ProblemToJson(const Problem& problem);

// {"format": ..., "csv": {...}}: the two members of a profile's JSON that say how its
// bytes were read; "csv" only for CSV.
nlohmann::ordered_json LayoutToJson(const PayloadLayout& layout);
// The inverse; kBadInput naming what is missing or malformed.
arrow::Result<PayloadLayout> LayoutFromJson(std::string_view text);

}  // namespace latebind::profiler
