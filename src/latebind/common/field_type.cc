#include "latebind/common/field_type.h"

#include <array>

namespace latebind {
namespace {
constexpr std::array<std::string_view, kFieldTypeCount> kNames = {
    "null", "boolean", "int64", "float64", "string", "date", "timestamp", "object", "array"};
}

std::string_view FieldTypeName(FieldType type) { return kNames[static_cast<int>(type)]; }

}  // namespace latebind
