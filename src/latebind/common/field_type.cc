#include "latebind/common/field_type.h"

#include <array>

namespace latebind {
namespace {
constexpr std::array<std::string_view, kFieldTypeCount> kNames = {
    "null", "boolean", "int64", "float64", "string", "date", "timestamp", "object", "array"};
}

std::string_view FieldTypeName(FieldType type) { return kNames[static_cast<int>(type)]; }

std::optional<FieldType> ParseFieldType(std::string_view name) {
  for (int i = 0; i < kFieldTypeCount; ++i) {
    if (kNames[i] == name) return static_cast<FieldType>(i);
  }
  return std::nullopt;
}

}  // namespace latebind
