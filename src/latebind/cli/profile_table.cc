#include "latebind/cli/profile_table.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "latebind/cli/text_table.h"
#include "latebind/profiler/profile_json.h"

namespace latebind::cli {
namespace {

// A path in a note line: long enough to tell fields apart, its control characters escaped.
constexpr size_t kMaxNotePathColumns = 120;

using profiler::ScalarValue;

std::string Scalar(const ScalarValue& v) {
  if (std::holds_alternative<std::monostate>(v)) return "";
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  return profiler::ScalarToJson(v).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

size_t Columns(const std::string& s) {
  return std::count_if(s.begin(), s.end(),
                       [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
}

std::string HumanBytes(uint64_t n) {
  if (n < 1000) return fmt::format("{} B", n);
  if (n < 1000 * 1000) return fmt::format("{:.1f} kB", n / 1e3);
  if (n < 1000ull * 1000 * 1000) return fmt::format("{:.1f} MB", n / 1e6);
  return fmt::format("{:.2f} GB", n / 1e9);
}

std::string Printable(char c) {
  if (c == '\t') return "TAB";
  if (c == '\0') return "none";
  return fmt::format("'{}'", c);
}

}  // namespace

std::string RenderProfileTable(const profiler::PayloadProfile& p) {
  std::string out =
      fmt::format("{}: {}{}, {}, {} record(s), {} field(s)", p.path, profiler::FormatName(p.format),
                  p.gzip ? " (gzip)" : "", HumanBytes(p.bytes), p.records, p.fields.size());
  if (p.error_count || p.warning_count) {
    out += fmt::format(", {} error(s), {} warning(s)", p.error_count, p.warning_count);
  }
  out += "\n";
  if (p.csv) {
    const auto& d = *p.csv;
    out += fmt::format("  csv dialect: delimiter {}, quote {}, escape {}, header {}, {}{}\n",
                       Printable(d.delimiter), Printable(d.quote),
                       d.escape == d.quote ? "doubled quote" : Printable(d.escape),
                       d.header ? "yes" : "no",
                       d.newline == '\r' ? "CR"
                       : d.crlf          ? "CRLF"
                                         : "LF",
                       d.bom ? ", UTF-8 BOM" : "");
  }
  const std::vector<std::string> header = {"FIELD",     "TYPE", "REQUIRED", "PRESENT", "NULLS",
                                           "DISTINCT~", "MIN",  "MAX",      "EXAMPLES"};
  std::vector<std::vector<std::string>> rows;
  for (const auto& f : p.fields) {
    std::string type(FieldTypeName(f.type));
    if (f.conflict) type += "!";
    if (f.widened) type += "*";
    std::string examples;
    for (const auto& e : f.examples) {
      if (!examples.empty()) examples += ", ";
      examples += Scalar(e);
    }
    rows.push_back({Clip(f.path, 40), type, f.required ? "yes" : "no", std::to_string(f.present),
                    std::to_string(f.nulls), std::to_string(f.distinct_approx),
                    Clip(Scalar(f.min), 24), Clip(Scalar(f.max), 24), Clip(examples, 60)});
  }
  std::vector<size_t> width(header.size());
  for (size_t i = 0; i < header.size(); ++i) width[i] = Columns(header[i]);
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], Columns(r[i]));
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string s = "  ";
    for (size_t i = 0; i < cells.size(); ++i) {
      s += cells[i];
      if (i + 1 < cells.size()) s += std::string(width[i] - Columns(cells[i]) + 2, ' ');
    }
    return s + "\n";
  };
  out += line(header);
  for (const auto& r : rows) out += line(r);
  bool legend = false;
  for (const auto& f : p.fields) {
    legend = legend || f.conflict || f.widened;
    for (const auto& note : f.notes) {
      out += fmt::format("  note: {}: {}\n", Clip(f.path, kMaxNotePathColumns), note);
    }
  }
  if (legend) out += "  (! type conflict, profiled as string; * int64 widened to float64)\n";
  return out;
}

}  // namespace latebind::cli
