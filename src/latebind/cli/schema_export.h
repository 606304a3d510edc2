// `latebind schema export --format spark|jsonschema`: the bound Arrow schema of a version
// (registry/arrow_schema.h, the one registry → type mapping) written in other engines'
// schema languages. Pure functions; thread-safe.
#pragma once

#include <arrow/result.h>
#include <arrow/type_fwd.h>

#include "latebind/registry/schema_json.h"

namespace latebind::cli {

// Spark's StructType JSON, as pyspark's StructType.fromJson and Scala's DataType.fromJson
// read it: {"type":"struct","fields":[{"name","type","nullable","metadata"}]}; int64 →
// long, double → double, utf8 → string, bool → boolean, date32 → date, timestamp →
// timestamp, list → {"type":"array","elementType",…,"containsNull":true}, struct → struct.
// Every field nullable (arrow_schema.h says why). kInternal for an Arrow type it does not
// map (none that ToArrowSchema makes).
arrow::Result<registry::Json> SparkSchemaJson(const arrow::Schema& schema);

// A JSON Schema (draft 2020-12) for one record of the bound schema: properties typed as the
// columns, each also allowing null; "required" lists the fields the registry calls
// required (present in every record); dates and timestamps are strings with format date /
// date-time. Other members are allowed (raw records carry fields promotion does not bind).
arrow::Result<registry::Json> JsonSchemaOf(const arrow::Schema& schema, const std::string& title);

}  // namespace latebind::cli
