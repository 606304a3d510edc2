// The result of profiling one payload: its format and, per field path, the decided type
// and statistics. This is the model the registry stores and diffs (DESIGN.md §4-5); its
// JSON form is documented in docs/profile-json.md and written by profile_json.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "latebind/common/field_type.h"
#include "latebind/profiler/hyperloglog.h"
#include "latebind/profiler/type_lattice.h"

namespace latebind::profiler {

enum class Format { kJson, kNdjson, kCsv };
const char* FormatName(Format format);
// "json", "ndjson" or "csv"; nullopt for anything else (including "auto").
std::optional<Format> ParseFormat(std::string_view name);

// A scalar as it appeared in the data (numbers keep their JSON kind).
using ScalarValue = std::variant<std::monostate, bool, int64_t, double, std::string>;

struct CsvDialect {
  char delimiter = ',';
  char quote = '"';   // '\0': no quoting
  char escape = '"';  // == quote: RFC 4180 doubling; '\\': backslash escapes
  bool header = true;
  bool bom = false;
  bool crlf = false;                 // the first line ends in CRLF (mixed endings are accepted)
  std::vector<std::string> columns;  // names from the header, or column0, column1, ...
  // The byte that ends a record: '\n' (LF, or CRLF whose '\r' is dropped) or '\r' for
  // classic Mac OS text, whose lines end in CR alone (crlf is then false).
  char newline = '\n';
};

// How a payload's bytes were read: the format and, for CSV, the dialect the profiler
// decided. Promotion binds with the same (ADR-044).
struct PayloadLayout {
  Format format = Format::kNdjson;
  std::optional<CsvDialect> csv;  // CSV only
};

struct FieldProfile {
  std::string path;  // a.b.c, a[], a[].b
  FieldType type = FieldType::kNull;
  bool required = false;  // present in every record (or parent object) observed
  bool conflict = false;  // incompatible types seen: typed string
  bool widened = false;   // int64 values widened to float64
  uint64_t present = 0;   // occurrences, nulls included
  uint64_t nulls = 0;
  TypeCounts type_counts{};
  ScalarValue min;
  ScalarValue max;
  uint64_t distinct_approx = 0;  // distinct_sketch.Estimate()
  // The registers behind distinct_approx, for the registry to count distinct values over
  // many payloads (a union of sketches, which no sum or max of estimates gives). Internal:
  // not in the JSON form.
  HyperLogLog distinct_sketch;
  std::vector<ScalarValue> examples;  // up to 5 distinct values, a uniform sample by hash
  std::vector<std::string> notes;     // e.g. integers beyond int64 stored as float64
};

struct Problem {
  enum class Severity { kError, kWarning };
  Severity severity = Severity::kError;
  uint64_t line = 0;         // 1-based; 0 when not known
  uint64_t column = 0;       // 1-based byte column in the line; 0 when not known
  uint64_t byte_offset = 0;  // from the start of the (decompressed) data
  std::string message;
};

struct PayloadProfile {
  std::string path;
  Format format = Format::kNdjson;
  bool gzip = false;
  uint64_t bytes = 0;  // bytes profiled (decompressed)
  uint64_t records = 0;
  std::optional<CsvDialect> csv;
  std::vector<FieldProfile> fields;  // parents before children, in order of first sight
  // Occurrences of paths past the field limit (ProfileOptions::max_fields), not profiled.
  uint64_t overflow_occurrences = 0;
  std::vector<Problem> problems;  // the first ones of each severity, in input order
  uint64_t error_count = 0;       // all errors, including those not kept in `problems`
  uint64_t warning_count = 0;

  bool ok() const { return error_count == 0; }
};

}  // namespace latebind::profiler
