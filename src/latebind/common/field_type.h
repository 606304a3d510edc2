// The logical field types of the schema model (DESIGN.md §4).
#pragma once

#include <cstdint>
#include <string_view>

namespace latebind {

// Order matters only for output stability; the lattice lives in profiler/type_lattice.h.
enum class FieldType : uint8_t {
  kNull,
  kBoolean,
  kInt64,
  kFloat64,
  kString,
  kDate,
  kTimestamp,
  kObject,
  kArray,
};
inline constexpr int kFieldTypeCount = 9;

std::string_view FieldTypeName(FieldType type);

}  // namespace latebind
