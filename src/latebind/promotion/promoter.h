// Promotion (DESIGN.md §6, docs/promotion.md, ADR-028): per source, independently, the raw
// objects not yet in the ledger are bound to the source's ACTIVE schema, written as zstd
// Parquet to staging/, committed in the registry in one transaction and then published
// into curated/<table>/. A crash at any instant leaves the old table or the new one; the
// next run finishes (publishes) a committed run and deletes an uncommitted one's staging.
#pragma once

#include <arrow/result.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "latebind/promotion/parquet_output.h"
#include "latebind/registry/registry.h"
#include "latebind/storage/object_store.h"

namespace latebind::promotion {

struct PromoteOptions {
  std::vector<std::string> sources;  // empty: every source the registry knows
  bool override_breaking = false;
  // > 0: also re-promote the objects applied under this version or later (RepromotionSet).
  int64_t repromote_since_version = 0;
  ParquetOutputOptions parquet;
  int64_t file_bytes = 1024ll << 20;
  int threads = 0;  // binder threads; 0: one per hardware thread
  // Where the per-source lock files live (<home>/locks); empty: no cross-process locking.
  std::string lock_dir;
  // Structured log lines (json_log.h) for each outcome: on in serve, off for the CLI, which
  // prints its own report.
  bool log = false;
  // Progress of the source being promoted: raw bytes bound so far, and in all.
  std::function<void(const std::string& source, uint64_t done, uint64_t total)> progress;
};

enum class PromoteStatus { kPromoted, kUpToDate, kBlocked, kBusy, kFailed };
const char* PromoteStatusName(PromoteStatus status);  // "promoted", "up_to_date", ...

struct SourcePromotion {
  std::string source;
  std::string table;
  PromoteStatus status = PromoteStatus::kUpToDate;
  int64_t version = 0;  // the version bound (0 when nothing was bound)
  int64_t objects = 0;
  int64_t rows = 0;
  int64_t rescued_rows = 0;
  std::string run_id;
  std::vector<std::string> files;          // curated keys written
  std::vector<std::string> retired_files;  // curated keys replaced (re-promotion)
  std::vector<int64_t> breaking_versions;  // why it was blocked (or overridden)
  std::string error;                       // kFailed
  double seconds = 0;
};

class Promoter {
 public:
  Promoter(storage::ObjectStore* store, registry::Registry* registry)
      : store_(store), registry_(registry) {}

  // Promotes each source in turn; one source's failure is its result's status, never
  // another's. Errors: kNotFound for a source named in options.sources that the registry
  // does not know; kUnavailable when the registry cannot list sources.
  arrow::Result<std::vector<SourcePromotion>> Run(const PromoteOptions& options);

  SourcePromotion PromoteSource(const std::string& source_id, const PromoteOptions& options);

 private:
  arrow::Status Promote(const std::string& source_id, const PromoteOptions& options,
                        SourcePromotion* out);
  // Publishes the source's committed but unpublished runs, and deletes the staging of
  // its runs that never committed. Called with the source's lock held.
  arrow::Status Recover(const std::string& source_id);
  arrow::Status Publish(const registry::PromotionRun& run);
  // Whether any file of `table` was written under columns other than `named`.
  arrow::Result<bool> ColumnsChanged(const std::string& table,
                                     const std::vector<registry::SchemaVersion>& versions,
                                     const arrow::Schema& named,
                                     const std::map<std::string, std::string>& known);

  storage::ObjectStore* store_;
  registry::Registry* registry_;
};

}  // namespace latebind::promotion
