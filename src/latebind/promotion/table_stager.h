// The data path of a promotion run: raw objects → bound record batches → Parquet files in
// staging/. One reader thread reads objects in order and cuts them into work items at
// record boundaries (packing small objects together), binder threads bind items in
// parallel, and the calling thread writes batches in item order to one file per ingest
// date, so rows keep raw-object order and memory stays bounded by the items in flight.
#pragma once

#include <arrow/result.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "latebind/profiler/profile.h"
#include "latebind/promotion/parquet_output.h"
#include "latebind/registry/catalog.h"
#include "latebind/registry/schema.h"
#include "latebind/storage/object_store.h"

namespace latebind::promotion {

// A raw object to bind.
struct RawObject {
  std::string key;
  uint64_t size = 0;  // for progress
  // How the profiler read it (ADR-044). nullopt for a payload applied before the registry
  // kept that: it is read as the profiler read it, by its key's extension (FormatOfKey),
  // else by its content, with the dialect sniffed from the same head (ADR-039).
  std::optional<profiler::PayloadLayout> layout;
};

struct StageOptions {
  std::string run_id;
  std::string table;
  std::shared_ptr<arrow::Schema> bound;  // registry::ToArrowSchema(*version)
  std::shared_ptr<arrow::Schema> named;  // NameColumns(*bound, ...).schema
  const registry::SchemaVersion* version = nullptr;
  ParquetOutputOptions parquet;
  // A file is closed, and the next one of its date begun, past this many bytes.
  int64_t file_bytes = 1024ll << 20;
  int threads = 0;  // binder threads; 0: one per hardware thread
  // Bytes of raw objects bound so far, and in all; called from the calling thread.
  std::function<void(uint64_t done, uint64_t total)> progress;
};

struct StagedTable {
  // Each file's key, staging_key, ingest_date, rows, bytes, run_id, version and objects.
  std::vector<registry::CuratedFile> files;
  int64_t rows = 0;
  int64_t rescued_rows = 0;
};

// Binds `objects` (raw objects sorted by key; sizes for progress) and writes them under
// staging/<run-id>/; each file's curated key is
// curated/<table>/ingest_date=<date>/part-<run-id>-<n>.parquet. Nothing is published. Errors: the
// first failure (an object that no longer parses: kBadInput naming it; storage: kUnavailable);
// files committed to staging before it are left for the caller to delete with the run's staging
// prefix.
arrow::Result<StagedTable> StageTable(storage::ObjectStore* store,
                                      const std::vector<RawObject>& objects,
                                      const StageOptions& options);

// "staging/<run-id>/".
std::string StagingPrefix(const std::string& run_id);

}  // namespace latebind::promotion
