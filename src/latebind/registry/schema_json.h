// JSON forms of the registry model: what the registry stores in its JSON columns, what
// `--json` listings print and what the HTTP API returns (docs/openapi.json). Stable:
// members are only ever added.
#pragma once

#include <arrow/result.h>

#include <nlohmann/json.hpp>

#include "latebind/registry/schema.h"

namespace latebind::registry {

using Json = nlohmann::ordered_json;

Json FieldsToJson(const std::vector<FieldSchema>& fields);
arrow::Result<std::vector<FieldSchema>> FieldsFromJson(const Json& j);
Json DiffToJson(const FieldDiff& diff);
arrow::Result<FieldDiff> DiffFromJson(const Json& j);
Json MappingsToJson(const std::map<std::string, std::string>& mappings);
Json VersionToJson(const SchemaVersion& v);
Json StatusChangeToJson(const StatusChange& c);
Json SourceToJson(const SourceSummary& s);

}  // namespace latebind::registry
