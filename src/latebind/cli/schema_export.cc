#include "latebind/cli/schema_export.h"

#include <arrow/type.h>
#include <fmt/format.h>

#include <string>
#include <unordered_map>
#include <vector>

#include "latebind/common/field_path.h"
#include "latebind/common/status.h"

namespace latebind::cli {
namespace {

using registry::Json;

arrow::Status Unmapped(const arrow::DataType& type, const char* format) {
  return MakeError(ErrorKind::kInternal,
                   fmt::format("no {} type for Arrow type {}", format, type.ToString()));
}

arrow::Result<Json> SparkType(const arrow::DataType& type);

arrow::Result<Json> SparkFields(const arrow::FieldVector& fields) {
  Json out = Json::array();
  for (const auto& f : fields) {
    ARROW_ASSIGN_OR_RAISE(Json type, SparkType(*f->type()));
    out.push_back({{"name", f->name()},
                   {"type", std::move(type)},
                   {"nullable", f->nullable()},
                   {"metadata", Json::object()}});
  }
  return Json{{"type", "struct"}, {"fields", std::move(out)}};
}

arrow::Result<Json> SparkType(const arrow::DataType& type) {
  switch (type.id()) {
    case arrow::Type::BOOL:
      return Json("boolean");
    case arrow::Type::INT64:
      return Json("long");
    case arrow::Type::DOUBLE:
      return Json("double");
    case arrow::Type::STRING:
      return Json("string");
    case arrow::Type::DATE32:
      return Json("date");
    case arrow::Type::TIMESTAMP:
      return Json("timestamp");  // Spark's timestamp is UTC-normalised, as ours
    case arrow::Type::STRUCT:
      return SparkFields(type.fields());
    case arrow::Type::LIST: {
      const auto& list = static_cast<const arrow::ListType&>(type);
      ARROW_ASSIGN_OR_RAISE(Json element, SparkType(*list.value_type()));
      return Json{{"type", "array"},
                  {"elementType", std::move(element)},
                  {"containsNull", list.value_field()->nullable()}};
    }
    default:
      return Unmapped(type, "Spark");
  }
}

// The raw records' schema, walked from the version's field paths (parents before children).
class RawRecordSchema {
 public:
  explicit RawRecordSchema(const registry::SchemaVersion& v) {
    for (const registry::FieldSchema& f : v.fields) {
      if (f.path.empty()) continue;  // "" (before ADR-103) would be its own member
      by_path_.emplace(f.path, &f);
      if (!IsElementPath(f.path)) members_[std::string(ParentPath(f.path))].push_back(&f);
    }
  }

  // The members of the object at `path` ("" for the record), whose own since_version is
  // `since`: a member is required only if every object since then had it.
  Json Object(const std::string& path, int64_t since) {
    Json properties = Json::object(), required = Json::array();
    for (const registry::FieldSchema* m : members_[path]) {
      const std::string key = UnescapeKey(LastSegment(m->path));
      properties[key] = Value(*m);
      if (m->required && !m->removed && m->since_version <= since) required.push_back(key);
    }
    Json out = {{"properties", std::move(properties)}};
    if (!required.empty()) out["required"] = std::move(required);
    return out;
  }

 private:
  Json Value(const registry::FieldSchema& f) {
    auto typed = [](const char* name) { return Json{{"type", Json::array({name, "null"})}}; };
    // Checked before the type: a mix is typed string, its children bound as its JSON text.
    if (f.mixed) return Json{{"description", "values of more than one JSON type seen"}};
    switch (f.type) {
      case FieldType::kNull:
        return Json{{"description", "only nulls seen so far"}};
      case FieldType::kBoolean:
        return typed("boolean");
      case FieldType::kInt64:
        return typed("integer");
      case FieldType::kFloat64:
        return typed("number");
      case FieldType::kString:
        return typed("string");
      case FieldType::kDate:
        return Json{{"type", Json::array({"string", "null"})}, {"format", "date"}};
      case FieldType::kTimestamp:
        return Json{{"type", Json::array({"string", "null"})},
                    {"pattern", kTimestampPattern},
                    {"description",
                     "ISO 8601 date-time as latebind reads it (seconds and zone optional, "
                     "'T' or space), or a date"}};
      case FieldType::kObject: {
        Json out = typed("object");
        if (members_[f.path].empty()) {
          out["description"] = "an object never seen with a key";
          return out;
        }
        Json members = Object(f.path, f.since_version);
        for (auto& [key, value] : members.items()) out[key] = std::move(value);
        return out;
      }
      case FieldType::kArray: {
        Json out = typed("array");
        const auto element = by_path_.find(ElementPath(f.path));
        if (element == by_path_.end()) {
          out["description"] = "an array never seen with an element";
        } else {
          out["items"] = Value(*element->second);
        }
        return out;
      }
    }
    return Json::object();
  }

  std::unordered_map<std::string, const registry::FieldSchema*> by_path_;
  std::unordered_map<std::string, std::vector<const registry::FieldSchema*>> members_;
};

}  // namespace

arrow::Result<Json> SparkSchemaJson(const arrow::Schema& schema) {
  return SparkFields(schema.fields());
}

Json JsonSchemaOf(const registry::SchemaVersion& version, const std::string& title) {
  Json out = {{"$schema", "https://json-schema.org/draft/2020-12/schema"},
              {"title", title},
              {"type", "object"}};
  RawRecordSchema raw(version);
  Json members = raw.Object("", /*since=*/1);
  for (auto& [key, value] : members.items()) out[key] = std::move(value);
  return out;
}

}  // namespace latebind::cli
