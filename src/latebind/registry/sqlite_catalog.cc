// SqliteRegistry's promotion records (catalog.h): the ledger, runs and their commit point,
// curated tables and files, column names and blocked promotions. The tables are migration 2
// in sqlite_registry.cc; lists (a file's objects, a run's retired keys and new columns, a
// blocked promotion's versions) are held as JSON text.
#include <fmt/format.h>

#include <deque>
#include <set>

#include "latebind/common/ids.h"
#include "latebind/common/status.h"
#include "latebind/profiler/profile_json.h"
#include "latebind/registry/schema_json.h"
#include "latebind/registry/sqlite_registry.h"

namespace latebind::registry {
namespace {

constexpr const char* kFileColumns =
    "file_key, staging_key, ingest_date, row_count, byte_count, run_id, version, objects, "
    "columns";

std::string NowText() { return UtcTimestamp(std::chrono::system_clock::now()); }

std::string Dump(const Json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Json StringsToJson(const std::vector<std::string>& values) {
  Json j = Json::array();
  for (const std::string& v : values) j.push_back(v);
  return j;
}

arrow::Status Corrupt(std::string_view what) {
  return MakeError(ErrorKind::kUnavailable,
                   fmt::format("registry record is corrupt: {} is not the JSON expected", what));
}

arrow::Result<std::vector<std::string>> StringsFromJson(const std::string& text,
                                                        std::string_view what) {
  const Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_array()) return Corrupt(what);
  std::vector<std::string> out;
  for (const Json& v : j) {
    if (!v.is_string()) return Corrupt(what);
    out.push_back(v.get<std::string>());
  }
  return out;
}

arrow::Result<std::map<std::string, std::string>> MapFromJson(const std::string& text,
                                                              std::string_view what) {
  const Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Corrupt(what);
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : j.items()) {
    if (!v.is_string()) return Corrupt(what);
    out[k] = v.get<std::string>();
  }
  return out;
}

// One row of kFileColumns.
arrow::Result<CuratedFile> ReadFile(const SqliteStatement& q) {
  CuratedFile f;
  f.key = q.Text(0);
  f.staging_key = q.Text(1);
  f.ingest_date = q.Text(2);
  f.rows = q.Int(3);
  f.bytes = q.Int(4);
  f.run_id = q.Text(5);
  f.version = q.Int(6);
  ARROW_ASSIGN_OR_RAISE(f.objects, StringsFromJson(q.Text(7), "a curated file's objects"));
  f.columns = q.OptionalText(8).value_or("");
  return f;
}

// Every row of a query selecting kFileColumns (bound and reset by the caller), in its order.
arrow::Result<std::vector<CuratedFile>> ReadFiles(SqliteStatement& q) {
  std::vector<CuratedFile> out;
  while (true) {
    ARROW_ASSIGN_OR_RAISE(bool row, q.Step());
    if (!row) break;
    ARROW_ASSIGN_OR_RAISE(CuratedFile f, ReadFile(q));
    out.push_back(std::move(f));
  }
  return out;
}

// Runs `body` in one read transaction, so that its several statements see one state of the
// registry (a commit by another process lands wholly before or after).
template <typename Body>
auto InReadTransaction(SqliteDb* db, Body&& body) -> decltype(body()) {
  ARROW_RETURN_NOT_OK(db->Exec("BEGIN"));
  auto result = body();
  // Nothing was written: a failed COMMIT or ROLLBACK loses nothing.
  (void)db->Exec(result.ok() ? "COMMIT" : "ROLLBACK");
  return result;
}

// Which live files hold which objects, by both records: a file's own list and the ledger
// (an object whose records span files is listed by each, but the ledger names one).
struct LiveIndex {
  std::map<std::string, std::set<std::string>> objects_of;  // live file → objects
  std::map<std::string, std::set<std::string>> files_of;    // object → live files

  void Add(const std::string& file, const std::string& object) {
    objects_of[file].insert(object);
    files_of[object].insert(file);
  }
};

// The live files of `table_name` (or, when empty, of every table of `source_id`) with the
// ledger rows that point at them.
arrow::Result<LiveIndex> LoadLiveIndex(SqliteDb* db, const std::string& table_name,
                                       const std::string& source_id) {
  LiveIndex index;
  ARROW_ASSIGN_OR_RAISE(
      auto files,
      db->Prepare("SELECT f.file_key, f.objects FROM curated_files f JOIN curated_tables t ON "
                  "t.table_name = f.table_name WHERE f.state = 'live' AND (t.table_name = ?1 OR "
                  "(?1 = '' AND t.source_id = ?2))"));
  files.Bind(1, table_name).Bind(2, source_id);
  while (true) {
    ARROW_ASSIGN_OR_RAISE(bool row, files.Step());
    if (!row) break;
    const std::string key = files.Text(0);
    index.objects_of[key];  // a file that holds no object is still live
    ARROW_ASSIGN_OR_RAISE(auto objects, StringsFromJson(files.Text(1), "a file's objects"));
    for (const std::string& o : objects) index.Add(key, o);
  }
  ARROW_ASSIGN_OR_RAISE(auto ledger,
                        db->Prepare("SELECT object FROM promotion_ledger WHERE file_key = ?1"));
  std::vector<std::string> keys;
  for (const auto& [key, objects] : index.objects_of) keys.push_back(key);
  for (const std::string& key : keys) {
    ledger.Reset();
    ledger.Bind(1, key);
    while (true) {
      ARROW_ASSIGN_OR_RAISE(bool row, ledger.Step());
      if (!row) break;
      index.Add(key, ledger.Text(0));
    }
  }
  return index;
}

// The refusals of CommitPromotion, checked before anything is written.
arrow::Status CheckCommit(SqliteDb* db, const PromotionRun& run, bool repromotion) {
  ARROW_ASSIGN_OR_RAISE(auto seen, db->Prepare("SELECT 1 FROM promotion_runs WHERE run_id = ?1"));
  seen.Bind(1, run.run_id);
  ARROW_ASSIGN_OR_RAISE(bool committed, seen.Step());
  if (committed) {
    return MakeError(ErrorKind::kConflict,
                     fmt::format("promotion run {} is already committed", run.run_id));
  }
  ARROW_ASSIGN_OR_RAISE(auto owner, db->Prepare("SELECT source_id FROM curated_tables WHERE "
                                                "table_name = ?1"));
  owner.Bind(1, run.table);
  ARROW_ASSIGN_OR_RAISE(bool exists, owner.Step());
  if (exists && owner.Text(0) != run.source_id) {
    return MakeError(ErrorKind::kConflict, fmt::format("table {} holds source {}, not {}",
                                                       run.table, owner.Text(0), run.source_id));
  }
  ARROW_ASSIGN_OR_RAISE(LiveIndex live, LoadLiveIndex(db, run.table, run.source_id));
  const std::set<std::string> retired(run.retired.begin(), run.retired.end());
  for (const std::string& key : retired) {
    if (!live.objects_of.count(key)) {
      return MakeError(ErrorKind::kConflict,
                       fmt::format("run {} retires {}, which is not a live file of table {} "
                                   "(another run replaced it first?)",
                                   run.run_id, key, run.table));
    }
  }
  ARROW_ASSIGN_OR_RAISE(auto key_q, db->Prepare("SELECT 1 FROM curated_files WHERE file_key = ?1"));
  std::set<std::string> keys;
  std::set<std::string> objects;
  for (const CuratedFile& f : run.files) {
    key_q.Reset();
    key_q.Bind(1, f.key);
    ARROW_ASSIGN_OR_RAISE(bool taken, key_q.Step());
    if (taken || !keys.insert(f.key).second) {
      return MakeError(ErrorKind::kConflict,
                       fmt::format("curated file {} of run {} is already in the catalog or "
                                   "named twice",
                                   f.key, run.run_id));
    }
    objects.insert(f.objects.begin(), f.objects.end());
  }
  ARROW_ASSIGN_OR_RAISE(auto ledger, db->Prepare("SELECT run_id, file_key FROM promotion_ledger "
                                                 "WHERE object = ?1"));
  for (const std::string& o : objects) {
    ledger.Reset();
    ledger.Bind(1, o);
    ARROW_ASSIGN_OR_RAISE(bool promoted, ledger.Step());
    std::set<std::string> holders = live.files_of[o];
    if (promoted) holders.insert(ledger.Text(1));
    for (const std::string& holder : holders) {
      if (!repromotion || !retired.count(holder)) {
        return MakeError(ErrorKind::kConflict,
                         fmt::format("object {} is already promoted into {}{}", o, holder,
                                     repromotion ? ", which this run does not retire" : ""));
      }
    }
  }
  // Retiring a file drops its rows: each object it holds must be rewritten by this run, or
  // the ledger would call promoted an object that no live file holds.
  for (const std::string& key : retired) {
    for (const std::string& o : live.objects_of[key]) {
      if (!objects.count(o)) {
        return MakeError(ErrorKind::kBadInput,
                         fmt::format("run {} retires {} but does not rewrite its object {}",
                                     run.run_id, key, o));
      }
    }
  }
  return arrow::Status::OK();
}

// The run, its table and files, in the order the foreign keys need.
arrow::Status WriteRunAndFiles(SqliteDb* db, const PromotionRun& run, const std::string& now) {
  ARROW_ASSIGN_OR_RAISE(auto seq_q,
                        db->Prepare("SELECT COALESCE(MAX(seq), 0) + 1 FROM promotion_runs"));
  ARROW_RETURN_NOT_OK(seq_q.Step().status());
  Json new_columns = Json::object();
  for (const auto& [path, name] : run.new_columns) new_columns[path] = name;
  ARROW_ASSIGN_OR_RAISE(
      auto ins_run, db->Prepare("INSERT INTO promotion_runs (run_id, seq, source_id, table_name, "
                                "version, retired, new_columns, committed_at) VALUES (?1, ?2, "
                                "?3, ?4, ?5, ?6, ?7, ?8)"));
  ARROW_RETURN_NOT_OK(ins_run.Bind(1, run.run_id)
                          .Bind(2, seq_q.Int(0))
                          .Bind(3, run.source_id)
                          .Bind(4, run.table)
                          .Bind(5, run.version)
                          .Bind(6, Dump(StringsToJson(run.retired)))
                          .Bind(7, Dump(new_columns))
                          .Bind(8, now)
                          .Run());
  ARROW_ASSIGN_OR_RAISE(
      auto table, db->Prepare("INSERT INTO curated_tables (table_name, source_id, version, "
                              "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4) ON CONFLICT "
                              "(table_name) DO UPDATE SET version = excluded.version, "
                              "updated_at = excluded.updated_at"));
  ARROW_RETURN_NOT_OK(
      table.Bind(1, run.table).Bind(2, run.source_id).Bind(3, run.version).Bind(4, now).Run());
  ARROW_ASSIGN_OR_RAISE(
      auto file, db->Prepare("INSERT INTO curated_files (file_key, table_name, run_id, position, "
                             "staging_key, ingest_date, row_count, byte_count, version, "
                             "objects, columns, state) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
                             "?9, ?10, ?11, 'live')"));
  for (size_t i = 0; i < run.files.size(); ++i) {
    const CuratedFile& f = run.files[i];
    file.Reset();
    ARROW_RETURN_NOT_OK(file.Bind(1, f.key)
                            .Bind(2, run.table)
                            .Bind(3, run.run_id)
                            .Bind(4, static_cast<int64_t>(i))
                            .Bind(5, f.staging_key)
                            .Bind(6, f.ingest_date)
                            .Bind(7, f.rows)
                            .Bind(8, f.bytes)
                            .Bind(9, f.version)
                            .Bind(10, Dump(StringsToJson(f.objects)))
                            .Bind(11, f.columns)
                            .Run());
  }
  ARROW_ASSIGN_OR_RAISE(auto retire, db->Prepare("UPDATE curated_files SET state = 'retired', "
                                                 "retired_by_run = ?1 WHERE file_key = ?2"));
  for (const std::string& key : run.retired) {
    retire.Reset();
    ARROW_RETURN_NOT_OK(retire.Bind(1, run.run_id).Bind(2, key).Run());
  }
  return arrow::Status::OK();
}

// The ledger, the column names and the version's first promotion.
arrow::Status WriteLedgerAndNames(SqliteDb* db, const PromotionRun& run, const std::string& now) {
  ARROW_ASSIGN_OR_RAISE(
      auto ledger,
      db->Prepare("INSERT INTO promotion_ledger (object, source_id, run_id, file_key, "
                  "promoted_at) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (object) DO UPDATE SET "
                  "source_id = excluded.source_id, run_id = excluded.run_id, file_key = "
                  "excluded.file_key, promoted_at = excluded.promoted_at"));
  // An object whose records span files keeps the first of them in the ledger; the files'
  // own lists name the others.
  std::set<std::string> recorded;
  for (const CuratedFile& f : run.files) {
    for (const std::string& o : f.objects) {
      if (!recorded.insert(o).second) continue;
      ledger.Reset();
      ARROW_RETURN_NOT_OK(ledger.Bind(1, o)
                              .Bind(2, run.source_id)
                              .Bind(3, run.run_id)
                              .Bind(4, f.key)
                              .Bind(5, now)
                              .Run());
    }
  }
  ARROW_ASSIGN_OR_RAISE(auto column,
                        db->Prepare("INSERT INTO curated_columns (table_name, path, column_name) "
                                    "VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING"));
  for (const auto& [path, name] : run.new_columns) {
    column.Reset();
    ARROW_RETURN_NOT_OK(column.Bind(1, run.table).Bind(2, path).Bind(3, name).Run());
  }
  ARROW_ASSIGN_OR_RAISE(auto promoted, db->Prepare("UPDATE schema_versions SET promoted_at = ?1 "
                                                   "WHERE source_id = ?2 AND version = ?3 AND "
                                                   "promoted_at IS NULL"));
  return promoted.Bind(1, now).Bind(2, run.source_id).Bind(3, run.version).Run();
}

// The layout column (migration 3) of `object`'s payload row; NULL before it.
arrow::Result<std::optional<profiler::PayloadLayout>> LayoutOf(const SqliteStatement& q, int column,
                                                               const std::string& object) {
  const std::optional<std::string> text = q.OptionalText(column);
  if (!text) return std::nullopt;
  auto layout = profiler::LayoutFromJson(*text);
  if (!layout.ok()) {
    return MakeError(ErrorKind::kUnavailable,
                     fmt::format("registry: the payload row of {} holds a {}", object,
                                 layout.status().message()));
  }
  return std::move(*layout);
}

arrow::Result<PromotableObject> LoadPromotable(SqliteStatement& q, const std::string& object) {
  q.Reset();
  q.Bind(1, object);
  PromotableObject p;
  p.object = object;
  ARROW_ASSIGN_OR_RAISE(bool row, q.Step());
  if (row) {
    p.version = q.Int(0);
    p.records = static_cast<uint64_t>(q.Int(1));
    p.applied_at = q.Text(2);
    ARROW_ASSIGN_OR_RAISE(p.layout, LayoutOf(q, 3, object));
  }
  return p;
}

}  // namespace

arrow::Result<std::vector<PromotableObject>> SqliteRegistry::Unpromoted(
    const std::string& source_id) {
  std::lock_guard lock(mu_);
  // `version IS NOT NULL`: a dead letter cleared (outcome 'replayed') is not applied until
  // Apply records it anew, and may fail again. `records > 0`: a payload of no records (an
  // empty file, a header-only CSV, `[]`) has nothing to promote; it would be bound, write
  // no row and so never reach the ledger, pending on every run.
  ARROW_ASSIGN_OR_RAISE(
      auto q, db_->Prepare("SELECT p.object, p.version, p.records, p.applied_at, p.layout FROM "
                           "payloads p "
                           "WHERE p.source_id = ?1 AND p.outcome IN ('profiled', 'replayed') AND "
                           "p.version IS NOT NULL AND p.records > 0 AND NOT EXISTS (SELECT 1 FROM "
                           "promotion_ledger "
                           "l WHERE l.object = p.object) ORDER BY p.object"));
  q.Bind(1, source_id);
  std::vector<PromotableObject> out;
  while (true) {
    ARROW_ASSIGN_OR_RAISE(bool row, q.Step());
    if (!row) break;
    std::string object = q.Text(0);
    ARROW_ASSIGN_OR_RAISE(auto layout, LayoutOf(q, 4, object));
    out.push_back({std::move(object), q.Int(1), static_cast<uint64_t>(q.Int(2)), q.Text(3),
                   std::move(layout)});
  }
  return out;
}

arrow::Result<RepromotionSet> SqliteRegistry::PromotedSince(const std::string& source_id,
                                                            int64_t since_version) {
  std::lock_guard lock(mu_);
  return InReadTransaction(db_.get(), [&]() -> arrow::Result<RepromotionSet> {
    ARROW_ASSIGN_OR_RAISE(LiveIndex live, LoadLiveIndex(db_.get(), "", source_id));
    ARROW_ASSIGN_OR_RAISE(
        auto seeds, db_->Prepare("SELECT l.object FROM promotion_ledger l JOIN payloads p ON "
                                 "p.object = l.object WHERE l.source_id = ?1 AND p.version >= "
                                 "?2"));
    seeds.Bind(1, source_id).Bind(2, since_version);
    std::set<std::string> objects;
    std::deque<std::string> pending;
    while (true) {
      ARROW_ASSIGN_OR_RAISE(bool row, seeds.Step());
      if (!row) break;
      if (objects.insert(seeds.Text(0)).second) pending.push_back(seeds.Text(0));
    }
    // Transitively: a file-mate whose records span into another file brings that file (and
    // its objects), or the rewrite would leave a second copy of its rows live.
    std::set<std::string> files;
    while (!pending.empty()) {
      const std::string object = std::move(pending.front());
      pending.pop_front();
      for (const std::string& file : live.files_of[object]) {
        if (!files.insert(file).second) continue;
        for (const std::string& mate : live.objects_of[file]) {
          if (objects.insert(mate).second) pending.push_back(mate);
        }
      }
    }
    ARROW_ASSIGN_OR_RAISE(auto detail, db_->Prepare("SELECT version, records, applied_at, "
                                                    "layout FROM payloads WHERE object = ?1"));
    RepromotionSet out;
    for (const std::string& o : objects) {
      ARROW_ASSIGN_OR_RAISE(PromotableObject p, LoadPromotable(detail, o));
      out.objects.push_back(std::move(p));
    }
    out.files.assign(files.begin(), files.end());
    return out;
  });
}

arrow::Result<std::map<std::string, std::string>> SqliteRegistry::ColumnNames(
    const std::string& table) {
  std::lock_guard lock(mu_);
  ARROW_ASSIGN_OR_RAISE(auto q, db_->Prepare("SELECT path, column_name FROM curated_columns "
                                             "WHERE table_name = ?1"));
  q.Bind(1, table);
  std::map<std::string, std::string> out;
  while (true) {
    ARROW_ASSIGN_OR_RAISE(bool row, q.Step());
    if (!row) break;
    out[q.Text(0)] = q.Text(1);
  }
  return out;
}

arrow::Status SqliteRegistry::CommitPromotion(const PromotionRun& run, bool repromotion) {
  if (run.run_id.empty() || run.source_id.empty() || run.table.empty()) {
    return MakeError(ErrorKind::kBadInput, "a promotion run needs a run id, a source and a table");
  }
  std::lock_guard lock(mu_);
  // One transaction: an error anywhere rolls back everything (the transaction's destructor).
  ARROW_ASSIGN_OR_RAISE(auto tx, SqliteTransaction::Begin(db_.get()));
  ARROW_RETURN_NOT_OK(CheckCommit(db_.get(), run, repromotion));
  const std::string now = NowText();
  ARROW_RETURN_NOT_OK(WriteRunAndFiles(db_.get(), run, now));
  ARROW_RETURN_NOT_OK(WriteLedgerAndNames(db_.get(), run, now));
  return tx->Commit();
}

arrow::Result<std::vector<PromotionRun>> SqliteRegistry::UnpublishedRuns() {
  std::lock_guard lock(mu_);
  return InReadTransaction(db_.get(), [&]() -> arrow::Result<std::vector<PromotionRun>> {
    ARROW_ASSIGN_OR_RAISE(auto runs,
                          db_->Prepare("SELECT run_id, source_id, table_name, version, retired, "
                                       "new_columns, committed_at FROM promotion_runs WHERE "
                                       "published_at IS NULL ORDER BY seq"));
    ARROW_ASSIGN_OR_RAISE(auto files,
                          db_->Prepare(fmt::format("SELECT {} FROM curated_files WHERE run_id = "
                                                   "?1 ORDER BY position",
                                                   kFileColumns)));
    std::vector<PromotionRun> out;
    while (true) {
      ARROW_ASSIGN_OR_RAISE(bool row, runs.Step());
      if (!row) break;
      PromotionRun r;
      r.run_id = runs.Text(0);
      r.source_id = runs.Text(1);
      r.table = runs.Text(2);
      r.version = runs.Int(3);
      ARROW_ASSIGN_OR_RAISE(r.retired, StringsFromJson(runs.Text(4), "a run's retired files"));
      ARROW_ASSIGN_OR_RAISE(r.new_columns, MapFromJson(runs.Text(5), "a run's new columns"));
      r.committed_at = runs.Text(6);
      files.Reset();
      files.Bind(1, r.run_id);
      ARROW_ASSIGN_OR_RAISE(r.files, ReadFiles(files));
      out.push_back(std::move(r));
    }
    return out;
  });
}

arrow::Status SqliteRegistry::MarkPublished(const std::string& run_id) {
  std::lock_guard lock(mu_);
  ARROW_ASSIGN_OR_RAISE(auto tx, SqliteTransaction::Begin(db_.get()));
  ARROW_ASSIGN_OR_RAISE(auto seen, db_->Prepare("SELECT 1 FROM promotion_runs WHERE run_id = ?1"));
  seen.Bind(1, run_id);
  ARROW_ASSIGN_OR_RAISE(bool known, seen.Step());
  if (!known) {
    return MakeError(ErrorKind::kNotFound,
                     fmt::format("no committed promotion run {} to mark published", run_id));
  }
  ARROW_ASSIGN_OR_RAISE(auto up, db_->Prepare("UPDATE promotion_runs SET published_at = ?1 WHERE "
                                              "run_id = ?2 AND published_at IS NULL"));
  ARROW_RETURN_NOT_OK(up.Bind(1, NowText()).Bind(2, run_id).Run());
  return tx->Commit();
}

arrow::Result<bool> SqliteRegistry::RunCommitted(const std::string& run_id) {
  std::lock_guard lock(mu_);
  ARROW_ASSIGN_OR_RAISE(auto q, db_->Prepare("SELECT 1 FROM promotion_runs WHERE run_id = ?1"));
  q.Bind(1, run_id);
  return q.Step();
}

arrow::Status SqliteRegistry::RecordBlocked(const std::string& source_id,
                                            const std::vector<int64_t>& breaking_versions) {
  std::lock_guard lock(mu_);
  Json versions = Json::array();
  for (int64_t v : breaking_versions) versions.push_back(v);
  ARROW_ASSIGN_OR_RAISE(auto q, db_->Prepare("INSERT INTO blocked_promotions (source_id, at, "
                                             "versions) VALUES (?1, ?2, ?3)"));
  return q.Bind(1, source_id).Bind(2, NowText()).Bind(3, Dump(versions)).Run();
}

arrow::Result<std::map<std::string, int64_t>> SqliteRegistry::BlockedCounts() {
  std::lock_guard lock(mu_);
  ARROW_ASSIGN_OR_RAISE(auto q, db_->Prepare("SELECT source_id, COUNT(*) FROM blocked_promotions "
                                             "GROUP BY source_id"));
  std::map<std::string, int64_t> out;
  while (true) {
    ARROW_ASSIGN_OR_RAISE(bool row, q.Step());
    if (!row) break;
    out[q.Text(0)] = q.Int(1);
  }
  return out;
}

arrow::Result<std::vector<CuratedTable>> SqliteRegistry::Tables() {
  std::lock_guard lock(mu_);
  return InReadTransaction(db_.get(), [&]() { return ReadTables(""); });
}

arrow::Result<std::optional<CuratedTable>> SqliteRegistry::Table(const std::string& table) {
  std::lock_guard lock(mu_);
  ARROW_ASSIGN_OR_RAISE(auto tables,
                        InReadTransaction(db_.get(), [&]() { return ReadTables(table); }));
  if (tables.empty()) return std::nullopt;
  return std::move(tables.front());
}

arrow::Result<std::vector<CuratedTable>> SqliteRegistry::ReadTables(const std::string& only) {
  ARROW_ASSIGN_OR_RAISE(
      auto tables, db_->Prepare("SELECT table_name, source_id, version, created_at, updated_at "
                                "FROM curated_tables WHERE ?1 = '' OR table_name = ?1 "
                                "ORDER BY table_name"));
  tables.Bind(1, only);
  ARROW_ASSIGN_OR_RAISE(
      auto files, db_->Prepare(fmt::format("SELECT {} FROM curated_files WHERE table_name = ?1 "
                                           "AND state = 'live' ORDER BY file_key",
                                           kFileColumns)));
  std::vector<CuratedTable> out;
  while (true) {
    ARROW_ASSIGN_OR_RAISE(bool row, tables.Step());
    if (!row) break;
    CuratedTable t;
    t.table = tables.Text(0);
    t.source_id = tables.Text(1);
    t.version = tables.Int(2);
    t.created_at = tables.Text(3);
    t.updated_at = tables.Text(4);
    files.Reset();
    files.Bind(1, t.table);
    ARROW_ASSIGN_OR_RAISE(t.files, ReadFiles(files));
    for (const CuratedFile& f : t.files) {
      t.rows += f.rows;
      t.bytes += f.bytes;
    }
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace latebind::registry
