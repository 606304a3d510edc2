#include "latebind/cli/schema_export.h"

#include <arrow/type.h>
#include <arrow/util/key_value_metadata.h>
#include <fmt/format.h>

#include "latebind/common/status.h"
#include "latebind/registry/arrow_schema.h"

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

bool Required(const arrow::Field& f) {
  return f.metadata() != nullptr &&
         f.metadata()->Get(registry::kArrowRequiredKey).ValueOr("") == "true";
}

arrow::Result<Json> JsonSchemaType(const arrow::DataType& type, bool nullable);

arrow::Result<Json> JsonSchemaObject(const arrow::FieldVector& fields, bool nullable) {
  Json properties = Json::object(), required = Json::array();
  for (const auto& f : fields) {
    ARROW_ASSIGN_OR_RAISE(properties[f->name()], JsonSchemaType(*f->type(), f->nullable()));
    if (Required(*f)) required.push_back(f->name());
  }
  Json out = {{"type", nullable ? Json::array({"object", "null"}) : Json("object")},
              {"properties", std::move(properties)}};
  if (!required.empty()) out["required"] = std::move(required);
  return out;
}

arrow::Result<Json> JsonSchemaType(const arrow::DataType& type, bool nullable) {
  auto typed = [nullable](const char* name) {
    return nullable ? Json::array({name, "null"}) : Json(name);
  };
  switch (type.id()) {
    case arrow::Type::BOOL:
      return Json{{"type", typed("boolean")}};
    case arrow::Type::INT64:
      return Json{{"type", typed("integer")}};
    case arrow::Type::DOUBLE:
      return Json{{"type", typed("number")}};
    case arrow::Type::STRING:
      return Json{{"type", typed("string")}};
    case arrow::Type::DATE32:
      return Json{{"type", typed("string")}, {"format", "date"}};
    case arrow::Type::TIMESTAMP:
      return Json{{"type", typed("string")}, {"format", "date-time"}};
    case arrow::Type::STRUCT:
      return JsonSchemaObject(type.fields(), nullable);
    case arrow::Type::LIST: {
      const auto& list = static_cast<const arrow::ListType&>(type);
      ARROW_ASSIGN_OR_RAISE(Json items,
                            JsonSchemaType(*list.value_type(), list.value_field()->nullable()));
      return Json{{"type", typed("array")}, {"items", std::move(items)}};
    }
    default:
      return Unmapped(type, "JSON Schema");
  }
}

}  // namespace

arrow::Result<Json> SparkSchemaJson(const arrow::Schema& schema) {
  return SparkFields(schema.fields());
}

arrow::Result<Json> JsonSchemaOf(const arrow::Schema& schema, const std::string& title) {
  ARROW_ASSIGN_OR_RAISE(Json body, JsonSchemaObject(schema.fields(), /*nullable=*/false));
  Json out = {{"$schema", "https://json-schema.org/draft/2020-12/schema"}, {"title", title}};
  for (auto& [key, value] : body.items()) out[key] = value;
  return out;
}

}  // namespace latebind::cli
