#include "latebind/profiler/profile_json.h"

#include <fmt/format.h>

#include <cmath>

#include "latebind/common/status.h"

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
  const json layout = LayoutToJson({p.format, p.csv});
  out["format"] = layout["format"];
  out["compression"] = p.gzip ? "gzip" : "none";
  out["bytes"] = p.bytes;
  out["records"] = p.records;
  if (p.csv) out["csv"] = layout["csv"];
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
    json j = {{"severity", pr.severity == Problem::Severity::kError ? "error" : "warning"}};
    j.update(ProblemToJson(pr));
    problems.push_back(std::move(j));
  }
  out["problems"] = problems;
  return out;
}

nlohmann::ordered_json ProblemToJson(const Problem& problem) {
  return {{"line", problem.line},
          {"column", problem.column},
          {"byte", problem.byte_offset},
          {"message", problem.message}};
}

namespace {

const char* LineEndingName(const CsvDialect& d) {
  if (d.newline == '\r') return "cr";
  return d.crlf ? "crlf" : "lf";
}

}  // namespace

nlohmann::ordered_json LayoutToJson(const PayloadLayout& layout) {
  nlohmann::ordered_json out;
  out["format"] = FormatName(layout.format);
  if (layout.csv) {
    const CsvDialect& d = *layout.csv;
    out["csv"] = {{"delimiter", std::string(1, d.delimiter)},
                  {"quote", d.quote ? std::string(1, d.quote) : ""},
                  {"escape", d.escape ? std::string(1, d.escape) : ""},
                  {"header", d.header},
                  {"bom", d.bom},
                  {"line_ending", LineEndingName(d)},
                  {"columns", d.columns}};
  }
  return out;
}

arrow::Result<PayloadLayout> LayoutFromJson(std::string_view text) {
  const auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  auto bad = [&](std::string_view what) {
    return MakeError(ErrorKind::kBadInput,
                     fmt::format("payload layout {}: {}", what, text.substr(0, 200)));
  };
  if (!j.is_object() || !j.contains("format") || !j["format"].is_string()) {
    return bad("without a format");
  }
  const auto format = ParseFormat(j["format"].get<std::string>());
  if (!format) return bad("with an unknown format");
  PayloadLayout layout;
  layout.format = *format;
  if (layout.format != Format::kCsv) return layout;
  const auto& c = j.contains("csv") ? j["csv"] : nlohmann::json();
  // One character, or none for quote and escape.
  auto one = [&](const char* key, bool may_be_empty, char* out) {
    if (!c.contains(key) || !c[key].is_string()) return false;
    const auto s = c[key].get<std::string>();
    if (s.size() > 1 || (s.empty() && !may_be_empty)) return false;
    *out = s.empty() ? '\0' : s[0];
    return true;
  };
  CsvDialect d;
  if (!c.is_object() || !one("delimiter", false, &d.delimiter) || !one("quote", true, &d.quote) ||
      !one("escape", true, &d.escape) || !c.contains("header") || !c["header"].is_boolean() ||
      !c.contains("columns") || !c["columns"].is_array()) {
    return bad("with a malformed csv dialect");
  }
  d.header = c["header"].get<bool>();
  d.bom = c.value("bom", false);
  const std::string line_ending = c.value("line_ending", "lf");
  d.crlf = line_ending == "crlf";
  d.newline = line_ending == "cr" ? '\r' : '\n';
  for (const auto& name : c["columns"]) {
    if (!name.is_string()) return bad("with a malformed csv dialect");
    d.columns.push_back(name.get<std::string>());
  }
  layout.csv = std::move(d);
  return layout;
}

}  // namespace latebind::profiler
