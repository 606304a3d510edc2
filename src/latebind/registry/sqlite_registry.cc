#include "latebind/registry/sqlite_registry.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <xxhash.h>

#include <algorithm>
#include <filesystem>
#include <unordered_map>

#include "latebind/common/field_path.h"
#include "latebind/common/ids.h"
#include "latebind/common/status.h"
#include "latebind/profiler/profile_json.h"
#include "latebind/registry/evolve.h"
#include "latebind/registry/rename_chain.h"
#include "latebind/registry/schema_json.h"

namespace latebind::registry {
namespace {

// Migrations, numbered from 1 and never edited once released: a registry records the
// highest one applied and gets the rest on open. Plain SQL that PostgreSQL also accepts.
const std::vector<std::vector<std::string>>& Migrations() {
  static const std::vector<std::vector<std::string>> kMigrations = {
      // 1: sources, versions, status history, payloads, the alert outbox.
      {
          R"(CREATE TABLE sources (
               source_id TEXT PRIMARY KEY,
               created_at TEXT NOT NULL,
               payloads BIGINT NOT NULL DEFAULT 0,
               records BIGINT NOT NULL DEFAULT 0,
               dead_letters BIGINT NOT NULL DEFAULT 0,
               last_payload_at TEXT))",
          R"(CREATE TABLE schema_versions (
               source_id TEXT NOT NULL REFERENCES sources (source_id),
               version BIGINT NOT NULL,
               sk TEXT NOT NULL,
               fields TEXT NOT NULL,
               field_diff TEXT NOT NULL,
               status TEXT NOT NULL,
               compatibility TEXT NOT NULL,
               created_at TEXT NOT NULL,
               promoted_at TEXT,
               note TEXT NOT NULL,
               fingerprint TEXT NOT NULL,
               mappings TEXT NOT NULL,
               payloads BIGINT NOT NULL,
               records BIGINT NOT NULL,
               first_object TEXT NOT NULL,
               updated_at TEXT NOT NULL,
               PRIMARY KEY (source_id, version)))",
          "CREATE INDEX schema_versions_fingerprint ON schema_versions (fingerprint)",
          R"(CREATE TABLE status_history (
               source_id TEXT NOT NULL,
               seq BIGINT NOT NULL,
               version BIGINT NOT NULL,
               from_status TEXT,
               to_status TEXT NOT NULL,
               who TEXT NOT NULL,
               at TEXT NOT NULL,
               note TEXT NOT NULL,
               PRIMARY KEY (source_id, seq),
               FOREIGN KEY (source_id, version) REFERENCES schema_versions (source_id, version)))",
          R"(CREATE TABLE payloads (
               object TEXT PRIMARY KEY,
               source_id TEXT NOT NULL REFERENCES sources (source_id),
               version BIGINT,
               records BIGINT NOT NULL,
               outcome TEXT NOT NULL,
               reason TEXT,
               applied_at TEXT NOT NULL))",
          "CREATE INDEX payloads_source ON payloads (source_id, version)",
          R"(CREATE TABLE alerts (
               alert_id BIGINT PRIMARY KEY,
               source_id TEXT NOT NULL,
               version BIGINT NOT NULL,
               kind TEXT NOT NULL,
               created_at TEXT NOT NULL,
               FOREIGN KEY (source_id, version) REFERENCES schema_versions (source_id, version)))",
          R"(CREATE TABLE alert_deliveries (
               alert_id BIGINT NOT NULL REFERENCES alerts (alert_id),
               sink TEXT NOT NULL,
               attempts BIGINT NOT NULL,
               next_attempt_at TEXT NOT NULL,
               delivered_at TEXT,
               last_error TEXT,
               PRIMARY KEY (alert_id, sink)))",
          "CREATE INDEX alert_deliveries_due ON alert_deliveries (delivered_at, next_attempt_at)",
      },
      // 2: promotion (catalog.h): runs, curated tables and their files, the ledger of
      // promoted objects, column names, blocked promotions. Lists are JSON text.
      {
          R"(CREATE TABLE promotion_runs (
               run_id TEXT PRIMARY KEY,
               seq BIGINT NOT NULL UNIQUE,
               source_id TEXT NOT NULL,
               table_name TEXT NOT NULL,
               version BIGINT NOT NULL,
               retired TEXT NOT NULL,
               new_columns TEXT NOT NULL,
               committed_at TEXT NOT NULL,
               published_at TEXT))",
          "CREATE INDEX promotion_runs_unpublished ON promotion_runs (published_at, seq)",
          R"(CREATE TABLE curated_tables (
               table_name TEXT PRIMARY KEY,
               source_id TEXT NOT NULL,
               version BIGINT NOT NULL,
               created_at TEXT NOT NULL,
               updated_at TEXT NOT NULL))",
          R"(CREATE TABLE curated_files (
               file_key TEXT PRIMARY KEY,
               table_name TEXT NOT NULL REFERENCES curated_tables (table_name),
               run_id TEXT NOT NULL REFERENCES promotion_runs (run_id),
               position BIGINT NOT NULL,
               staging_key TEXT NOT NULL,
               ingest_date TEXT NOT NULL,
               row_count BIGINT NOT NULL,
               byte_count BIGINT NOT NULL,
               version BIGINT NOT NULL,
               objects TEXT NOT NULL,
               state TEXT NOT NULL,
               retired_by_run TEXT))",
          "CREATE INDEX curated_files_table ON curated_files (table_name, state)",
          "CREATE INDEX curated_files_run ON curated_files (run_id, position)",
          R"(CREATE TABLE promotion_ledger (
               object TEXT PRIMARY KEY,
               source_id TEXT NOT NULL,
               run_id TEXT NOT NULL REFERENCES promotion_runs (run_id),
               file_key TEXT NOT NULL REFERENCES curated_files (file_key),
               promoted_at TEXT NOT NULL))",
          "CREATE INDEX promotion_ledger_source ON promotion_ledger (source_id)",
          "CREATE INDEX promotion_ledger_file ON promotion_ledger (file_key)",
          R"(CREATE TABLE curated_columns (
               table_name TEXT NOT NULL,
               path TEXT NOT NULL,
               column_name TEXT NOT NULL,
               PRIMARY KEY (table_name, path)))",
          R"(CREATE TABLE blocked_promotions (
               source_id TEXT NOT NULL,
               at TEXT NOT NULL,
               versions TEXT NOT NULL))",
          "CREATE INDEX blocked_promotions_source ON blocked_promotions (source_id)",
      },
      // 3: how each applied payload was read (profiler::LayoutToJson: format, CSV
      // dialect), so that promotion binds it the same way (ADR-044). NULL for payloads
      // applied before, and for dead letters.
      {
          "ALTER TABLE payloads ADD COLUMN layout TEXT",
      },
      // 4: the alert sinks of the home's server (SetAlertSinks), so that a BREAKING version
      // written by another process (the CLI) is owed to them too.
      {
          R"(CREATE TABLE alert_sinks (
               sink TEXT PRIMARY KEY,
               since TEXT NOT NULL))",
      },
      // 5: the columns each curated file was written with (ADR-117). NULL for files written
      // before, judged by their version's bound schema as then.
      {
          "ALTER TABLE curated_files ADD COLUMN columns TEXT",
      },
  };
  return kMigrations;
}

constexpr const char* kVersionColumns =
    "source_id, version, sk, fields, field_diff, status, compatibility, created_at, promoted_at, "
    "note, fingerprint, mappings, payloads, records, first_object, updated_at";

std::string Now(std::chrono::system_clock::time_point t) { return UtcTimestamp(t); }

arrow::Result<Json> ParseJson(const std::string& text, std::string_view what) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return MakeError(ErrorKind::kUnavailable,
                     fmt::format("registry record is corrupt: {} is not JSON", what));
  }
  return j;
}

arrow::Result<SchemaVersion> ReadVersion(const SqliteStatement& s) {
  SchemaVersion v;
  v.source_id = s.Text(0);
  v.version = s.Int(1);
  v.sk = s.Text(2);
  ARROW_ASSIGN_OR_RAISE(Json fields, ParseJson(s.Text(3), "fields"));
  ARROW_ASSIGN_OR_RAISE(v.fields, FieldsFromJson(fields));
  ARROW_ASSIGN_OR_RAISE(Json diff, ParseJson(s.Text(4), "field_diff"));
  ARROW_ASSIGN_OR_RAISE(v.field_diff, DiffFromJson(diff));
  const auto status = ParseStatus(s.Text(5));
  const auto compat = ParseCompatibility(s.Text(6));
  if (!status || !compat) {
    return MakeError(ErrorKind::kUnavailable, "registry record is corrupt: unknown status");
  }
  v.status = *status;
  v.compatibility = *compat;
  v.created_at = s.Text(7);
  v.promoted_at = s.OptionalText(8);
  v.note = s.Text(9);
  v.fingerprint = s.Text(10);
  ARROW_ASSIGN_OR_RAISE(Json mappings, ParseJson(s.Text(11), "mappings"));
  for (const auto& [to, from] : mappings.items()) {
    if (from.is_string()) v.mappings[to] = from.get<std::string>();
  }
  v.payloads = static_cast<uint64_t>(s.Int(12));
  v.records = static_cast<uint64_t>(s.Int(13));
  v.first_object = s.Text(14);
  v.updated_at = s.Text(15);
  return v;
}

// What a file holds: whether it has our migration table, other tables, and the highest
// migration applied. Reads only.
struct FileState {
  bool has_migrations = false;
  bool has_other = false;
  int64_t applied = 0;
};

arrow::Result<FileState> ReadFileState(SqliteDb* db) {
  FileState state;
  ARROW_ASSIGN_OR_RAISE(auto tables,
                        db->Prepare("SELECT name FROM sqlite_master WHERE type = 'table'"));
  while (true) {
    ARROW_ASSIGN_OR_RAISE(bool row, tables.Step());
    if (!row) break;
    (tables.Text(0) == "schema_migrations" ? state.has_migrations : state.has_other) = true;
  }
  if (state.has_migrations) {
    ARROW_ASSIGN_OR_RAISE(auto q,
                          db->Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
    ARROW_RETURN_NOT_OK(q.Step().status());
    state.applied = q.Int(0);
  }
  return state;
}

// kUnavailable for a file that is not a registry this latebind may use.
arrow::Status CheckFileState(const FileState& state, const std::string& path) {
  // A database with tables but no migration record is someone else's file.
  if (state.has_other && !state.has_migrations) {
    return MakeError(ErrorKind::kUnavailable,
                     fmt::format("{} is a SQLite database but not a latebind registry (no "
                                 "schema_migrations table); nothing was changed",
                                 path));
  }
  if (state.applied > static_cast<int64_t>(Migrations().size())) {
    return MakeError(ErrorKind::kUnavailable,
                     fmt::format("registry {} is at migration {}, newer than this latebind "
                                 "knows ({}); upgrade latebind",
                                 path, state.applied, Migrations().size()));
  }
  return arrow::Status::OK();
}

// `v`'s mappings with `requested` (new → old) confirmed on top of them; kBadInput naming the
// first requested mapping that is not a rename the bound schema (arrow_schema.h) can keep:
// NEW must be a field of the version, live unless `newer` (a version built on the one
// resolved may have renamed or removed NEW in its turn: the mapping still binds there, ADR-074),
// and OLD one the version holds but no longer fills (a live OLD would be overwritten by NEW's
// values and dropped), both members of one parent (ADR-105); NEW's type must continue OLD's
// (TypeContinues); no two mappings may fill one OLD; and the column NEW ends in, following
// the chain of mappings (rename_chain.h: c=b after b=a ends in a), may be filled by one live
// field only. A mapping that closes a cycle (a=b after b=a: a came back) passes when it
// does: every member binds to one column. The mappings confirmed before are not judged
// again: they carry over from the versions they were confirmed on.
arrow::Result<std::map<std::string, std::string>> ConfirmMappings(
    const SchemaVersion& v, const std::map<std::string, std::string>& requested, bool newer) {
  std::map<std::string, std::string> out = v.mappings;
  for (const auto& [to, from] : requested) out[to] = from;
  const std::string of = fmt::format("{} version {}", v.source_id, v.version);
  const RenameChains chains(v, out);
  for (const auto& [to, from] : requested) {
    auto refuse = [&](const std::string& why) {
      return MakeError(ErrorKind::kBadInput, fmt::format("mapping {}={}: {}", to, from, why));
    };
    const FieldSchema* t = v.Find(to);
    const FieldSchema* f = v.Find(from);
    if (to == from) return refuse("maps a field to itself");
    if (t == nullptr || (t->removed && !newer)) {
      return refuse(fmt::format("{} is not a live field of {}", to, of));
    }
    if (f == nullptr) return refuse(fmt::format("{} is not a field of {}", from, of));
    if (!f->removed) {
      return refuse(
          fmt::format("{} is a live field of {}: its column would be overwritten by "
                      "{} and dropped; map onto a removed field (a rename's old name)",
                      from, of, to));
    }
    if (IsWithin(to, from) || IsWithin(from, to)) {
      return refuse(fmt::format("{} and {} lie one within the other", to, from));
    }
    if (ParentPath(to) != ParentPath(from)) {
      auto where = [](std::string_view parent) {
        return parent.empty() ? std::string("the top level") : std::string(parent);
      };
      return refuse(fmt::format(
          "{} lies under {} and {} under {}: a mapping renames a member within its object, "
          "so a field that moved keeps a column of its own (resolve without this --map)",
          to, where(ParentPath(to)), from, where(ParentPath(from))));
    }
    if (!TypeContinues(f->type, t->type)) {
      return refuse(fmt::format("{} is {} and cannot fill {}'s {} column", to,
                                FieldTypeName(t->type), from, FieldTypeName(f->type)));
    }
    for (const auto& [other, column] : out) {
      if (column == from && other != to) {
        const FieldSchema* o = v.Find(other);
        // A rename of a renamed field continues its chain (c=b after b=a), not its start.
        const std::string hint =
            o != nullptr && o->removed
                ? fmt::format("; {} is removed: if {} renamed it, map {}={}", other, to, to, other)
                : "";
        return refuse(fmt::format("column {} is already filled by {} (mapping {}={}){}", from,
                                  other, other, from, hint));
      }
    }
    const RenameChain chain = chains.Follow(to);
    std::vector<std::string> live;
    for (const FieldSchema& g : v.fields) {
      if (!g.removed && chains.Follow(g.path).column == chain.column) live.push_back(g.path);
    }
    if (live.size() > 1) {
      return refuse(
          fmt::format("{} → {} would fill column {} from {} live fields, {}; a "
                      "chain of renames fills one column from one live field",
                      to, fmt::join(chain.through, " → "), chain.column, live.size(),
                      fmt::join(live, " and ")));
    }
  }
  return out;
}

// Confirms `requested` on each of `newer` (the versions above `version`, each built on it)
// as ConfirmMappings does; kBadInput naming the first one it does not fit.
arrow::Status ConfirmOnNewer(int64_t version, const std::map<std::string, std::string>& requested,
                             std::vector<SchemaVersion>* newer) {
  if (requested.empty()) return arrow::Status::OK();
  for (SchemaVersion& w : *newer) {
    auto confirmed = ConfirmMappings(w, requested, /*newer=*/true);
    if (!confirmed.ok()) {
      return MakeError(ErrorKind::kBadInput,
                       fmt::format("version {} is newer than {} and built on it, so a mapping "
                                   "confirmed on {} is confirmed on it too, and it does not "
                                   "fit: {}; nothing was changed",
                                   w.version, version, version, confirmed.status().message()));
    }
    w.mappings = std::move(*confirmed);
  }
  return arrow::Status::OK();
}

std::string Dump(const Json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

int SqliteRegistry::LatestMigration() { return static_cast<int>(Migrations().size()); }

arrow::Result<std::shared_ptr<SqliteRegistry>> SqliteRegistry::Open(const std::string& path,
                                                                    int busy_timeout_ms) {
  ARROW_ASSIGN_OR_RAISE(std::unique_ptr<SqliteDb> db, SqliteDb::Open(path, busy_timeout_ms));
  std::shared_ptr<SqliteRegistry> registry(new SqliteRegistry(std::move(db)));
  ARROW_RETURN_NOT_OK(registry->Migrate());
  return registry;
}

arrow::Result<std::shared_ptr<SqliteRegistry>> SqliteRegistry::OpenToRead(const std::string& path,
                                                                          int busy_timeout_ms) {
  ARROW_ASSIGN_OR_RAISE(std::unique_ptr<SqliteDb> db, SqliteDb::OpenToRead(path, busy_timeout_ms));
  ARROW_ASSIGN_OR_RAISE(FileState state, ReadFileState(db.get()));
  ARROW_RETURN_NOT_OK(CheckFileState(state, path));
  if (!state.has_migrations) {
    return MakeError(ErrorKind::kNotFound,
                     fmt::format("no registry in {}: the file holds no tables yet", path));
  }
  if (state.applied < LatestMigration()) {
    // Written by an older latebind: migrated first, as any command did before, where this
    // user may write.
    db.reset();
    auto migrated = Open(path, busy_timeout_ms);
    if (migrated.ok()) return migrated;
    return MakeError(
        ErrorKind::kUnavailable,
        fmt::format("registry {} was written by an older latebind (migration {} of "
                    "{}) and cannot be upgraded by this user: {}; run a command as "
                    "the home's owner once",
                    path, state.applied, LatestMigration(), migrated.status().message()));
  }
  return std::shared_ptr<SqliteRegistry>(new SqliteRegistry(std::move(db)));
}

arrow::Result<std::shared_ptr<Registry>> OpenRegistryToRead(const std::string& home) {
  ARROW_ASSIGN_OR_RAISE(auto r, SqliteRegistry::OpenToRead(home + "/registry.db"));
  return r;
}

arrow::Result<std::shared_ptr<Registry>> OpenRegistry(const std::string& home) {
  std::error_code ec;
  std::filesystem::create_directories(home, ec);
  if (ec) {
    return MakeError(ErrorKind::kUnavailable,
                     fmt::format("cannot create home {}: {}", home, ec.message()));
  }
  ARROW_ASSIGN_OR_RAISE(auto r, SqliteRegistry::Open(home + "/registry.db"));
  return r;
}

arrow::Status SqliteRegistry::Migrate() {
  std::lock_guard lock(mu_);
  const int64_t latest = LatestMigration();
  // Read before writing anything, without the write lock: a corrupt or foreign file is
  // refused as it was found (WAL, too, is written into the file), and a registry that is
  // already current — every open but the first — opens while another process writes.
  ARROW_ASSIGN_OR_RAISE(FileState state, ReadFileState(db_.get()));
  ARROW_RETURN_NOT_OK(CheckFileState(state, db_->path()));
  ARROW_RETURN_NOT_OK(db_->UseWal());
  if (state.has_migrations && state.applied == latest) return arrow::Status::OK();

  ARROW_ASSIGN_OR_RAISE(auto tx, SqliteTransaction::Begin(db_.get()));
  // Again under the write lock: another process may have migrated in between.
  ARROW_ASSIGN_OR_RAISE(state, ReadFileState(db_.get()));
  ARROW_RETURN_NOT_OK(CheckFileState(state, db_->path()));
  if (!state.has_migrations) {
    ARROW_RETURN_NOT_OK(
        db_->Exec("CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, applied_at TEXT "
                  "NOT NULL)"));
  }
  const auto& migrations = Migrations();
  for (size_t m = static_cast<size_t>(state.applied); m < migrations.size(); ++m) {
    for (const std::string& sql : migrations[m]) ARROW_RETURN_NOT_OK(db_->Exec(sql));
    ARROW_ASSIGN_OR_RAISE(auto ins, db_->Prepare("INSERT INTO schema_migrations (version, "
                                                 "applied_at) VALUES (?1, ?2)"));
    ARROW_RETURN_NOT_OK(ins.Bind(1, static_cast<int64_t>(m + 1))
                            .Bind(2, Now(std::chrono::system_clock::now()))
                            .Run());
  }
  return tx->Commit();
}

arrow::Result<std::optional<SchemaVersion>> SqliteRegistry::LoadVersion(
    const std::string& source_id, int64_t version) {
  const std::string sql =
      version > 0
          ? fmt::format("SELECT {} FROM schema_versions WHERE source_id = ?1 AND version = ?2",
                        kVersionColumns)
          : fmt::format(
                "SELECT {} FROM schema_versions WHERE source_id = ?1 ORDER BY version "
                "DESC LIMIT 1",
                kVersionColumns);
  ARROW_ASSIGN_OR_RAISE(auto q, db_->Prepare(sql));
  q.Bind(1, source_id);
  if (version > 0) q.Bind(2, version);
  ARROW_ASSIGN_OR_RAISE(bool row, q.Step());
  if (!row) return std::nullopt;
  ARROW_ASSIGN_OR_RAISE(SchemaVersion v, ReadVersion(q));
  return v;
}

arrow::Status SqliteRegistry::AddHistory(const std::string& source_id, int64_t version,
                                         std::optional<VersionStatus> from, VersionStatus to,
                                         const std::string& who, const std::string& at,
                                         const std::string& note) {
  ARROW_ASSIGN_OR_RAISE(
      auto q, db_->Prepare("INSERT INTO status_history (source_id, seq, version, from_status, "
                           "to_status, who, at, note) SELECT ?1, COALESCE(MAX(seq), 0) + 1, ?2, "
                           "?3, ?4, ?5, ?6, ?7 FROM status_history WHERE source_id = ?1"));
  std::optional<std::string> from_name;
  if (from) from_name = StatusName(*from);
  return q.Bind(1, source_id)
      .Bind(2, version)
      .Bind(3, from_name)
      .Bind(4, (StatusName(to)))
      .Bind(5, who)
      .Bind(6, at)
      .Bind(7, note)
      .Run();
}

arrow::Status SqliteRegistry::SupersedeActive(const std::string& source_id, int64_t version,
                                              const std::string& who, const std::string& at) {
  ARROW_ASSIGN_OR_RAISE(auto active, db_->Prepare("SELECT version FROM schema_versions WHERE "
                                                  "source_id = ?1 AND status = 'ACTIVE' AND "
                                                  "version <> ?2"));
  active.Bind(1, source_id).Bind(2, version);
  std::vector<int64_t> superseded;
  while (true) {
    ARROW_ASSIGN_OR_RAISE(bool row, active.Step());
    if (!row) break;
    superseded.push_back(active.Int(0));
  }
  for (int64_t old : superseded) {
    ARROW_ASSIGN_OR_RAISE(auto up, db_->Prepare("UPDATE schema_versions SET status = "
                                                "'DEPRECATED' WHERE source_id = ?1 AND "
                                                "version = ?2"));
    ARROW_RETURN_NOT_OK(up.Bind(1, source_id).Bind(2, old).Run());
    ARROW_RETURN_NOT_OK(AddHistory(source_id, old, VersionStatus::kActive,
                                   VersionStatus::kDeprecated, who, at,
                                   fmt::format("superseded by version {}", version)));
  }
  return arrow::Status::OK();
}

arrow::Status SqliteRegistry::InsertVersion(const SchemaVersion& v, const ApplyOptions& options) {
  // The primary key (source_id, version) is the conditional insert: a second writer with
  // the same number fails instead of overwriting (DESIGN.md §4 Concurrency).
  ARROW_ASSIGN_OR_RAISE(auto q, db_->Prepare(fmt::format(
                                    "INSERT INTO schema_versions ({}) VALUES (?1, ?2, ?3, ?4, ?5, "
                                    "?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
                                    kVersionColumns)));
  ARROW_RETURN_NOT_OK(q.Bind(1, v.source_id)
                          .Bind(2, v.version)
                          .Bind(3, v.sk)
                          .Bind(4, Dump(FieldsToJson(v.fields, FieldsForm::kStored)))
                          .Bind(5, Dump(DiffToJson(v.field_diff)))
                          .Bind(6, (StatusName(v.status)))
                          .Bind(7, (CompatibilityName(v.compatibility)))
                          .Bind(8, v.created_at)
                          .Bind(9, v.promoted_at)
                          .Bind(10, v.note)
                          .Bind(11, v.fingerprint)
                          .Bind(12, Dump(MappingsToJson(v.mappings)))
                          .Bind(13, static_cast<int64_t>(v.payloads))
                          .Bind(14, static_cast<int64_t>(v.records))
                          .Bind(15, v.first_object)
                          .Bind(16, v.updated_at)
                          .Run());
  ARROW_RETURN_NOT_OK(AddHistory(v.source_id, v.version, std::nullopt, v.status, "latebind",
                                 v.created_at, "created by " + v.first_object));
  if (v.status == VersionStatus::kActive) {
    // An additive version supersedes the active one.
    ARROW_RETURN_NOT_OK(SupersedeActive(v.source_id, v.version, "latebind", v.created_at));
  }
  if (v.status == VersionStatus::kBreaking) {
    ARROW_ASSIGN_OR_RAISE(auto id_q,
                          db_->Prepare("SELECT COALESCE(MAX(alert_id), 0) + 1 FROM alerts"));
    ARROW_RETURN_NOT_OK(id_q.Step().status());
    const int64_t alert_id = id_q.Int(0);
    ARROW_ASSIGN_OR_RAISE(auto alert, db_->Prepare("INSERT INTO alerts (alert_id, source_id, "
                                                   "version, kind, created_at) VALUES (?1, ?2, "
                                                   "?3, 'breaking', ?4)"));
    ARROW_RETURN_NOT_OK(alert.Bind(1, alert_id)
                            .Bind(2, v.source_id)
                            .Bind(3, v.version)
                            .Bind(4, v.created_at)
                            .Run());
    for (const std::string& sink : options.alert_sinks) {
      ARROW_ASSIGN_OR_RAISE(auto d, db_->Prepare("INSERT INTO alert_deliveries (alert_id, sink, "
                                                 "attempts, next_attempt_at) VALUES (?1, ?2, 0, "
                                                 "?3) ON CONFLICT DO NOTHING"));
      ARROW_RETURN_NOT_OK(d.Bind(1, alert_id).Bind(2, sink).Bind(3, v.created_at).Run());
    }
    ARROW_ASSIGN_OR_RAISE(auto registered,
                          db_->Prepare("INSERT INTO alert_deliveries (alert_id, sink, attempts, "
                                       "next_attempt_at) SELECT ?1, sink, 0, ?2 FROM alert_sinks "
                                       "WHERE true ON CONFLICT DO NOTHING"));
    ARROW_RETURN_NOT_OK(registered.Bind(1, alert_id).Bind(2, v.created_at).Run());
  }
  return arrow::Status::OK();
}

arrow::Status SqliteRegistry::UpdateVersionStats(const SchemaVersion& v) {
  ARROW_ASSIGN_OR_RAISE(auto q, db_->Prepare("UPDATE schema_versions SET fields = ?1, payloads = "
                                             "?2, records = ?3, updated_at = ?4 WHERE source_id "
                                             "= ?5 AND version = ?6"));
  return q.Bind(1, Dump(FieldsToJson(v.fields, FieldsForm::kStored)))
      .Bind(2, static_cast<int64_t>(v.payloads))
      .Bind(3, static_cast<int64_t>(v.records))
      .Bind(4, v.updated_at)
      .Bind(5, v.source_id)
      .Bind(6, v.version)
      .Run();
}

arrow::Result<std::vector<ApplyOutcome>> SqliteRegistry::Apply(
    const std::vector<ProfiledPayload>& payloads, const ApplyOptions& options) {
  std::lock_guard lock(mu_);
  ARROW_ASSIGN_OR_RAISE(auto tx, SqliteTransaction::Begin(db_.get()));
  const std::string now = Now(options.now);
  // The latest version of each source touched, and whether its stats await a write: a
  // batch of payloads that change nothing costs one UPDATE per source, not one each.
  struct Latest {
    std::optional<SchemaVersion> version;
    bool dirty = false;
  };
  std::unordered_map<std::string, Latest> latest;
  std::vector<ApplyOutcome> outcomes;
  // Prepared once per batch: these run for every payload.
  ARROW_ASSIGN_OR_RAISE(auto seen, db_->Prepare("SELECT version, outcome, source_id FROM "
                                                "payloads WHERE object = ?1"));
  ARROW_ASSIGN_OR_RAISE(auto src, db_->Prepare("INSERT INTO sources (source_id, created_at) "
                                               "VALUES (?1, ?2) ON CONFLICT DO NOTHING"));
  // An upsert: a plain INSERT failed with a UNIQUE constraint for an object recorded as a
  // dead letter before (ClearDeadLetter's contract is that Apply then records it anew).
  ARROW_ASSIGN_OR_RAISE(auto rec,
                        db_->Prepare("INSERT INTO payloads (object, source_id, version, records, "
                                     "outcome, applied_at, layout) VALUES (?1, ?2, ?3, ?4, "
                                     "'profiled', ?5, ?6) ON CONFLICT (object) DO UPDATE SET "
                                     "source_id = excluded.source_id, version = excluded.version, "
                                     "records = excluded.records, outcome = excluded.outcome, "
                                     "reason = NULL, applied_at = excluded.applied_at, layout = "
                                     "excluded.layout"));
  ARROW_ASSIGN_OR_RAISE(auto count, db_->Prepare("UPDATE sources SET payloads = payloads + 1, "
                                                 "records = records + ?1, last_payload_at = ?2 "
                                                 "WHERE source_id = ?3"));
  for (const ProfiledPayload& p : payloads) {
    ApplyOutcome out;
    out.object = p.object;
    seen.Reset();
    seen.Bind(1, p.object);
    ARROW_ASSIGN_OR_RAISE(bool known, seen.Step());
    if (known && seen.Text(1) == "profiled") {
      out.already_applied = true;
      out.version = seen.Int(0);
      outcomes.push_back(out);
      continue;
    }
    // A row that is not 'profiled' is a failure recorded earlier (dead_letter, or replayed
    // once cleared): this payload parsed, so its row becomes the applied one below.
    std::optional<std::string> dead_letter_source;
    if (known && seen.Text(1) == "dead_letter") dead_letter_source = seen.Text(2);
    src.Reset();
    ARROW_RETURN_NOT_OK(src.Bind(1, p.source_id).Bind(2, now).Run());
    auto [it, inserted] = latest.try_emplace(p.source_id);
    Latest& l = it->second;
    if (inserted) {
      ARROW_ASSIGN_OR_RAISE(l.version, LoadVersion(p.source_id, 0));
    }

    Evolution ev = Evolve(l.version, p.source_id, *p.profile, p.object, now, options.rename);
    if (ev.new_version) {
      if (l.dirty) ARROW_RETURN_NOT_OK(UpdateVersionStats(*l.version));
      ARROW_RETURN_NOT_OK(InsertVersion(ev.version, options));
      l.dirty = false;
    } else {
      l.dirty = true;
    }
    out.version = ev.version.version;
    out.new_version = ev.new_version;
    out.status = ev.version.status;
    l.version = std::move(ev.version);

    rec.Reset();
    ARROW_RETURN_NOT_OK(
        rec.Bind(1, p.object)
            .Bind(2, p.source_id)
            .Bind(3, out.version)
            .Bind(4, static_cast<int64_t>(p.profile->records))
            .Bind(5, now)
            .Bind(6, profiler::LayoutToJson({p.profile->format, p.profile->csv})
                         .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
            .Run());
    if (dead_letter_source) {
      ARROW_ASSIGN_OR_RAISE(auto dl, db_->Prepare("UPDATE sources SET dead_letters = (SELECT "
                                                  "COUNT(*) FROM payloads WHERE source_id = ?1 "
                                                  "AND outcome = 'dead_letter') WHERE "
                                                  "source_id = ?1"));
      ARROW_RETURN_NOT_OK(dl.Bind(1, *dead_letter_source).Run());
    }
    count.Reset();
    ARROW_RETURN_NOT_OK(count.Bind(1, static_cast<int64_t>(p.profile->records))
                            .Bind(2, now)
                            .Bind(3, p.source_id)
                            .Run());
    outcomes.push_back(out);
  }
  for (auto& [source, l] : latest) {
    if (l.dirty) ARROW_RETURN_NOT_OK(UpdateVersionStats(*l.version));
  }
  ARROW_RETURN_NOT_OK(tx->Commit());
  return outcomes;
}

arrow::Status SqliteRegistry::RecordDeadLetter(const std::string& source_id,
                                               const std::string& object,
                                               const std::string& reason_json) {
  std::lock_guard lock(mu_);
  ARROW_ASSIGN_OR_RAISE(auto tx, SqliteTransaction::Begin(db_.get()));
  const std::string now = Now(std::chrono::system_clock::now());
  ARROW_ASSIGN_OR_RAISE(auto src, db_->Prepare("INSERT INTO sources (source_id, created_at) "
                                               "VALUES (?1, ?2) ON CONFLICT DO NOTHING"));
  ARROW_RETURN_NOT_OK(src.Bind(1, source_id).Bind(2, now).Run());
  ARROW_ASSIGN_OR_RAISE(auto rec, db_->Prepare("INSERT INTO payloads (object, source_id, records, "
                                               "outcome, reason, applied_at) VALUES (?1, ?2, 0, "
                                               "'dead_letter', ?3, ?4) ON CONFLICT DO NOTHING"));
  ARROW_RETURN_NOT_OK(
      rec.Bind(1, object).Bind(2, source_id).Bind(3, reason_json).Bind(4, now).Run());
  ARROW_ASSIGN_OR_RAISE(auto count, db_->Prepare("UPDATE sources SET dead_letters = (SELECT "
                                                 "COUNT(*) FROM payloads WHERE source_id = ?1 AND "
                                                 "outcome = 'dead_letter') WHERE source_id = ?1"));
  ARROW_RETURN_NOT_OK(count.Bind(1, source_id).Run());
  return tx->Commit();
}

arrow::Result<std::vector<std::string>> SqliteRegistry::Unrecorded(
    const std::vector<std::string>& objects) {
  std::lock_guard lock(mu_);
  // One indexed lookup per object, in one read transaction: a consistent answer, and cheap
  // enough for a restart's whole raw zone.
  ARROW_RETURN_NOT_OK(db_->Exec("BEGIN"));
  std::vector<std::string> out;
  arrow::Status st = [&]() -> arrow::Status {
    ARROW_ASSIGN_OR_RAISE(auto q, db_->Prepare("SELECT 1 FROM payloads WHERE object = ?1"));
    for (const std::string& object : objects) {
      q.Reset();
      q.Bind(1, object);
      ARROW_ASSIGN_OR_RAISE(bool found, q.Step());
      if (!found) out.push_back(object);
    }
    return arrow::Status::OK();
  }();
  (void)db_->Exec(st.ok() ? "COMMIT" : "ROLLBACK");
  ARROW_RETURN_NOT_OK(st);
  return out;
}

arrow::Status SqliteRegistry::ClearDeadLetter(const std::string& object) {
  std::lock_guard lock(mu_);
  ARROW_ASSIGN_OR_RAISE(auto tx, SqliteTransaction::Begin(db_.get()));
  ARROW_ASSIGN_OR_RAISE(auto up, db_->Prepare("UPDATE payloads SET outcome = 'replayed' WHERE "
                                              "object = ?1 AND outcome = 'dead_letter'"));
  ARROW_RETURN_NOT_OK(up.Bind(1, object).Run());
  ARROW_ASSIGN_OR_RAISE(auto count,
                        db_->Prepare("UPDATE sources SET dead_letters = (SELECT COUNT(*) FROM "
                                     "payloads WHERE payloads.source_id = sources.source_id AND "
                                     "outcome = 'dead_letter')"));
  ARROW_RETURN_NOT_OK(count.Run());
  return tx->Commit();
}

arrow::Result<std::vector<SourceSummary>> SqliteRegistry::Sources() {
  std::lock_guard lock(mu_);
  ARROW_ASSIGN_OR_RAISE(
      auto q,
      db_->Prepare("SELECT s.source_id, s.created_at, s.payloads, s.records, s.dead_letters, "
                   "s.last_payload_at, (SELECT COUNT(*) FROM schema_versions v WHERE v.source_id "
                   "= s.source_id), (SELECT MAX(version) FROM schema_versions v WHERE "
                   "v.source_id = s.source_id), (SELECT status FROM schema_versions v WHERE "
                   "v.source_id = s.source_id ORDER BY version DESC LIMIT 1), (SELECT "
                   "MAX(version) FROM schema_versions v WHERE v.source_id = s.source_id AND "
                   "v.status = 'ACTIVE'), (SELECT group_concat(version) FROM (SELECT version "
                   "FROM schema_versions v WHERE v.source_id = s.source_id AND v.status = "
                   "'BREAKING' ORDER BY version)) FROM sources s ORDER BY s.source_id"));
  std::vector<SourceSummary> out;
  while (true) {
    ARROW_ASSIGN_OR_RAISE(bool row, q.Step());
    if (!row) break;
    SourceSummary s;
    s.source_id = q.Text(0);
    s.created_at = q.Text(1);
    s.payloads = static_cast<uint64_t>(q.Int(2));
    s.records = static_cast<uint64_t>(q.Int(3));
    s.dead_letters = static_cast<uint64_t>(q.Int(4));
    s.last_payload_at = q.OptionalText(5).value_or("");
    s.versions = q.Int(6);
    s.latest_version = q.Int(7);
    if (auto st = q.OptionalText(8)) s.latest_status = ParseStatus(*st);
    s.active_version = q.Int(9);
    const std::string breaking = q.OptionalText(10).value_or("");
    for (size_t at = 0; at < breaking.size();) {
      const size_t comma = std::min(breaking.find(',', at), breaking.size());
      s.breaking_versions.push_back(std::stoll(breaking.substr(at, comma - at)));
      at = comma + 1;
    }
    out.push_back(std::move(s));
  }
  return out;
}

arrow::Result<std::vector<SchemaVersion>> SqliteRegistry::Versions(const std::string& source_id) {
  std::lock_guard lock(mu_);
  ARROW_ASSIGN_OR_RAISE(std::vector<SchemaVersion> out, LoadVersionsAfter(source_id, 0));
  if (out.empty()) {
    ARROW_ASSIGN_OR_RAISE(auto s, db_->Prepare("SELECT 1 FROM sources WHERE source_id = ?1"));
    s.Bind(1, source_id);
    ARROW_ASSIGN_OR_RAISE(bool known, s.Step());
    if (!known) {
      return MakeError(ErrorKind::kNotFound, fmt::format("unknown source {}", source_id));
    }
  }
  return out;
}

arrow::Result<SchemaVersion> SqliteRegistry::Version(const std::string& source_id,
                                                     int64_t version) {
  std::lock_guard lock(mu_);
  ARROW_ASSIGN_OR_RAISE(auto v, LoadVersion(source_id, version));
  if (!v) {
    return MakeError(ErrorKind::kNotFound,
                     version > 0 ? fmt::format("source {} has no version {}", source_id, version)
                                 : fmt::format("source {} has no schema version", source_id));
  }
  return std::move(*v);
}

arrow::Result<std::vector<SchemaVersion>> SqliteRegistry::LoadVersionsAfter(
    const std::string& source_id, int64_t after) {
  ARROW_ASSIGN_OR_RAISE(auto q, db_->Prepare(fmt::format("SELECT {} FROM schema_versions WHERE "
                                                         "source_id = ?1 AND version > ?2 ORDER "
                                                         "BY version",
                                                         kVersionColumns)));
  q.Bind(1, source_id).Bind(2, after);
  std::vector<SchemaVersion> out;
  while (true) {
    ARROW_ASSIGN_OR_RAISE(bool row, q.Step());
    if (!row) break;
    ARROW_ASSIGN_OR_RAISE(SchemaVersion v, ReadVersion(q));
    out.push_back(std::move(v));
  }
  return out;
}

arrow::Status SqliteRegistry::StoreMappings(const SchemaVersion& v) {
  ARROW_ASSIGN_OR_RAISE(auto up, db_->Prepare("UPDATE schema_versions SET mappings = ?1 WHERE "
                                              "source_id = ?2 AND version = ?3"));
  return up.Bind(1, Dump(MappingsToJson(v.mappings))).Bind(2, v.source_id).Bind(3, v.version).Run();
}

arrow::Result<SchemaVersion> SqliteRegistry::SetStatus(const std::string& source_id,
                                                       int64_t version,
                                                       const StatusUpdate& update) {
  if (update.status == VersionStatus::kBreaking) {
    return MakeError(ErrorKind::kBadInput,
                     "a version can be set ACTIVE or DEPRECATED; BREAKING is only ever found");
  }
  if (update.note.empty()) {
    return MakeError(ErrorKind::kBadInput, "a status change needs a note saying why");
  }
  // Named explicitly: LoadVersion reads 0 as "the latest", and the updates below, keyed by
  // the number given, then wrote nothing but a history row for a version 0 that does not
  // exist (refused by its foreign key, as a confusing "unavailable").
  if (version < 1) {
    return MakeError(ErrorKind::kBadInput,
                     fmt::format("version {}: versions are numbered from 1", version));
  }
  std::lock_guard lock(mu_);
  ARROW_ASSIGN_OR_RAISE(auto tx, SqliteTransaction::Begin(db_.get()));
  ARROW_ASSIGN_OR_RAISE(auto found, LoadVersion(source_id, version));
  if (!found) {
    return MakeError(ErrorKind::kNotFound,
                     fmt::format("source {} has no version {}", source_id, version));
  }
  SchemaVersion v = std::move(*found);
  ARROW_ASSIGN_OR_RAISE(v.mappings, ConfirmMappings(v, update.mappings, /*newer=*/false));
  // Versions are linear: each newer one was derived from this one and carries its changes,
  // so a rename confirmed here is confirmed on each of them too (evolve carries mappings only
  // into versions created later). All or nothing: one it does not fit refuses the call.
  ARROW_ASSIGN_OR_RAISE(std::vector<SchemaVersion> newer, LoadVersionsAfter(source_id, version));
  ARROW_RETURN_NOT_OK(ConfirmOnNewer(version, update.mappings, &newer));
  std::optional<int64_t> newer_active;
  for (const SchemaVersion& w : newer) {
    if (w.status == VersionStatus::kActive) newer_active = w.version;
  }
  const std::string now = Now(std::chrono::system_clock::now());
  const std::string who = update.who.empty() ? "unknown" : update.who;
  VersionStatus to = update.status;
  std::string note = update.note;
  if (to == VersionStatus::kActive && newer_active) {
    // Accepting an older version while a newer one is ACTIVE: that newer one already
    // carries its changes, and promotion binds the ACTIVE version. Making this one ACTIVE
    // would deprecate the newer one and bind the table to an older schema, dropping its
    // fields; and a resolve run twice would undo itself. The ACTIVE version is the newest
    // accepted one.
    to = VersionStatus::kDeprecated;
    note = fmt::format("{} (accepted; version {}, newer and built on it, stays ACTIVE)",
                       update.note, *newer_active);
  } else if (to == VersionStatus::kActive) {
    ARROW_RETURN_NOT_OK(SupersedeActive(source_id, version, who, now));
  }
  ARROW_ASSIGN_OR_RAISE(auto up, db_->Prepare("UPDATE schema_versions SET status = ?1, note = "
                                              "?2, mappings = ?3 WHERE source_id = ?4 AND "
                                              "version = ?5"));
  ARROW_RETURN_NOT_OK(up.Bind(1, (StatusName(to)))
                          .Bind(2, note)
                          .Bind(3, Dump(MappingsToJson(v.mappings)))
                          .Bind(4, source_id)
                          .Bind(5, version)
                          .Run());
  if (!update.mappings.empty()) {
    for (const SchemaVersion& w : newer) ARROW_RETURN_NOT_OK(StoreMappings(w));
  }
  ARROW_RETURN_NOT_OK(AddHistory(source_id, version, v.status, to, who, now, note));
  ARROW_RETURN_NOT_OK(tx->Commit());
  v.status = to;
  v.note = note;
  return v;
}

arrow::Result<std::vector<StatusChange>> SqliteRegistry::StatusHistory(
    const std::string& source_id) {
  std::lock_guard lock(mu_);
  ARROW_ASSIGN_OR_RAISE(auto q, db_->Prepare("SELECT version, from_status, to_status, who, at, "
                                             "note FROM status_history WHERE source_id = ?1 "
                                             "ORDER BY seq"));
  q.Bind(1, source_id);
  std::vector<StatusChange> out;
  while (true) {
    ARROW_ASSIGN_OR_RAISE(bool row, q.Step());
    if (!row) break;
    StatusChange c;
    c.source_id = source_id;
    c.version = q.Int(0);
    if (auto from = q.OptionalText(1)) c.from = ParseStatus(*from);
    c.to = ParseStatus(q.Text(2)).value_or(VersionStatus::kActive);
    c.who = q.Text(3);
    c.at = q.Text(4);
    c.note = q.Text(5);
    out.push_back(std::move(c));
  }
  return out;
}

arrow::Result<std::vector<PendingDelivery>> SqliteRegistry::DueDeliveries(
    std::chrono::system_clock::time_point now, int limit) {
  std::lock_guard lock(mu_);
  // Only each sink's oldest owed row: its alerts go out in order (a failed one is not
  // overtaken by those behind it), and a sink that is down owes one row here however many
  // it owes, so it cannot fill the batch and starve the other sinks.
  ARROW_ASSIGN_OR_RAISE(
      auto q, db_->Prepare("SELECT d.alert_id, d.sink, a.source_id, a.version, d.attempts FROM "
                           "(SELECT sink, MIN(alert_id) AS alert_id FROM alert_deliveries WHERE "
                           "delivered_at IS NULL GROUP BY sink) oldest JOIN alert_deliveries d "
                           "ON d.sink = oldest.sink AND d.alert_id = oldest.alert_id JOIN alerts "
                           "a ON a.alert_id = d.alert_id WHERE d.next_attempt_at <= ?1 ORDER BY "
                           "d.next_attempt_at, d.alert_id LIMIT ?2"));
  q.Bind(1, Now(now)).Bind(2, static_cast<int64_t>(limit));
  std::vector<PendingDelivery> out;
  while (true) {
    ARROW_ASSIGN_OR_RAISE(bool row, q.Step());
    if (!row) break;
    PendingDelivery d;
    d.alert_id = q.Int(0);
    d.sink = q.Text(1);
    d.source_id = q.Text(2);
    d.version = q.Int(3);
    d.attempts = static_cast<int>(q.Int(4));
    // Stable per (alert, sink): two sinks sharing one dedupe store still get one each.
    d.idempotency_key = fmt::format("latebind-alert-{}-{}-v{}-{:016x}", d.alert_id, d.source_id,
                                    d.version, XXH3_64bits(d.sink.data(), d.sink.size()));
    out.push_back(std::move(d));
  }
  return out;
}

arrow::Status SqliteRegistry::MarkDelivered(int64_t alert_id, const std::string& sink) {
  std::lock_guard lock(mu_);
  ARROW_ASSIGN_OR_RAISE(auto q, db_->Prepare("UPDATE alert_deliveries SET delivered_at = ?1, "
                                             "attempts = attempts + 1 WHERE alert_id = ?2 AND "
                                             "sink = ?3 AND delivered_at IS NULL"));
  return q.Bind(1, Now(std::chrono::system_clock::now())).Bind(2, alert_id).Bind(3, sink).Run();
}

arrow::Status SqliteRegistry::MarkFailed(int64_t alert_id, const std::string& sink,
                                         const std::string& error,
                                         std::chrono::system_clock::time_point next_attempt) {
  std::lock_guard lock(mu_);
  ARROW_ASSIGN_OR_RAISE(auto q, db_->Prepare("UPDATE alert_deliveries SET attempts = attempts + "
                                             "1, last_error = ?1, next_attempt_at = ?2 WHERE "
                                             "alert_id = ?3 AND sink = ?4 AND delivered_at IS "
                                             "NULL"));
  return q.Bind(1, error).Bind(2, Now(next_attempt)).Bind(3, alert_id).Bind(4, sink).Run();
}

arrow::Result<int64_t> SqliteRegistry::SetAlertSinks(const std::vector<std::string>& sinks) {
  std::lock_guard lock(mu_);
  ARROW_ASSIGN_OR_RAISE(auto tx, SqliteTransaction::Begin(db_.get()));
  ARROW_RETURN_NOT_OK(db_->Exec("DELETE FROM alert_sinks"));
  ARROW_ASSIGN_OR_RAISE(auto q, db_->Prepare("INSERT INTO alert_sinks (sink, since) VALUES (?1, "
                                             "?2) ON CONFLICT DO NOTHING"));
  const std::string now = Now(std::chrono::system_clock::now());
  for (const std::string& sink : sinks) {
    q.Reset();
    ARROW_RETURN_NOT_OK(q.Bind(1, sink).Bind(2, now).Run());
  }
  const std::string unlisted =
      "FROM alert_deliveries WHERE delivered_at IS NULL AND sink NOT IN (SELECT sink FROM "
      "alert_sinks)";
  ARROW_ASSIGN_OR_RAISE(auto count, db_->Prepare("SELECT COUNT(*) " + unlisted));
  ARROW_RETURN_NOT_OK(count.Step().status());
  const int64_t dropped = count.Int(0);
  ARROW_RETURN_NOT_OK(db_->Exec("DELETE " + unlisted));
  ARROW_RETURN_NOT_OK(tx->Commit());
  return dropped;
}

arrow::Result<int64_t> SqliteRegistry::PendingAlerts() {
  std::lock_guard lock(mu_);
  ARROW_ASSIGN_OR_RAISE(auto q, db_->Prepare("SELECT COUNT(*) FROM alert_deliveries WHERE "
                                             "delivered_at IS NULL"));
  ARROW_RETURN_NOT_OK(q.Step().status());
  return q.Int(0);
}

arrow::Result<std::map<std::pair<std::string, std::string>, int64_t>>
SqliteRegistry::VersionCounts() {
  std::lock_guard lock(mu_);
  ARROW_ASSIGN_OR_RAISE(auto q, db_->Prepare("SELECT source_id, status, COUNT(*) FROM "
                                             "schema_versions GROUP BY source_id, status"));
  std::map<std::pair<std::string, std::string>, int64_t> out;
  while (true) {
    ARROW_ASSIGN_OR_RAISE(bool row, q.Step());
    if (!row) break;
    out[{q.Text(0), q.Text(1)}] = q.Int(2);
  }
  return out;
}

}  // namespace latebind::registry
