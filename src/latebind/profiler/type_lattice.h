// Value classification and the type lattice of the profiler (DESIGN.md §4).
//
// Values are classified one by one (ClassifyString, ClassifyCell); a field's type is
// decided only at the end, from the counts of every type it was seen with (DecideType),
// never from its first value.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string_view>

#include "latebind/common/field_type.h"

namespace latebind::profiler {

using TypeCounts = std::array<uint64_t, kFieldTypeCount>;

// ISO-8601 recognition for strings and CSV cells:
//   date       YYYY-MM-DD (a real calendar day)
//   timestamp  YYYY-MM-DD[T ]HH:MM[:SS[.fraction]][Z|±HH[:MM]]
// Anything else is kString.
FieldType ClassifyString(std::string_view s);

// The instant a date or timestamp names, to order them: text order is wrong across zones
// and separators ("2026-01-01T10:00+02:00" is before "2026-01-01 09:00"). A value without
// a zone is read as UTC, as promotion binds it; a date is its midnight; a leap second
// (":60") is the next minute's first.
struct CalendarInstant {
  int64_t seconds = 0;  // since 1970-01-01T00:00:00Z
  int32_t nanos = 0;
  auto operator<=>(const CalendarInstant&) const = default;
};
// nullopt unless ClassifyString types `s` date or timestamp.
std::optional<CalendarInstant> CalendarInstantOf(std::string_view s);
// Whether the calendar value `a` (one ClassifyString types date or timestamp) is an earlier
// instant than the calendar value `b`. Values of one layout and zone (the same length, the
// same separators and zone text) compare as text, which orders them alike, unparsed.
bool CalendarBefore(std::string_view a, std::string_view b);

// One CSV cell, typed as DuckDB's sniffer would: empty → null; true/false (any case) →
// boolean; an integer that fits int64 → int64 (a leading zero as in "007" keeps it a
// string: it is an identifier, not a number); an integer beyond int64 or a decimal or
// exponent number → float64 (beyond int64 sets `int_overflow`); else ClassifyString.
struct CellValue {
  FieldType type = FieldType::kNull;
  bool int_overflow = false;
  int64_t int_value = 0;
  double float_value = 0;
};
CellValue ClassifyCell(std::string_view cell);

// The decided type of a field seen with `counts`:
//  - nulls are ignored unless nothing else was seen (then kNull);
//  - int64 + float64 → float64 (widening, not a conflict);
//  - date / timestamp / string are refinements of one JSON kind: date + timestamp →
//    timestamp; with plain strings → string; none of these is a conflict;
//  - any other mix → string, with `conflict` set.
struct TypeDecision {
  FieldType type = FieldType::kNull;
  bool conflict = false;
  bool widened = false;  // int64 values widened to float64
};
TypeDecision DecideType(const TypeCounts& counts);

}  // namespace latebind::profiler
