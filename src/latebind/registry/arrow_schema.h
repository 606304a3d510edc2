// The bound schema of a version (DESIGN.md §6, §7 `schema export`): the registry's field
// paths turned into an Arrow schema, the one type mapping shared by `schema export` and the
// promotion engine, so that what other engines bind and what latebind writes agree.
#pragma once

#include <arrow/result.h>
#include <arrow/type_fwd.h>

#include <memory>
#include <string>
#include <vector>

#include "latebind/registry/schema.h"

namespace latebind::registry {

// Field metadata keys set on every exported field.
inline constexpr char kArrowPathKey[] = "latebind.path";  // the registry path it is typed from
inline constexpr char kArrowRequiredKey[] = "latebind.required";  // "true" | "false"
// On a column that confirmed renames fill from more than one field: "latebind.also_from.0",
// ".1", … hold the other registry paths whose values it takes (FilledFrom).
inline constexpr char kArrowAlsoFromKey[] = "latebind.also_from";
// How many struct and list levels a curated column may nest; deeper values are JSON text.
inline constexpr int kMaxColumnNesting = 16;

// The Arrow schema a version binds to:
//
// - Columns: every field of the version, a field marked removed included (DESIGN.md §4: a
//   removed field stays, marked removed): typed as it was last, at its place, so a removal
//   (BACKWARD: readers on the new schema read old data) never drops a curated column;
//   records without it hold null there. A confirmed mapping (v.mappings, new → old) NEW=OLD
//   names the column OLD (the curated column keeps its name), places it where OLD sat and
//   types it from NEW; NEW is not a column of its own, nor is OLD a second time. The
//   mapping holds after NEW is removed in its turn (column OLD stays, typed from NEW).
//   Mappings compose (rename_chain.h): b=a then c=b bind a, b and c to the one column a,
//   typed from the chain's head c (the field no mapping continues), whose metadata lists
//   a and b under kArrowAlsoFromKey; a cycle (b=a then a=b) binds to the column listed
//   first.
// - Nesting: `a.b` is field b of struct column a; `a[]` is the element of list column a and
//   `a[].b` a field of a list of structs. An object never seen with a key binds as a string
//   (its JSON text), an array never seen with an element as list<string>. Nesting stops
//   at kMaxColumnNesting levels of structs and lists: an object or array deeper than that
//   binds as a string, its JSON text (readers refuse or crawl on deeper types: pyarrow
//   refuses past 100 levels, DuckDB takes seconds per row of 25 nested lists).
// - Types: boolean → bool, int64 → int64, float64 → double, string → utf8,
//   date → date32, timestamp → timestamp[us, tz=UTC]; null (only nulls seen so far) → utf8,
//   the type that holds whatever comes later without a lossy cast.
// - Nullability: every field is nullable. `required` in the registry means "present in
//   every record", not "never null" (nulls count as present), and promotion puts a value
//   that does not cast into _rescued_data, leaving a null behind; raw objects of older
//   versions may also be bound to a newer one. The required flag is kept as the field's
//   kArrowRequiredKey metadata ("false" for a removed field), the source path as
//   kArrowPathKey.
// - Schema metadata: latebind.source_id, latebind.version, latebind.fingerprint.
//
// Column names are the registry's (not normalised: that is promotion's step). Fields keep
// the order of the version's field list. Pure; kInternal only if Arrow refuses a type.
arrow::Result<std::shared_ptr<arrow::Schema>> ToArrowSchema(const SchemaVersion& version);

// Every registry path whose values fill `field` (a field of ToArrowSchema's output): its
// kArrowPathKey first, then those of kArrowAlsoFromKey in the version's field order. Empty
// for a field without metadata.
std::vector<std::string> FilledFrom(const arrow::Field& field);

}  // namespace latebind::registry
