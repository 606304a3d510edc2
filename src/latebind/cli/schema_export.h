// `latebind schema export --format spark|jsonschema`: the bound Arrow schema of a version
// (registry/arrow_schema.h, the one registry → type mapping) written in Spark's schema
// language, and a JSON Schema of the raw records the version was learned from. Pure
// functions; thread-safe.
#pragma once

#include <arrow/result.h>
#include <arrow/type_fwd.h>

#include <string>

#include "latebind/registry/schema.h"
#include "latebind/registry/schema_json.h"

namespace latebind::cli {

// Spark's StructType JSON, as pyspark's StructType.fromJson and Scala's DataType.fromJson
// read it: {"type":"struct","fields":[{"name","type","nullable","metadata"}]}; int64 →
// long, double → double, utf8 → string, bool → boolean, date32 → date, timestamp →
// timestamp, list → {"type":"array","elementType",…,"containsNull":true}, struct → struct.
// Every field nullable (arrow_schema.h says why). kInternal for an Arrow type it does not
// map (none that ToArrowSchema makes).
arrow::Result<registry::Json> SparkSchemaJson(const arrow::Schema& schema);

// A JSON Schema (draft 2020-12) of one raw record of `version`, as producers send it: every
// record the version (and the versions before it) was learned from validates, with format
// assertion on. Unlike the formats above it describes the raw keys and values, not the bound
// columns: a field under its own key (confirmed renames do not move it; a removed field is
// still a property, typed as it was last), each also allowing null (nulls count as present).
// - `required`: a member required by the registry (present in every record) that is not
//   removed and has been there since its object first appeared (since version 1 at the top
//   level): a field added later is missing from the records before it.
// - Types: boolean, integer, number, string; a date a string of format date (the profiler's
//   date is RFC 3339's full-date); a timestamp a string matching kTimestampPattern (the
//   profiler's grammar, wider than RFC 3339's date-time, so no format is claimed); an
//   object its members as properties, one never seen with a key just an object; an array
//   its element as items, one never seen with an element just an array. A field whose values
//   mixed kinds (FieldSchema::mixed) or that held only nulls has no type constraint.
// Other members are allowed (keys past the profiler's field limit, or of later versions).
// Pure; thread-safe.
registry::Json JsonSchemaOf(const registry::SchemaVersion& version, const std::string& title);

// What the profiler types timestamp (profiler::ClassifyString), as an ECMA-262 pattern: a
// real calendar date (February 29 only in leap years), then [Tt ]HH:MM[:SS[.f]] (1 to 9
// digits after '.' or ',') and a zone Z, z, ±HH, ±HHMM or ±HH:MM, all optional after the
// date, since a timestamp field also holds the dates it was seen with. [0-9] rather than
// \d, which some engines (Python's re) let match non-ASCII digits.
inline constexpr char kTimestampPattern[] =
    "^([0-9]{4}-(0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])"
    "|[0-9]{4}-(0[469]|11)-(0[1-9]|[12][0-9]|30)"
    "|[0-9]{4}-02-(0[1-9]|1[0-9]|2[0-8])"
    "|([0-9]{2}(0[48]|[2468][048]|[13579][26])|([02468][048]|[13579][26])00)-02-29)"
    "([Tt ]([01][0-9]|2[0-3]):[0-5][0-9](:([0-5][0-9]|60)([.,][0-9]{1,9})?)?"
    "([Zz]|[+-]([01][0-9]|2[0-3])(:?[0-5][0-9])?)?)?$";

}  // namespace latebind::cli
