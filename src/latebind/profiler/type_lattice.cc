#include "latebind/profiler/type_lattice.h"

#include <bit>
#include <charconv>
#include <chrono>
#include <cstring>

namespace latebind::profiler {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Parses `n` digits at `p` into `out`; false if any is not a digit.
bool Digits(const char* p, int n, int* out) {
  int v = 0;
  for (int i = 0; i < n; ++i) {
    if (!IsDigit(p[i])) return false;
    v = v * 10 + (p[i] - '0');
  }
  *out = v;
  return true;
}

bool ValidDate(const char* p) {
  int y, m, d;
  if (!Digits(p, 4, &y) || p[4] != '-' || !Digits(p + 5, 2, &m) || p[7] != '-' ||
      !Digits(p + 8, 2, &d)) {
    return false;
  }
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1 || d > kDays[m - 1]) return false;
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return !(m == 2 && d == 29 && !leap);
}

// HH:MM[:SS[.f+]] then an optional zone; `p` points after the date/time separator.
bool ValidTimeAndZone(const char* p, const char* end) {
  int h, mi, s;
  if (end - p < 5 || !Digits(p, 2, &h) || p[2] != ':' || !Digits(p + 3, 2, &mi)) return false;
  if (h > 23 || mi > 59) return false;
  p += 5;
  if (end - p >= 3 && p[0] == ':') {
    if (!Digits(p + 1, 2, &s) || s > 60) return false;  // 60: a leap second
    p += 3;
    if (p < end && (*p == '.' || *p == ',')) {
      const char* f = ++p;
      while (p < end && IsDigit(*p)) ++p;
      if (p == f || p - f > 9) return false;
    }
  }
  if (p == end) return true;
  if (*p == 'Z' || *p == 'z') return p + 1 == end;
  if (*p != '+' && *p != '-') return false;
  ++p;
  int zh, zm = 0;
  if (end - p < 2 || !Digits(p, 2, &zh) || zh > 23) return false;
  p += 2;
  if (p == end) return true;
  if (*p == ':') ++p;
  if (end - p != 2 || !Digits(p, 2, &zm) || zm > 59) return false;
  return true;
}

bool EqualsIgnoreCase(std::string_view s, const char* lower) {
  if (s.size() != std::strlen(lower)) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

// The instant of `s`, which ClassifyString typed `type` (kDate or kTimestamp).
CalendarInstant InstantOfChecked(std::string_view s, FieldType type) {
  // The grammar is checked: every read below is of digits where ClassifyString found them.
  const char* p = s.data();
  const char* end = p + s.size();
  int y = 0, mo = 0, d = 0;
  Digits(p, 4, &y);
  Digits(p + 5, 2, &mo);
  Digits(p + 8, 2, &d);
  namespace chrono = std::chrono;
  const chrono::sys_days day{chrono::year{y} / chrono::month(static_cast<unsigned>(mo)) /
                             chrono::day(static_cast<unsigned>(d))};
  CalendarInstant t{day.time_since_epoch().count() * int64_t{86400}, 0};
  if (type == FieldType::kDate) return t;
  int h = 0, mi = 0, sec = 0;
  Digits(p + 11, 2, &h);
  Digits(p + 14, 2, &mi);
  p += 16;
  if (p < end && *p == ':') {
    Digits(p + 1, 2, &sec);
    p += 3;
    if (p < end && (*p == '.' || *p == ',')) {
      int digits = 0;
      for (++p; p < end && IsDigit(*p); ++p, ++digits) t.nanos = t.nanos * 10 + (*p - '0');
      for (; digits < 9; ++digits) t.nanos *= 10;
    }
  }
  int64_t offset = 0;  // the zone's seconds east of UTC
  if (p < end && (*p == '+' || *p == '-')) {
    int zh = 0, zm = 0;
    Digits(p + 1, 2, &zh);
    if (end - p > 3) Digits(end - 2, 2, &zm);
    offset = (*p == '-' ? -1 : 1) * (zh * 3600 + zm * 60);
  }
  t.seconds += h * 3600 + mi * 60 + sec - offset;
  return t;
}

}  // namespace

FieldType ClassifyString(std::string_view s) {
  // Shortest date is 10 chars, longest timestamp ~35; cheap rejections first.
  if (s.size() < 10 || s.size() > 40 || !IsDigit(s[0]) || s[4] != '-') return FieldType::kString;
  const char* p = s.data();
  if (!ValidDate(p)) return FieldType::kString;
  if (s.size() == 10) return FieldType::kDate;
  if (p[10] != 'T' && p[10] != ' ' && p[10] != 't') return FieldType::kString;
  return ValidTimeAndZone(p + 11, p + s.size()) ? FieldType::kTimestamp : FieldType::kString;
}

std::optional<CalendarInstant> CalendarInstantOf(std::string_view s) {
  const FieldType type = ClassifyString(s);
  if (type != FieldType::kDate && type != FieldType::kTimestamp) return std::nullopt;
  return InstantOfChecked(s, type);
}

bool CalendarBefore(std::string_view a, std::string_view b) {
  // The first 16 bytes are YYYY-MM-DD?HH:MM by the grammar: only the separator may differ.
  bool same_layout = a.size() == b.size() && (a.size() == 10 || a[10] == b[10]);
  for (size_t i = 16; same_layout && i < a.size(); ++i) {
    if (IsDigit(a[i]) && IsDigit(b[i])) continue;
    if (a[i] != b[i]) same_layout = false;
    // From the zone on the text must be the same: "+02:00" and "+03:00" differ in digits.
    const char c = a[i];
    if (c == 'Z' || c == 'z' || c == '+' || c == '-') {
      if (a.substr(i) != b.substr(i)) same_layout = false;
      break;
    }
  }
  if (same_layout) return a < b;
  auto of = [](std::string_view s) {
    return InstantOfChecked(s, s.size() == 10 ? FieldType::kDate : FieldType::kTimestamp);
  };
  return of(a) < of(b);
}
CellValue ClassifyCell(std::string_view cell) {
  CellValue v;
  if (cell.empty()) return v;
  const char* p = cell.data();
  const char* end = p + cell.size();
  const char c0 = *p;
  if (IsDigit(c0) || c0 == '-' || c0 == '+' || c0 == '.') {
    const char* digits = (c0 == '-' || c0 == '+') ? p + 1 : p;
    const char* q = digits;
    while (q < end && IsDigit(*q)) ++q;
    const bool leading_zero = q - digits > 1 && *digits == '0';
    if (q == end && q > digits && !leading_zero) {
      // from_chars rejects a leading '+'.
      auto r = std::from_chars(c0 == '+' ? p + 1 : p, end, v.int_value);
      if (r.ec == std::errc() && r.ptr == end) {
        v.type = FieldType::kInt64;
        return v;
      }
      if (r.ec == std::errc::result_out_of_range) v.int_overflow = true;
    }
    // A number has a digit before or right after its point: "-inf" and "nan" stay strings.
    const bool has_digit = q > digits || (q + 1 < end && *q == '.' && IsDigit(q[1]));
    if (has_digit && (!leading_zero || (q < end && *q == '.'))) {
      auto r = std::from_chars(c0 == '+' ? p + 1 : p, end, v.float_value);
      if (r.ptr == end && r.ec == std::errc()) {  // 1e999 does not fit: a string
        v.type = FieldType::kFloat64;
        return v;
      }
    }
    v.int_overflow = false;
  } else if (EqualsIgnoreCase(cell, "true") || EqualsIgnoreCase(cell, "false")) {
    v.type = FieldType::kBoolean;
    v.int_value = (c0 == 't' || c0 == 'T') ? 1 : 0;
    return v;
  }
  v.type = ClassifyString(cell);
  return v;
}

TypeDecision DecideType(const TypeCounts& counts) {
  auto has = [&](FieldType t) { return counts[static_cast<int>(t)] > 0; };
  uint32_t mask = 0;
  for (int i = 1; i < kFieldTypeCount; ++i) {
    if (counts[i] > 0) mask |= 1u << i;
  }
  auto bit = [](FieldType t) { return 1u << static_cast<int>(t); };
  TypeDecision d;
  if (mask == 0) return d;  // only nulls, or nothing
  const uint32_t numeric = bit(FieldType::kInt64) | bit(FieldType::kFloat64);
  const uint32_t textual =
      bit(FieldType::kString) | bit(FieldType::kDate) | bit(FieldType::kTimestamp);
  if ((mask & ~numeric) == 0) {
    d.type = has(FieldType::kFloat64) ? FieldType::kFloat64 : FieldType::kInt64;
    d.widened = has(FieldType::kFloat64) && has(FieldType::kInt64);
  } else if ((mask & ~textual) == 0) {
    if (has(FieldType::kString)) {
      d.type = FieldType::kString;
    } else {
      d.type = has(FieldType::kTimestamp) ? FieldType::kTimestamp : FieldType::kDate;
    }
  } else if (std::popcount(mask) == 1) {
    d.type = static_cast<FieldType>(std::countr_zero(mask));
  } else {
    d.type = FieldType::kString;
    d.conflict = true;
  }
  return d;
}

}  // namespace latebind::profiler
