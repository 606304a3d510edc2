// How one value fits a typed column (promotion, ADR-053, ADR-099, ADR-100): exactly, as the
// nearest value the column holds (with the exact text rescued too), or not at all. The rules
// the binder applies to numbers and timestamps, apart from how it walks records.
#pragma once

#include <cstdint>
#include <limits>
#include <string_view>

namespace latebind::promotion {

// How a value went into its column.
enum class Fit : uint8_t {
  kNo,      // it did not: a null, and the value rescued
  kYes,     // exactly
  kCoarse,  // as the nearest value the column holds, and the exact value rescued as well
};

// Whether an integer survives the trip to float64 unchanged (every one up to 2^53 does).
// (The type's max as a double rounds up to 2^63 or 2^64, where the cast back would overflow.)
template <typename Int>
bool ExactAsDouble(Int v) {
  const double d = static_cast<double>(v);
  return d < static_cast<double>(std::numeric_limits<Int>::max()) && static_cast<Int>(d) == v;
}

// Whether an integer's text (digits after an optional sign) names a value other than `d`,
// the nearest double a parser read it as: one beyond 64 bits, which neither int64 nor uint64
// holds, is exact as a double only when it is a multiple of a high enough power of two.
bool RoundedAsDouble(std::string_view text, double d);

// Whether `d`, a double of a document read with its integers beyond 64 bits widened, may be
// such an integer: only then is its text worth finding (the binder walks the record for it).
bool IsWidenedInteger(double d);

// Timestamp text as microseconds UTC, when the profiler types it date or timestamp
// (ClassifyString): Arrow's parser, and for the ISO-8601 forms the profiler takes that it
// does not (lowercase 't'/'z', a decimal comma, over six fraction digits, a leap second
// ":60") the same text rewritten to one it does. Over six digits are truncated to the
// microsecond and ":60" is the next minute's ":00": kCoarse, unless the digits cut are zeros.
Fit ParseTimestamp(std::string_view s, int64_t* us);

}  // namespace latebind::promotion
