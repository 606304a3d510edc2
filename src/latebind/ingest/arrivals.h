// Arrival → profile → dead-letter (DESIGN.md §2, §5): every landed object is profiled, and
// one that cannot be parsed moves to the dead-letter zone with its reason. Nothing is lost.
#pragma once

#include <arrow/result.h>

#include <memory>
#include <string>
#include <vector>

#include "latebind/profiler/profiler.h"
#include "latebind/registry/registry.h"
#include "latebind/storage/object_store.h"

namespace latebind::ingest {

struct ArrivalOutcome {
  std::string object;  // where the payload is now (raw/... or dead-letter/...)
  bool dead_lettered = false;
  profiler::PayloadProfile profile;
  // What the payload did to its source's schema (a payload that parsed, with a registry).
  std::optional<registry::ApplyOutcome> schema;
};

// The raw zone is the arrival queue and the registry its record of what is done (ADR-026):
// a raw payload with no record in the registry has not been profiled yet. Processing
// applies a payload that parses to its source's schema (Registry::Apply, durable, keyed by
// the object, so applying twice changes nothing), or, for one that does not: records it
// in the registry, writes the payload and a meta with the reason under dead-letter/, then
// deletes the raw payload and its meta. Each step is durable, so a crash at any point
// leaves a state that Process — repeated on the same key — completes; no step loses the
// payload. Thread-compatible: one processor per thread, or distinct keys.
class ArrivalProcessor {
 public:
  // Default bound on a payload's decoded size (1 GiB): a gzip body that inflates past it
  // is dead-lettered with that reason, in bounded memory (the profiler streams). The
  // commands that process arrivals (serve, ingest, deadletter replay) take it as
  // --max-decoded-bytes: a payload dead-lettered for its size is recovered by a replay with
  // a larger one.
  static constexpr uint64_t kDefaultMaxDecodedBytes = 1ull << 30;

  // `options.source.max_decompressed_bytes` is lowered to kDefaultMaxDecodedBytes when unset.
  // The dead-letter reason of a payload past it names --max-decoded-bytes.
  ArrivalProcessor(std::shared_ptr<storage::ObjectStore> store,
                   std::shared_ptr<registry::Registry> registry, profiler::ProfileOptions options,
                   registry::ApplyOptions apply = {});

  // Profiles the raw object `key` and files it. Errors: kNotFound when `key` is gone (it
  // was processed already), kUnavailable from the store — then repeat later.
  arrow::Result<ArrivalOutcome> Process(const std::string& key);

  // Process for many keys, applying those that parse in one registry transaction (one
  // flush: profiling keeps up with group-committed arrivals). One result per key, in order.
  std::vector<arrow::Result<ArrivalOutcome>> ProcessBatch(const std::vector<std::string>& keys);

  // Raw payloads not profiled yet, oldest first (what a restart must still do). Also
  // removes raw metas whose payload already reached the dead-letter zone.
  arrow::Result<std::vector<std::string>> Pending();

  // Profiles a dead-letter object again (after a fix). If it parses now, it returns to
  // the raw zone (payload and its meta, with "replayed_at"), is applied to the registry
  // and leaves dead-letter/; if not, it stays, and the outcome says why. Safe to repeat:
  // each step is durable and the dead-letter copy goes last.
  // Errors: kNotFound for a missing object, kBadInput for a key outside dead-letter/.
  arrow::Result<ArrivalOutcome> Replay(const std::string& dead_letter_key);

 private:
  arrow::Result<ArrivalOutcome> Profile(const std::string& key);
  // Moves a payload that did not parse to dead-letter/ (see the class comment).
  arrow::Result<ArrivalOutcome> DeadLetter(const std::string& key, ArrivalOutcome out);

  std::shared_ptr<storage::ObjectStore> store_;
  profiler::ProfileOptions options_;
  std::shared_ptr<registry::Registry> registry_;
  registry::ApplyOptions apply_;
};

}  // namespace latebind::ingest
