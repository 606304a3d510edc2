#include "latebind/registry/schema_json.h"

#include <fmt/format.h>

#include "latebind/common/status.h"
#include "latebind/profiler/profile_json.h"

namespace latebind::registry {
namespace {

profiler::ScalarValue ScalarFromJson(const Json& j) {
  if (j.is_boolean()) return j.get<bool>();
  if (j.is_number_integer()) return j.get<int64_t>();
  if (j.is_number()) return j.get<double>();
  if (j.is_string()) return j.get<std::string>();
  return std::monostate{};
}

std::optional<FieldType> ParseType(std::string_view name) {
  for (int i = 0; i < kFieldTypeCount; ++i) {
    const auto t = static_cast<FieldType>(i);
    if (FieldTypeName(t) == name) return t;
  }
  return std::nullopt;
}

arrow::Result<profiler::HyperLogLog> SketchFromJson(const Json& j) {
  if (!j.is_string()) return arrow::Status::Invalid("not a string");
  return profiler::HyperLogLog::Deserialize(j.get_ref<const std::string&>());
}

arrow::Status Corrupt(std::string_view what) {
  return MakeError(ErrorKind::kUnavailable, fmt::format("registry record is corrupt: {}", what));
}

}  // namespace

Json FieldsToJson(const std::vector<FieldSchema>& fields, FieldsForm form) {
  Json out = Json::array();
  for (const FieldSchema& f : fields) {
    Json examples = Json::array();
    for (const auto& e : f.stats.examples) examples.push_back(profiler::ScalarToJson(e));
    Json j = {{"path", f.path},
              {"type", std::string(FieldTypeName(f.type))},
              {"required", f.required},
              {"removed", f.removed},
              {"since_version", f.since_version},
              {"present", f.stats.present},
              {"nulls", f.stats.nulls},
              {"min", profiler::ScalarToJson(f.stats.min)},
              {"max", profiler::ScalarToJson(f.stats.max)},
              {"distinct_approx", f.stats.distinct_approx},
              {"examples", examples}};
    if (form == FieldsForm::kStored) {
      if (f.mixed) j["mixed"] = true;  // only when set: most fields never are
      j["distinct_payload_max"] = f.stats.distinct_payload_max;
      // Serialize's text rather than an array of 1,024 numbers: ~690 characters for a dense
      // sketch, a few for a sparse one, and every payload's arrival reads and writes them.
      if (!f.stats.sketch.empty()) j["distinct_sketch"] = f.stats.sketch.Serialize();
    }
    out.push_back(std::move(j));
  }
  return out;
}

arrow::Result<std::vector<FieldSchema>> FieldsFromJson(const Json& j) {
  if (!j.is_array()) return Corrupt("fields is not an array");
  std::vector<FieldSchema> out;
  for (const Json& f : j) {
    if (!f.is_object() || !f.contains("path") || !f.contains("type")) {
      return Corrupt("a field has no path or type");
    }
    FieldSchema s;
    s.path = f["path"].get<std::string>();
    const auto type = ParseType(f["type"].get<std::string>());
    if (!type) return Corrupt(fmt::format("field {} has an unknown type", s.path));
    s.type = *type;
    s.required = f.value("required", false);
    s.removed = f.value("removed", false);
    s.mixed = f.value("mixed", false);
    s.since_version = f.value("since_version", int64_t{1});
    s.stats.present = f.value("present", uint64_t{0});
    s.stats.nulls = f.value("nulls", uint64_t{0});
    if (f.contains("min")) s.stats.min = ScalarFromJson(f["min"]);
    if (f.contains("max")) s.stats.max = ScalarFromJson(f["max"]);
    s.stats.distinct_approx = f.value("distinct_approx", uint64_t{0});
    // Before sketches were kept, distinct_approx was the largest payload estimate.
    s.stats.distinct_payload_max = f.value("distinct_payload_max", s.stats.distinct_approx);
    if (f.contains("distinct_sketch")) {
      auto sketch = SketchFromJson(f["distinct_sketch"]);
      if (!sketch.ok()) {
        return Corrupt(fmt::format("field {} has a bad distinct_sketch ({})", s.path,
                                   sketch.status().message()));
      }
      s.stats.sketch = std::move(*sketch);
    }
    if (f.contains("examples") && f["examples"].is_array()) {
      for (const Json& e : f["examples"]) s.stats.examples.push_back(ScalarFromJson(e));
    }
    out.push_back(std::move(s));
  }
  return out;
}

Json DiffToJson(const FieldDiff& d) {
  Json renamed = Json::object();
  for (const auto& [from, r] : d.renamed) {
    renamed[from] = {{"to", r.to}, {"confidence", r.confidence}};
  }
  Json changed = Json::object();
  for (const auto& [path, c] : d.type_changed) {
    changed[path] = {{"from", std::string(FieldTypeName(c.from))},
                     {"to", std::string(FieldTypeName(c.to))}};
  }
  Json rejected = Json::array();
  for (const auto& c : d.rejected_renames) {
    rejected.push_back({{"from", c.from}, {"to", c.to}, {"confidence", c.confidence}});
  }
  return {{"added", d.added},
          {"removed", d.removed},
          {"renamed", renamed},
          {"type_changed", changed},
          {"rename_candidates_rejected", rejected}};
}

arrow::Result<FieldDiff> DiffFromJson(const Json& j) {
  if (!j.is_object()) return Corrupt("field_diff is not an object");
  FieldDiff d;
  d.added = j.value("added", std::vector<std::string>{});
  d.removed = j.value("removed", std::vector<std::string>{});
  if (j.contains("renamed")) {
    for (const auto& [from, r] : j["renamed"].items()) {
      d.renamed[from] = {r.value("to", ""), r.value("confidence", 0.0)};
    }
  }
  if (j.contains("type_changed")) {
    for (const auto& [path, c] : j["type_changed"].items()) {
      const auto from = ParseType(c.value("from", ""));
      const auto to = ParseType(c.value("to", ""));
      if (!from || !to) return Corrupt(fmt::format("type change of {} is unknown", path));
      d.type_changed[path] = {*from, *to};
    }
  }
  if (j.contains("rename_candidates_rejected")) {
    for (const Json& c : j["rename_candidates_rejected"]) {
      d.rejected_renames.push_back(
          {c.value("from", ""), c.value("to", ""), c.value("confidence", 0.0)});
    }
  }
  return d;
}

Json MappingsToJson(const std::map<std::string, std::string>& mappings) {
  Json out = Json::object();
  for (const auto& [to, from] : mappings) out[to] = from;
  return out;
}

Json VersionToJson(const SchemaVersion& v) {
  return {{"source_id", v.source_id},
          {"version", v.version},
          {"sk", v.sk},
          {"status", StatusName(v.status)},
          {"compatibility", CompatibilityName(v.compatibility)},
          {"created_at", v.created_at},
          {"promoted_at", v.promoted_at ? Json(*v.promoted_at) : Json(nullptr)},
          {"note", v.note},
          {"fingerprint", v.fingerprint},
          {"mappings", MappingsToJson(v.mappings)},
          {"payloads", v.payloads},
          {"records", v.records},
          {"first_object", v.first_object},
          {"updated_at", v.updated_at},
          {"field_diff", DiffToJson(v.field_diff)},
          {"fields", FieldsToJson(v.fields)}};
}

Json StatusChangeToJson(const StatusChange& c) {
  return {{"source_id", c.source_id},
          {"version", c.version},
          {"from", c.from ? Json(StatusName(*c.from)) : Json(nullptr)},
          {"to", StatusName(c.to)},
          {"who", c.who},
          {"at", c.at},
          {"note", c.note}};
}

Json SourceToJson(const SourceSummary& s) {
  return {{"source_id", s.source_id},
          {"versions", s.versions},
          {"latest_version", s.latest_version},
          {"latest_status", s.latest_status ? Json(StatusName(*s.latest_status)) : Json(nullptr)},
          {"active_version", s.active_version},
          {"breaking_versions", s.breaking_versions},
          {"payloads", s.payloads},
          {"records", s.records},
          {"dead_letters", s.dead_letters},
          {"created_at", s.created_at},
          {"last_payload_at", s.last_payload_at}};
}

}  // namespace latebind::registry
