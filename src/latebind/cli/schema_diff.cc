#include "latebind/cli/schema_diff.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "latebind/cli/schema_render.h"
#include "latebind/cli/text_table.h"
#include "latebind/common/field_path.h"

namespace latebind::cli {
namespace {

using registry::Json;
using registry::SchemaVersion;

const SchemaVersion* Find(const std::vector<SchemaVersion>& versions, int64_t number) {
  for (const SchemaVersion& v : versions) {
    if (v.version == number) return &v;
  }
  return nullptr;
}

// `path` is `of` or lies under it (a.b under a, a[].b under a).
bool WithinAny(const std::string& path, const std::set<std::string>& roots) {
  return std::any_of(roots.begin(), roots.end(),
                     [&](const std::string& r) { return IsWithin(path, r); });
}

std::map<std::string, const registry::FieldSchema*> Live(const SchemaVersion& v) {
  std::map<std::string, const registry::FieldSchema*> out;
  for (const auto& f : v.fields) {
    if (!f.removed) out[f.path] = &f;
  }
  return out;
}

// Renames recorded by the versions in between, each marked confirmed when the later of A
// and B holds its mapping.
void CollectRenames(SchemaDiff* d, const SchemaVersion& later, bool backwards) {
  for (const SchemaVersion* v : d->between) {
    for (const auto& [from, r] : v->field_diff.renamed) {
      RenameEntry e{from, r.to, r.confidence, v->version, false};
      const auto m = later.mappings.find(r.to);
      e.confirmed = m != later.mappings.end() && m->second == from;
      if (backwards) std::swap(e.from, e.to);
      d->renamed.push_back(std::move(e));
    }
    for (const auto& c : v->field_diff.rejected_renames) {
      RenameEntry e{c.from, c.to, c.confidence, v->version, false};
      if (backwards) std::swap(e.from, e.to);
      d->rejected_renames.push_back(std::move(e));
    }
  }
}

std::string Mode(bool required) { return required ? "required" : "optional"; }

}  // namespace

SchemaDiff DiffVersions(const std::vector<SchemaVersion>& versions, int64_t a, int64_t b) {
  SchemaDiff d;
  const SchemaVersion* va = Find(versions, a);
  const SchemaVersion* vb = Find(versions, b);
  d.from_version = a;
  d.to_version = b;
  d.target = vb;
  if (va == nullptr || vb == nullptr) return d;  // the caller checked; nothing to compare
  d.source_id = vb->source_id;
  const int64_t lo = std::min(a, b), hi = std::max(a, b);
  for (const SchemaVersion& v : versions) {
    if (v.version > lo && v.version <= hi) d.between.push_back(&v);
  }
  CollectRenames(&d, a > b ? *va : *vb, a > b);
  std::set<std::string> rename_sources, rename_targets;
  for (const RenameEntry& r : d.renamed) {
    rename_sources.insert(r.from);
    rename_targets.insert(r.to);
  }
  const auto live_a = Live(*va), live_b = Live(*vb);
  for (const auto& f : vb->fields) {
    if (f.removed) continue;
    const auto old = live_a.find(f.path);
    if (old == live_a.end()) {
      if (!WithinAny(f.path, rename_targets)) d.added.push_back({f.path, f.type, f.required});
      continue;
    }
    if (old->second->type != f.type) d.type_changed.push_back({f.path, old->second->type, f.type});
    if (old->second->required != f.required) {
      d.required_changed.push_back({f.path, old->second->required, f.required});
    }
  }
  for (const auto& f : va->fields) {
    if (f.removed || live_b.count(f.path) || WithinAny(f.path, rename_sources)) continue;
    d.removed.push_back({f.path, f.type, f.required});
  }
  return d;
}

Json SchemaDiffToJson(const SchemaDiff& d) {
  auto change = [](const FieldChange& c) {
    return Json{
        {"path", c.path}, {"type", std::string(FieldTypeName(c.type))}, {"required", c.required}};
  };
  Json added = Json::array(), removed = Json::array(), types = Json::array(),
       required = Json::array(), renamed = Json::array(), rejected = Json::array(),
       between = Json::array();
  for (const auto& c : d.added) added.push_back(change(c));
  for (const auto& c : d.removed) removed.push_back(change(c));
  for (const auto& t : d.type_changed) {
    types.push_back({{"path", t.path},
                     {"from", std::string(FieldTypeName(t.from))},
                     {"to", std::string(FieldTypeName(t.to))}});
  }
  for (const auto& r : d.required_changed) {
    required.push_back({{"path", r.path}, {"from", Mode(r.from)}, {"to", Mode(r.to)}});
  }
  for (const auto& r : d.renamed) {
    renamed.push_back({{"from", r.from},
                       {"to", r.to},
                       {"confidence", r.confidence},
                       {"version", r.version},
                       {"confirmed", r.confirmed}});
  }
  for (const auto& r : d.rejected_renames) {
    rejected.push_back(
        {{"from", r.from}, {"to", r.to}, {"confidence", r.confidence}, {"version", r.version}});
  }
  for (const SchemaVersion* v : d.between) {
    between.push_back({{"version", v->version},
                       {"status", registry::StatusName(v->status)},
                       {"compatibility", registry::CompatibilityName(v->compatibility)}});
  }
  return {{"source_id", d.source_id},
          {"from", d.from_version},
          {"to", d.to_version},
          {"status", d.target ? Json(registry::StatusName(d.target->status)) : Json(nullptr)},
          {"compatibility",
           d.target ? Json(registry::CompatibilityName(d.target->compatibility)) : Json(nullptr)},
          {"mappings", d.target ? registry::MappingsToJson(d.target->mappings) : Json::object()},
          {"added", added},
          {"removed", removed},
          {"renamed", renamed},
          {"type_changed", types},
          {"required_changed", required},
          {"rename_candidates_rejected", rejected},
          {"versions", between}};
}

std::string RenderSchemaDiff(const SchemaDiff& d, bool color) {
  std::string out =
      Paint(fmt::format("diff {} v{} → v{}", d.source_id, d.from_version, d.to_version),
            Style::kBold, color) +
      "\n";
  if (d.target != nullptr) {
    const auto* t = d.target;
    out += fmt::format("v{}: {}, compatibility {}{}\n", t->version,
                       Paint(registry::StatusName(t->status), StatusStyle(t->status), color),
                       registry::CompatibilityName(t->compatibility),
                       t->version > 1 ? fmt::format(" (against v{})", t->version - 1) : "");
  }
  if (d.between.size() > 1) {
    std::string list;
    for (const auto* v : d.between) {
      list += fmt::format("{}v{} {} {}", list.empty() ? "" : ", ", v->version,
                          Paint(registry::StatusName(v->status), StatusStyle(v->status), color),
                          registry::CompatibilityName(v->compatibility));
    }
    // Every version after the older one, the newer one included: each recorded a step.
    out += fmt::format("versions since v{}: {}\n", std::min(d.from_version, d.to_version), list);
  }
  out += Paint(fmt::format("--- {} v{}", d.source_id, d.from_version), Style::kBold, color) + "\n";
  out += Paint(fmt::format("+++ {} v{}", d.source_id, d.to_version), Style::kBold, color) + "\n";
  size_t width = 0;
  for (const auto& c : d.added) width = std::max(width, c.path.size());
  for (const auto& c : d.removed) width = std::max(width, c.path.size());
  for (const auto& c : d.type_changed) width = std::max(width, c.path.size());
  for (const auto& c : d.required_changed) width = std::max(width, c.path.size());
  auto line = [&](const std::string& marker, const std::string& path, const std::string& what,
                  Style style) {
    out += Paint(fmt::format("{} {:<{}}  {}", marker, Clip(path, 200), width, what), style, color) +
           "\n";
  };
  for (const auto& r : d.renamed) {
    out += Paint(fmt::format("R {} → {}  renamed in v{}, confidence {:.2f}{}", Clip(r.from, 200),
                             Clip(r.to, 200), r.version, r.confidence,
                             r.confirmed ? ", confirmed (mapping kept)" : ", not confirmed"),
                 Style::kCyan, color) +
           "\n";
  }
  for (const auto& c : d.added) {
    line("+", c.path, fmt::format("{}, {}", FieldTypeName(c.type), Mode(c.required)),
         Style::kGreen);
  }
  for (const auto& c : d.removed) {
    line("-", c.path, fmt::format("{}, {}", FieldTypeName(c.type), Mode(c.required)), Style::kRed);
  }
  for (const auto& c : d.type_changed) {
    line("~", c.path, fmt::format("type {} → {}", FieldTypeName(c.from), FieldTypeName(c.to)),
         Style::kYellow);
  }
  for (const auto& c : d.required_changed) {
    line("~", c.path, fmt::format("{} → {}", Mode(c.from), Mode(c.to)), Style::kYellow);
  }
  for (const auto& r : d.rejected_renames) {
    out += Paint(fmt::format("  rejected rename candidate in v{}: {} → {} (confidence {:.2f})",
                             r.version, Clip(r.from, 200), Clip(r.to, 200), r.confidence),
                 Style::kDim, color) +
           "\n";
  }
  std::vector<std::string> counts;
  auto count = [&counts](size_t n, const char* what) {
    if (n > 0) counts.push_back(fmt::format("{} {}", n, what));
  };
  count(d.added.size(), "added");
  count(d.removed.size(), "removed");
  count(d.renamed.size(), "renamed");
  count(d.type_changed.size(), "type change(s)");
  count(d.required_changed.size(), "required/optional change(s)");
  std::string summary;
  for (const std::string& c : counts) summary += (summary.empty() ? "" : ", ") + c;
  out += (summary.empty() ? "no field changes" : summary) + "\n";
  return out;
}

}  // namespace latebind::cli
