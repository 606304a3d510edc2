#include "latebind/promotion/value_fit.h"

#include <arrow/type.h>
#include <arrow/util/value_parsing.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "latebind/profiler/type_lattice.h"

namespace latebind::promotion {

bool RoundedAsDouble(std::string_view text, double d) {
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) text.remove_prefix(1);
  if (text.empty() || !std::ranges::all_of(text, [](char c) { return c >= '0' && c <= '9'; })) {
    return false;  // not an integer's text
  }
  char digits[400];  // a double's integer part has at most 309 digits
  const auto end = fmt::format_to_n(digits, sizeof digits, "{:.0f}", std::fabs(d));
  return std::string_view(digits, std::min(end.size, sizeof digits)) != text;
}

bool IsWidenedInteger(double d) { return std::fabs(d) >= 0x1p63 && d == std::trunc(d); }

Fit ParseTimestamp(std::string_view s, int64_t* us) {
  static const arrow::TimestampType kMicros(arrow::TimeUnit::MICRO, "UTC");
  const FieldType type = profiler::ClassifyString(s);
  if (type != FieldType::kDate && type != FieldType::kTimestamp) return Fit::kNo;
  if (arrow::internal::ParseValue<arrow::TimestampType>(kMicros, s.data(), s.size(), us)) {
    return Fit::kYes;
  }
  if (type == FieldType::kDate) return Fit::kNo;
  // ClassifyString checked the shape: YYYY-MM-DD?HH:MM[:SS[(.|,)digits]][zone], ≤ 40 bytes.
  char text[48];
  std::memcpy(text, s.data(), 16);
  text[10] = 'T';
  size_t n = 16;
  size_t i = 16;
  bool leap = false;
  bool cut = false;
  if (i < s.size() && s[i] == ':') {
    leap = s[i + 1] == '6';
    text[n++] = ':';
    text[n++] = leap ? '5' : s[i + 1];
    text[n++] = leap ? '9' : s[i + 2];
    i += 3;
    if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
      text[n++] = '.';
      for (size_t digits = 0; ++i < s.size() && s[i] >= '0' && s[i] <= '9'; ++digits) {
        if (digits < 6) {
          text[n++] = s[i];
        } else {
          cut |= s[i] != '0';
        }
      }
    }
  }
  for (; i < s.size(); ++i) text[n++] = s[i] == 'z' ? 'Z' : s[i];
  if (!arrow::internal::ParseValue<arrow::TimestampType>(kMicros, text, n, us)) return Fit::kNo;
  if (leap) *us += 1'000'000;
  return leap || cut ? Fit::kCoarse : Fit::kYes;
}

}  // namespace latebind::promotion
