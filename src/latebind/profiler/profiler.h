// Profiles whole payloads: every record, never a sample (DESIGN.md §5).
//
// ProfileFile is the entry point used by `latebind profile`, ingest and replay: it opens
// the file (gzip transparently), detects the format from content, sniffs the CSV dialect,
// streams the payload through worker threads (block_pipeline.h) that each walk records
// into their own FieldTree (step 1), merges the trees (step 2) and decides types (step 3).
#pragma once

#include <arrow/result.h>

#include <functional>
#include <optional>
#include <string>

#include "latebind/common/byte_source.h"
#include "latebind/profiler/profile.h"

namespace latebind::profiler {

// Bytes of a payload read before anything is decided: format detection and the CSV sniffer
// look at this head (less a UTF-8 BOM), here and when promotion binds the payload, so both
// decide alike.
inline constexpr size_t kHeadBytes = 1 << 20;

struct ProfileOptions {
  // Format to assume; nullopt detects it from content (format_detector.h).
  std::optional<Format> format;
  // Worker threads. Default 0: one per hardware thread.
  int threads = 0;
  // Block size of the reader; see PipelineOptions (default 2 MiB less a page).
  size_t block_bytes = (2 << 20) - 4096;
  // Longest record accepted (default 256 MiB); longer stops the payload with an error.
  size_t max_record_bytes = 256 << 20;
  // Distinct field paths tracked (default 10,000); more are counted, not profiled, so
  // memory stays bounded when every record invents new keys.
  size_t max_fields = 10000;
  // Problems kept in the profile (the counts are always complete). Default 20.
  size_t max_problems = 20;
  ByteSourceOptions source;
  // Progress of raw bytes read (done, total); called from the reading thread.
  std::function<void(uint64_t, uint64_t)> progress;
};

// Returns the profile of `path`. Problems with the content (malformed JSON, ragged CSV,
// corrupt gzip) are in the profile — profile.ok() is false for errors — not in the Status.
// Errors: kNotFound / kUnavailable when the file cannot be opened or read.
arrow::Result<PayloadProfile> ProfileFile(const std::string& path, const ProfileOptions& options);

// The same for a source already open; `name` is reported as the profile's path.
arrow::Result<PayloadProfile> ProfileSource(ByteSource* source, const std::string& name,
                                            const ProfileOptions& options);

// A payload's problem as one line: "path:line:col (byte N): message".
std::string FormatProblem(const std::string& path, const Problem& problem);

}  // namespace latebind::profiler
