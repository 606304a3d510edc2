// JSON forms of the registry model: what the registry stores in its JSON columns, what
// `--json` listings print and what the HTTP API returns (docs/openapi.json). Stable:
// members are only ever added.
#pragma once

#include <arrow/result.h>

#include <nlohmann/json.hpp>

#include "latebind/registry/schema.h"

namespace latebind::registry {

using Json = nlohmann::ordered_json;

// kStored adds what only the registry's own column holds, each field's
// `distinct_payload_max`, `distinct_sketch` (HyperLogLog::Serialize's text, left out
// when empty) and `mixed` (only when true; absent reads as false), which stay internal:
// kPublic is the `--json` and HTTP form.
enum class FieldsForm { kPublic, kStored };
Json FieldsToJson(const std::vector<FieldSchema>& fields, FieldsForm form = FieldsForm::kPublic);
// Reads either form. A field without a sketch (the public form, or stored before sketches
// were kept) has none, and its largest payload estimate is taken to be its distinct count,
// which is what such a registry stored. kUnavailable for a record that is corrupt.
arrow::Result<std::vector<FieldSchema>> FieldsFromJson(const Json& j);
Json DiffToJson(const FieldDiff& diff);
arrow::Result<FieldDiff> DiffFromJson(const Json& j);
Json MappingsToJson(const std::map<std::string, std::string>& mappings);
Json VersionToJson(const SchemaVersion& v);
Json StatusChangeToJson(const StatusChange& c);
Json SourceToJson(const SourceSummary& s);

}  // namespace latebind::registry
