#include "latebind/profiler/profile_json.h"

#include <cmath>

namespace latebind::profiler {

nlohmann::ordered_json ScalarToJson(const ScalarValue& value) {
  return std::visit(
      [](const auto& v) -> nlohmann::ordered_json {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return nullptr;
        } else if constexpr (std::is_same_v<T, double>) {
          if (!std::isfinite(v)) return nullptr;
          return v;
        } else {
          return v;
        }
      },
      value);
}

nlohmann::ordered_json ProfileToJson(const PayloadProfile& p) {
  using json = nlohmann::ordered_json;
  json out;
  out["path"] = p.path;
  out["format"] = FormatName(p.format);
  out["compression"] = p.gzip ? "gzip" : "none";
  out["bytes"] = p.bytes;
  out["records"] = p.records;
  if (p.csv) {
    const CsvDialect& d = *p.csv;
    out["csv"] = {{"delimiter", std::string(1, d.delimiter)},
                  {"quote", d.quote ? std::string(1, d.quote) : ""},
                  {"escape", d.escape ? std::string(1, d.escape) : ""},
                  {"header", d.header},
                  {"bom", d.bom},
                  {"line_ending", d.crlf ? "crlf" : "lf"},
                  {"columns", d.columns}};
  }
  json fields = json::array();
  for (const FieldProfile& f : p.fields) {
    json types = json::object();
    for (int i = 0; i < kFieldTypeCount; ++i) {
      if (f.type_counts[i])
        types[std::string(FieldTypeName(static_cast<FieldType>(i)))] = f.type_counts[i];
    }
    json examples = json::array();
    for (const ScalarValue& e : f.examples) examples.push_back(ScalarToJson(e));
    fields.push_back({{"path", f.path},
                      {"type", std::string(FieldTypeName(f.type))},
                      {"required", f.required},
                      {"present", f.present},
                      {"nulls", f.nulls},
                      {"type_counts", types},
                      {"conflict", f.conflict},
                      {"widened", f.widened},
                      {"min", ScalarToJson(f.min)},
                      {"max", ScalarToJson(f.max)},
                      {"distinct_approx", f.distinct_approx},
                      {"examples", examples},
                      {"notes", f.notes}});
  }
  out["fields"] = fields;
  out["overflow_occurrences"] = p.overflow_occurrences;
  out["errors"] = p.error_count;
  out["warnings"] = p.warning_count;
  json problems = json::array();
  for (const Problem& pr : p.problems) {
    problems.push_back(
        {{"severity", pr.severity == Problem::Severity::kError ? "error" : "warning"},
         {"line", pr.line},
         {"column", pr.column},
         {"byte", pr.byte_offset},
         {"message", pr.message}});
  }
  out["problems"] = problems;
  return out;
}

}  // namespace latebind::profiler
