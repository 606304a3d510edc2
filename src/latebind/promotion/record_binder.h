// Binds raw records to a curated table's schema (DESIGN.md §6, docs/promotion.md "Binding
// a value"): every value cast to its column's type, confirmed renames followed, what does
// not fit kept in _rescued_data under its path, lineage columns added. JSON through
// simdjson, CSV through the profiler's tokenizer; text fits a column exactly when the
// profiler's classification types it so, and is then parsed (Arrow's parsers for dates and
// timestamps).
#pragma once

#include <arrow/record_batch.h>
#include <arrow/result.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "latebind/profiler/profile.h"
#include "latebind/registry/schema.h"

namespace latebind::promotion {

// Where the rows being bound came from.
struct Lineage {
  std::string source_object;   // the raw object's key
  int64_t ingested_at_us = 0;  // its received_at, microseconds since the epoch (UTC)
  uint64_t offset = 0;         // where the bound bytes start in the (decoded) object, for errors
};

// One thread's binder: appends rows to Arrow builders until Flush. Not thread-safe; each
// worker owns one (they are cheap to make).
class RecordBinder {
 public:
  virtual ~RecordBinder() = default;

  // `bound` is registry::ToArrowSchema(version) (the names records carry), `named` the
  // same schema with curated names (NameColumns); the output schema is `named`'s fields
  // followed by _rescued_data, _source_object and _ingested_at.
  static arrow::Result<std::unique_ptr<RecordBinder>> Make(std::shared_ptr<arrow::Schema> bound,
                                                           std::shared_ptr<arrow::Schema> named,
                                                           const registry::SchemaVersion& version);

  // The schema of the batches Flush returns.
  virtual const std::shared_ptr<arrow::Schema>& schema() const = 0;

  // Binds the JSON records of `data`: NDJSON, concatenated values, or a top-level array
  // whose elements are records (each element one row). A record that is not an object is
  // a row of nulls with the value rescued under "$". Integer literals beyond 64 bits, which
  // simdjson rejects, are read as decimals, as the profiler read them. `data` must stay readable
  // for 64 bytes past its end (simdjson's padding). Errors: kBadInput naming `lineage`'s object and
  // the byte offset when the JSON does not parse (raw objects were profiled, so this means the
  // object changed under latebind).
  virtual arrow::Status BindJson(std::string_view data, const Lineage& lineage) = 0;

  // Binds CSV records of `data` (complete records only) under `dialect`, whose `columns`
  // name the cells; `skip_header` drops the first record.
  virtual arrow::Status BindCsv(std::string_view data, const profiler::CsvDialect& dialect,
                                bool skip_header, const Lineage& lineage) = 0;

  virtual int64_t rows() const = 0;
  // Rows with a _rescued_data value since the last Flush.
  virtual int64_t rescued_rows() const = 0;

  // The rows bound since the last Flush, as one batch; the binder starts empty again.
  virtual arrow::Result<std::shared_ptr<arrow::RecordBatch>> Flush() = 0;
};

}  // namespace latebind::promotion
