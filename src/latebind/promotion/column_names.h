// Curated column names (DESIGN.md §6): the registry's field names normalised for every
// engine that reads the table — lowercase, [a-z0-9_] — with collisions resolved
// deterministically and each path's name kept for the life of the table.
#pragma once

#include <arrow/result.h>
#include <arrow/type_fwd.h>

#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace latebind::promotion {

// The lineage and rescue columns promotion adds after the bound fields.
inline constexpr char kRescuedColumn[] = "_rescued_data";
inline constexpr char kSourceObjectColumn[] = "_source_object";
inline constexpr char kIngestedAtColumn[] = "_ingested_at";
// The hive partition key of the curated layout (curated/<table>/ingest_date=<day>/…):
// readers add it as a column, so no field may be named like it either.
inline constexpr char kPartitionColumn[] = "ingest_date";

// Lowercase; every character (UTF-8) outside [a-z0-9_] becomes '_'; "" becomes "_"; a leading digit
// gets a '_' prefix.
std::string NormaliseName(std::string_view name);

struct NamedSchema {
  // The bound schema with every field (struct members too) renamed; types and metadata
  // unchanged.
  std::shared_ptr<arrow::Schema> schema;
  // Names given by this call, keyed by the node's key: its registry path (the
  // latebind.path field metadata) for a field typed from the registry, else its bound path.
  std::map<std::string, std::string> assigned;
};

// Names the fields of `bound` (registry::ToArrowSchema's output). `known` holds the names
// the table gave earlier (same keys as `assigned`) and wins; the rest are normalised and,
// among siblings in field order, a name already taken (by a known name, an earlier
// sibling, or at the top level one of the three added columns or the partition key) gets
// the first free suffix
// _2, _3, … Deterministic: the same inputs give the same names.
NamedSchema NameColumns(const arrow::Schema& bound,
                        const std::map<std::string, std::string>& known);

// The key NameColumns uses for a field at bound path `bound_path`.
std::string ColumnKey(const arrow::Field& field, const std::string& bound_path);

// The columns of a named schema as a curated file records them (registry::CuratedFile::
// columns): names and types, nested ones included, no metadata.
std::string ColumnsOf(const arrow::Schema& named);

}  // namespace latebind::promotion
