// The embedded registry: one SQLite file (DESIGN.md §1). Its SQL is plain enough to port
// to PostgreSQL (TEXT/BIGINT columns, JSON held as text, ids computed inside the
// transaction, ON CONFLICT DO NOTHING); migrations are numbered from the first table.
#pragma once

#include <memory>
#include <mutex>

#include "latebind/registry/registry.h"
#include "latebind/registry/sqlite_db.h"

namespace latebind::registry {

class SqliteRegistry final : public Registry {
 public:
  // Opens or creates the registry at `path` and applies pending migrations. Errors:
  // kUnavailable for a locked, corrupt or foreign file, or one from a newer latebind.
  static arrow::Result<std::shared_ptr<SqliteRegistry>> Open(const std::string& path,
                                                             int busy_timeout_ms = 10000);
  // Opens the registry at `path` to read it only (SqliteDb::OpenToRead): nothing is
  // created or written, unless an older latebind wrote it (then it is migrated as Open
  // does; kUnavailable when this user cannot). Errors: those of Open.
  static arrow::Result<std::shared_ptr<SqliteRegistry>> OpenToRead(const std::string& path,
                                                                   int busy_timeout_ms = 10000);

  arrow::Result<std::vector<ApplyOutcome>> Apply(const std::vector<ProfiledPayload>& payloads,
                                                 const ApplyOptions& options) override;
  arrow::Status RecordDeadLetter(const std::string& source_id, const std::string& object,
                                 const std::string& reason_json) override;
  arrow::Status ClearDeadLetter(const std::string& object) override;
  arrow::Result<std::vector<std::string>> Unrecorded(
      const std::vector<std::string>& objects) override;
  arrow::Result<std::vector<SourceSummary>> Sources() override;
  arrow::Result<std::vector<SchemaVersion>> Versions(const std::string& source_id) override;
  arrow::Result<SchemaVersion> Version(const std::string& source_id, int64_t version) override;
  arrow::Result<SchemaVersion> SetStatus(const std::string& source_id, int64_t version,
                                         const StatusUpdate& update) override;
  arrow::Result<std::vector<StatusChange>> StatusHistory(const std::string& source_id) override;
  arrow::Result<std::vector<PendingDelivery>> DueDeliveries(
      std::chrono::system_clock::time_point now, int limit) override;
  arrow::Status MarkDelivered(int64_t alert_id, const std::string& sink) override;
  arrow::Status MarkFailed(int64_t alert_id, const std::string& sink, const std::string& error,
                           std::chrono::system_clock::time_point next_attempt) override;
  arrow::Result<int64_t> PendingAlerts() override;
  arrow::Result<int64_t> SetAlertSinks(const std::vector<std::string>& sinks) override;
  arrow::Result<std::map<std::pair<std::string, std::string>, int64_t>> VersionCounts() override;

  // Promotion (catalog.h), in sqlite_catalog.cc.
  arrow::Result<std::vector<PromotableObject>> Unpromoted(const std::string& source_id) override;
  arrow::Result<RepromotionSet> PromotedSince(const std::string& source_id,
                                              int64_t since_version) override;
  arrow::Result<std::map<std::string, std::string>> ColumnNames(const std::string& table) override;
  arrow::Status CommitPromotion(const PromotionRun& run, bool repromotion) override;
  arrow::Result<std::vector<PromotionRun>> UnpublishedRuns() override;
  arrow::Status MarkPublished(const std::string& run_id) override;
  arrow::Result<bool> RunCommitted(const std::string& run_id) override;
  arrow::Status RecordBlocked(const std::string& source_id,
                              const std::vector<int64_t>& breaking_versions) override;
  arrow::Result<std::map<std::string, int64_t>> BlockedCounts() override;
  arrow::Result<std::vector<CuratedTable>> Tables() override;
  arrow::Result<std::optional<CuratedTable>> Table(const std::string& table) override;

  // The highest migration applied (for tests and `--version` style diagnostics).
  static int LatestMigration();

 private:
  explicit SqliteRegistry(std::unique_ptr<SqliteDb> db) : db_(std::move(db)) {}
  arrow::Status Migrate();
  // The curated tables (all when `only` is empty) with their live files; mu_ held, inside a
  // transaction.
  arrow::Result<std::vector<CuratedTable>> ReadTables(const std::string& only);
  arrow::Result<std::optional<SchemaVersion>> LoadVersion(const std::string& source_id,
                                                          int64_t version);
  // The source's versions numbered above `after` (0: all), oldest first; mu_ held.
  arrow::Result<std::vector<SchemaVersion>> LoadVersionsAfter(const std::string& source_id,
                                                              int64_t after);
  // Writes v.mappings over the stored ones of (v.source_id, v.version); mu_ held.
  arrow::Status StoreMappings(const SchemaVersion& v);
  arrow::Status InsertVersion(const SchemaVersion& v, const ApplyOptions& options);
  arrow::Status UpdateVersionStats(const SchemaVersion& v);
  // Every ACTIVE version of the source but `version` becomes DEPRECATED, with history.
  arrow::Status SupersedeActive(const std::string& source_id, int64_t version,
                                const std::string& who, const std::string& at);
  arrow::Status AddHistory(const std::string& source_id, int64_t version,
                           std::optional<VersionStatus> from, VersionStatus to,
                           const std::string& who, const std::string& at, const std::string& note);

  std::mutex mu_;  // one connection: calls are serialised
  std::unique_ptr<SqliteDb> db_;
};

}  // namespace latebind::registry
