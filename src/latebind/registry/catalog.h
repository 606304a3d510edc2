// Promotion's records in the registry (DESIGN.md §6): the ledger of promoted raw objects
// (the watermark), promotion runs and their commit point, the catalog of curated tables and
// their files, each table's column names, and blocked promotions. Plain values; the calls
// are on Registry (registry.h).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "latebind/profiler/profile.h"

namespace latebind::registry {

// An applied payload (parsed and profiled, not dead-lettered) of a source.
struct PromotableObject {
  std::string object;   // raw/... key
  int64_t version = 0;  // the version it was applied under
  uint64_t records = 0;
  std::string applied_at;
  // How the profiler read it; nullopt when applied before the registry kept that.
  std::optional<profiler::PayloadLayout> layout;
};

// One Parquet file of a curated table.
struct CuratedFile {
  std::string key;          // curated/<table>/ingest_date=<date>/part-<run-id>-<n>.parquet
  std::string staging_key;  // staging/<run-id>/... where the run wrote it
  std::string ingest_date;  // YYYY-MM-DD
  int64_t rows = 0;
  int64_t bytes = 0;
  std::string run_id;
  int64_t version = 0;               // the schema version its rows are bound to
  std::vector<std::string> objects;  // the raw objects whose records it holds
  // The columns it was written with (promotion::ColumnsOf: names and types), so a later
  // change of the bound columns is seen whatever changed it (ADR-117); empty for a file
  // written before migration 5.
  std::string columns;
};

// A promotion run as committed: its files are the table's new files; `retired` are the
// table's files it replaces (a re-promotion), deleted when the run is published.
struct PromotionRun {
  std::string run_id;
  std::string source_id;
  std::string table;
  int64_t version = 0;  // the schema version bound
  std::vector<CuratedFile> files;
  std::vector<std::string> retired;  // curated keys
  // Registry path → column name, for the paths this run named first (the table's earlier
  // names are never changed).
  std::map<std::string, std::string> new_columns;
  std::string committed_at;  // set by CommitPromotion
  bool published = false;    // every file moved to its curated key, retired files deleted
};

// What a re-promotion rewrites: the objects applied under a version >= N, every other
// object that shares a live curated file with them, and those files — transitively, so
// that an object whose records span two files brings both (no live file keeps a copy of a
// rewritten object's rows).
struct RepromotionSet {
  std::vector<PromotableObject> objects;  // sorted by object
  std::vector<std::string> files;         // curated keys, sorted
};

struct CuratedTable {
  std::string table;
  std::string source_id;
  int64_t version = 0;  // the version its latest run bound
  int64_t rows = 0;
  int64_t bytes = 0;
  std::vector<CuratedFile> files;  // live files (published or awaiting publication), by key
  std::string created_at;
  std::string updated_at;
};

}  // namespace latebind::registry
