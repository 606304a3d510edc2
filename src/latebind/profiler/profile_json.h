// The JSON form of a profile (documented in docs/profile-json.md). Stable: fields are only
// ever added. The registry stores this shape.
#pragma once

#include <nlohmann/json.hpp>

#include "latebind/profiler/profile.h"

namespace latebind::profiler {

inline constexpr int kProfileJsonVersion = 1;

nlohmann::ordered_json ScalarToJson(const ScalarValue& value);
nlohmann::ordered_json ProfileToJson(const PayloadProfile& profile);

}  // namespace latebind::profiler
