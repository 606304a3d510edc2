#include "latebind/cli/schema_render.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <map>

#include "latebind/cli/text_table.h"
#include "latebind/common/field_path.h"
#include "latebind/profiler/profile_json.h"
#include "latebind/registry/rename_chain.h"

namespace latebind::cli {
namespace {

using registry::SchemaVersion;
using registry::VersionStatus;

Cell StatusCell(VersionStatus s) { return Cell(registry::StatusName(s), StatusStyle(s)); }

std::string Scalar(const profiler::ScalarValue& v) {
  if (std::holds_alternative<std::monostate>(v)) return "";
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  return profiler::ScalarToJson(v).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Fields with each one's children right under it (a field added in a later version is
// appended to the list, possibly far from its parent), and each one's depth.
std::vector<std::pair<const registry::FieldSchema*, int>> TreeOrder(
    const std::vector<registry::FieldSchema>& fields) {
  std::map<std::string, std::vector<const registry::FieldSchema*>> children;
  std::map<std::string, bool> known;
  for (const auto& f : fields) known[f.path] = true;
  std::vector<const registry::FieldSchema*> roots;
  for (const auto& f : fields) {
    const std::string parent(ParentPath(f.path));
    if (parent.empty() || !known.count(parent)) {
      roots.push_back(&f);
    } else {
      children[parent].push_back(&f);
    }
  }
  std::vector<std::pair<const registry::FieldSchema*, int>> out;
  // Depth-first with an explicit stack: paths can nest as deep as the data.
  std::vector<std::pair<const registry::FieldSchema*, int>> stack;
  for (auto it = roots.rbegin(); it != roots.rend(); ++it) stack.emplace_back(*it, 0);
  while (!stack.empty()) {
    const auto [f, depth] = stack.back();
    stack.pop_back();
    out.emplace_back(f, depth);
    const auto& kids = children[f->path];
    for (auto it = kids.rbegin(); it != kids.rend(); ++it) stack.emplace_back(*it, depth + 1);
  }
  return out;
}

std::string Mappings(const SchemaVersion& v) {
  std::string out;
  for (const auto& [to, from] : v.mappings) {
    out += fmt::format("{}{}", out.empty() ? "" : ", ", MappingChain(v, to, from));
  }
  return out;
}

}  // namespace

std::string MappingChain(const SchemaVersion& version, const std::string& to,
                         const std::string& from) {
  const registry::RenameChain chain = registry::RenameChains(version).Follow(to);
  if (!chain.mapped || chain.through.empty() || chain.through.front() != from) {
    return fmt::format("{} → {}", to, from);
  }
  return fmt::format("{} → {}", to, fmt::join(chain.through, " → "));
}

Style StatusStyle(VersionStatus s) {
  switch (s) {
    case VersionStatus::kActive:
      return Style::kGreen;
    case VersionStatus::kDeprecated:
      return Style::kDim;
    case VersionStatus::kBreaking:
      return Style::kBoldRed;
  }
  return Style::kPlain;
}

std::string DiffSummary(const SchemaVersion& v) {
  if (v.version == 1) return fmt::format("first version, {} field(s)", v.fields.size());
  const auto& d = v.field_diff;
  std::vector<std::string> parts;
  if (!d.added.empty()) parts.push_back(fmt::format("+{} added", d.added.size()));
  if (!d.removed.empty()) parts.push_back(fmt::format("-{} removed", d.removed.size()));
  if (!d.renamed.empty()) parts.push_back(fmt::format("~{} renamed", d.renamed.size()));
  if (!d.type_changed.empty()) {
    parts.push_back(fmt::format("{} type change(s)", d.type_changed.size()));
  }
  if (parts.empty()) return "no field changes";
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : ", ") + p;
  return out;
}

std::string RenderSources(const std::vector<registry::SourceSummary>& sources, bool color) {
  if (sources.empty()) return "no sources yet\n";
  std::vector<std::vector<Cell>> rows;
  for (const auto& s : sources) {
    Cell latest("-");
    if (s.latest_status) {
      latest = Cell(fmt::format("{} {}", s.latest_version, registry::StatusName(*s.latest_status)),
                    *s.latest_status == VersionStatus::kBreaking ? Style::kBoldRed : Style::kPlain);
    }
    // A BREAKING version stays unresolved also when a later additive one is ACTIVE.
    const Cell breaking =
        s.breaking_versions.empty()
            ? Cell("-")
            : Cell(fmt::format("{}", fmt::join(s.breaking_versions, ",")), Style::kBoldRed);
    rows.push_back(
        {s.source_id, std::to_string(s.versions), latest,
         s.active_version > 0 ? std::to_string(s.active_version) : "-", breaking,
         std::to_string(s.payloads), std::to_string(s.records),
         Cell(std::to_string(s.dead_letters), s.dead_letters > 0 ? Style::kYellow : Style::kPlain),
         s.last_payload_at.empty() ? "-" : s.last_payload_at});
  }
  return RenderTable({"SOURCE", "VERSIONS", "LATEST", "ACTIVE", "BREAKING", "PAYLOADS", "RECORDS",
                      "DEAD LETTERS", "LAST PAYLOAD AT"},
                     rows, color);
}

std::string RenderHistory(const std::string& source_id, const std::vector<SchemaVersion>& versions,
                          const std::vector<registry::StatusChange>& history, bool color) {
  std::string out =
      Paint(fmt::format("{}: {} version(s)", source_id, versions.size()), Style::kBold, color) +
      "\n";
  std::vector<std::vector<Cell>> rows;
  for (const auto& v : versions) {
    rows.push_back({std::to_string(v.version), StatusCell(v.status),
                    registry::CompatibilityName(v.compatibility), v.created_at,
                    std::to_string(v.payloads), std::to_string(v.records), DiffSummary(v), v.note});
  }
  out += RenderTable(
      {"VERSION", "STATUS", "COMPAT", "CREATED_AT", "PAYLOADS", "RECORDS", "CHANGES", "NOTE"}, rows,
      color, 2);
  if (history.empty()) return out;
  out += Paint("status changes:", Style::kBold, color) + "\n";
  std::vector<std::vector<Cell>> changes;
  for (const auto& c : history) {
    const std::string what =
        c.from ? fmt::format("{} → {}", registry::StatusName(*c.from), registry::StatusName(c.to))
               : fmt::format("created {}", registry::StatusName(c.to));
    changes.push_back(
        {c.at, std::to_string(c.version), Cell(what, StatusStyle(c.to)), c.who, Cell(c.note)});
  }
  out += RenderTable({"AT", "VERSION", "CHANGE", "WHO", "NOTE"}, changes, color, 2, 100);
  return out;
}

std::string RenderVersion(const SchemaVersion& v, int64_t latest, bool color) {
  size_t live = 0;
  for (const auto& f : v.fields) live += f.removed ? 0 : 1;
  std::vector<std::vector<Cell>> header = {
      {"source", v.source_id},
      {"version", fmt::format("{} of {}", v.version, latest)},
      {"status", StatusCell(v.status)},
      {"compatibility",
       v.version > 1 ? fmt::format("{} (against version {})",
                                   registry::CompatibilityName(v.compatibility), v.version - 1)
                     : registry::CompatibilityName(v.compatibility)},
      {"fingerprint", v.fingerprint},
      {"created_at", v.created_at},
      {"promoted_at", v.promoted_at.value_or("never")},
      {"note", v.note.empty() ? "-" : v.note},
      {"mappings", v.mappings.empty() ? "-" : Mappings(v) + "  (new field → column)"},
      {"changes", DiffSummary(v)},
      {"observed", fmt::format("{} payload(s), {} record(s)", v.payloads, v.records)},
      {"fields", fmt::format("{} live, {} removed", live, v.fields.size() - live)},
  };
  // The header is a two-column table without a header line: print its rows only.
  std::string out;
  for (const auto& row : header) {
    out +=
        fmt::format("{:<15}{}\n", row[0].text, Paint(Clip(row[1].text, 200), row[1].style, color));
  }
  std::vector<std::vector<Cell>> rows;
  for (const auto& [f, depth] : TreeOrder(v.fields)) {
    std::string examples;
    for (const auto& e : f->stats.examples) {
      examples += (examples.empty() ? "" : ", ") + Scalar(e);
    }
    const Cell mode = f->removed    ? Cell("removed", Style::kRed)
                      : f->required ? Cell("required")
                                    : Cell("optional");
    rows.push_back({std::string(2 * depth, ' ') + f->path, std::string(FieldTypeName(f->type)),
                    mode, std::to_string(f->since_version), std::to_string(f->stats.present),
                    std::to_string(f->stats.nulls), Clip(Scalar(f->stats.min), 24),
                    Clip(Scalar(f->stats.max), 24), std::to_string(f->stats.distinct_approx),
                    examples});
  }
  out += "\n" + RenderTable({"FIELD", "TYPE", "MODE", "SINCE", "PRESENT", "NULLS", "MIN", "MAX",
                             "DISTINCT~", "EXAMPLES"},
                            rows, color, 2);
  return out;
}

}  // namespace latebind::cli
