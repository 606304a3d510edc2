// The schema registry (DESIGN.md §4): versions per source, their status history, the
// payloads applied to them, and the durable outbox of drift alerts.
//
// An interface so the embedded SQLite registry (sqlite_registry.h) and a PostgreSQL one at
// scale are interchangeable; every call is one transaction. Thread-safe; several processes
// may share one registry (serve and the CLI).
#pragma once

#include <arrow/result.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "latebind/profiler/profile.h"
#include "latebind/registry/catalog.h"
#include "latebind/registry/rename.h"
#include "latebind/registry/schema.h"

namespace latebind::registry {

// A payload that parsed, to apply to its source's schema.
struct ProfiledPayload {
  std::string source_id;
  std::string object;  // raw/... key: applying the same object twice changes nothing
  const profiler::PayloadProfile* profile = nullptr;
};

struct ApplyOptions {
  RenameOptions rename;
  // Webhook sinks that a BREAKING version written by this call must be delivered to, with
  // those registered by SetAlertSinks: one outbox row per sink is written in the same
  // transaction as the version.
  std::vector<std::string> alert_sinks;
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
};

struct ApplyOutcome {
  std::string object;
  int64_t version = 0;
  bool new_version = false;
  bool already_applied = false;  // seen before (a replay after a crash): nothing changed
  VersionStatus status = VersionStatus::kActive;
};

struct StatusUpdate {
  VersionStatus status = VersionStatus::kActive;  // ACTIVE or DEPRECATED
  std::string note;                               // required
  std::string who;
  // Confirmed renames, new path → old path: each new path a live field of the version,
  // each old path a removed field it holds whose type the new one continues
  // (TypeContinues, evolve.h), no old path filled twice, and the column a chain of them
  // ends in (c=b after b=a ends in a, rename_chain.h) filled from one live field only.
  // Added to the version's mappings and to those of every newer version, where they must
  // hold too (there NEW may be removed: a version built on this one renamed it again).
  std::map<std::string, std::string> mappings;
};

// One alert still owed to one sink.
struct PendingDelivery {
  int64_t alert_id = 0;
  std::string sink;
  std::string source_id;
  int64_t version = 0;
  int attempts = 0;
  std::string idempotency_key;  // stable per (alert, sink), sent as a header
};

class Registry {
 public:
  virtual ~Registry() = default;

  // Applies payloads in order, all in one transaction (one flush for a batch); payloads of
  // one source see each other's effect. A source's versions stay gapless and unique under
  // any number of concurrent writers.
  virtual arrow::Result<std::vector<ApplyOutcome>> Apply(
      const std::vector<ProfiledPayload>& payloads, const ApplyOptions& options) = 0;

  // Records a payload that could not be parsed (it went to dead-letter/ with `reason`, a
  // JSON object). Repeating it for the same object changes nothing.
  virtual arrow::Status RecordDeadLetter(const std::string& source_id, const std::string& object,
                                         const std::string& reason_json) = 0;
  // The objects among `objects` that have no record yet (neither applied nor dead-lettered),
  // in the order given: the arrival queue's pending work (ADR-026).
  virtual arrow::Result<std::vector<std::string>> Unrecorded(
      const std::vector<std::string>& objects) = 0;
  // A dead-lettered object that parses now: forget its failure (Apply records it anew).
  virtual arrow::Status ClearDeadLetter(const std::string& object) = 0;

  virtual arrow::Result<std::vector<SourceSummary>> Sources() = 0;
  // Every version of a source, oldest first. kNotFound for an unknown source.
  virtual arrow::Result<std::vector<SchemaVersion>> Versions(const std::string& source_id) = 0;
  // One version; `version` 0 means the latest. kNotFound when it does not exist.
  virtual arrow::Result<SchemaVersion> Version(const std::string& source_id, int64_t version) = 0;
  // A person's decision (DESIGN.md §4 Resolution). Setting a version ACTIVE deprecates the
  // version that was active before it, with one exception: a version set ACTIVE while a
  // newer version is ACTIVE. Versions are linear, each newer one built on the older and
  // carrying its changes, so that change is accepted but the newer version stays ACTIVE
  // (promotion keeps binding it; the ACTIVE version is the newest accepted one): the
  // version goes (or stays) DEPRECATED, its note and history row saying so. The result holds the
  // status reached. StatusUpdate::mappings are confirmed on the version and on every newer
  // one (evolve carries them only into versions created later). kBadInput for a BREAKING
  // target, a missing note or a mapping refused on any of those versions (one that would
  // overwrite a live column, fill a column twice or change its type incompatibly; the
  // message names the version); nothing is changed then. One transaction.
  virtual arrow::Result<SchemaVersion> SetStatus(const std::string& source_id, int64_t version,
                                                 const StatusUpdate& update) = 0;
  virtual arrow::Result<std::vector<StatusChange>> StatusHistory(const std::string& source_id) = 0;

  // The alert outbox. For each sink, its oldest owed delivery (by alert) when that one's
  // next attempt is due; soonest due first, at most `limit` (one per sink).
  virtual arrow::Result<std::vector<PendingDelivery>> DueDeliveries(
      std::chrono::system_clock::time_point now, int limit) = 0;
  virtual arrow::Status MarkDelivered(int64_t alert_id, const std::string& sink) = 0;
  virtual arrow::Status MarkFailed(int64_t alert_id, const std::string& sink,
                                   const std::string& error,
                                   std::chrono::system_clock::time_point next_attempt) = 0;
  // Deliveries not yet acknowledged by their sink.
  virtual arrow::Result<int64_t> PendingAlerts() = 0;
  // The sinks of the home's server (`serve --alert-webhook`), replacing those of its last
  // start. A BREAKING version written by any process (`ingest`, `deadletter replay`, a
  // server) is owed to each of them besides its own ApplyOptions::alert_sinks. What is
  // still owed to a sink not among them is dropped (no server would deliver it, ADR-110):
  // the answer counts those deliveries.
  virtual arrow::Result<int64_t> SetAlertSinks(const std::vector<std::string>& sinks) = 0;
  // Versions per (source, status), for latebind_schema_versions_total.
  virtual arrow::Result<std::map<std::pair<std::string, std::string>, int64_t>> VersionCounts() = 0;

  // --- Promotion (catalog.h, DESIGN.md §6) ---

  // The source's applied payloads (outcome profiled or replayed, never dead letters) that
  // are not in the promotion ledger, sorted by object key. Applied means a version is
  // recorded: a dead letter cleared (ClearDeadLetter) but not yet applied again is not
  // listed. Unknown source: empty.
  virtual arrow::Result<std::vector<PromotableObject>> Unpromoted(const std::string& source_id) = 0;
  // What `promote --repromote --since-version N` rewrites (see RepromotionSet).
  virtual arrow::Result<RepromotionSet> PromotedSince(const std::string& source_id,
                                                      int64_t since_version) = 0;
  // A table's column names so far, registry path → column name (empty for a new table).
  virtual arrow::Result<std::map<std::string, std::string>> ColumnNames(
      const std::string& table) = 0;

  // The commit point of a promotion, one transaction: a ledger row per object of
  // run.files (object → run, file; a re-promotion replaces the rows of its objects), the
  // files as live files of the table, run.retired as retired, the table's row (created, or
  // version and totals updated), run.new_columns, promoted_at = now on version run.version
  // when it has none, and the run as committed but not published.
  // Errors, all checked before anything is written, so nothing changes:
  // - kConflict when an object of run.files is already in the ledger (or listed by a live
  //   file) and `repromotion` is false, or is there under a file that is not in run.retired
  //   (another run promoted it first); when a key of run.retired is not a live file of the
  //   table (another run retired it first); when a key of run.files is already in the
  //   catalog; when the table belongs to another source; when run.run_id is already
  //   committed — so a retry after an unknown outcome answers kConflict if the first try
  //   did commit (RunCommitted tells).
  // - kBadInput when a retired file holds an object that run.files does not rewrite (its
  //   rows would be lost while the ledger calls it promoted), or an id is empty.
  // - kUnavailable: the registry failed; the transaction rolled back, or (a failed COMMIT)
  //   the outcome is unknown.
  virtual arrow::Status CommitPromotion(const PromotionRun& run, bool repromotion) = 0;
  // Runs committed but not published (a crash in between), oldest commit first, each with
  // its files in run order (also those a later run has since retired).
  virtual arrow::Result<std::vector<PromotionRun>> UnpublishedRuns() = 0;
  // Safe to repeat (a run already published stays so). kNotFound for a run never committed.
  virtual arrow::Status MarkPublished(const std::string& run_id) = 0;
  // Whether a run with this id was committed (a staging/<run-id>/ of an uncommitted run is
  // an abandoned run's leftovers).
  virtual arrow::Result<bool> RunCommitted(const std::string& run_id) = 0;

  // A promotion of the source skipped because these versions in its window are BREAKING.
  virtual arrow::Status RecordBlocked(const std::string& source_id,
                                      const std::vector<int64_t>& breaking_versions) = 0;
  // Blocked promotions per source so far, for latebind_promotion_blocked_total.
  virtual arrow::Result<std::map<std::string, int64_t>> BlockedCounts() = 0;

  // Every curated table with its live files, by table name.
  virtual arrow::Result<std::vector<CuratedTable>> Tables() = 0;
  // One curated table with its live files; nullopt when promotion never wrote it.
  virtual arrow::Result<std::optional<CuratedTable>> Table(const std::string& table) = 0;
};

// The embedded default: `<home>/registry.db`, created and migrated on first use.
// Errors: kUnavailable when the file cannot be opened, is locked past the busy timeout or
// is not a registry (corrupt), with the path in the message.
arrow::Result<std::shared_ptr<Registry>> OpenRegistry(const std::string& home);
// `<home>/registry.db` opened to read only, for the commands that only read it (sources,
// schema show, tables...): nothing is created, migrated or written, so a user who may only
// read the home can inspect it (ADR-112).
arrow::Result<std::shared_ptr<Registry>> OpenRegistryToRead(const std::string& home);

}  // namespace latebind::registry
