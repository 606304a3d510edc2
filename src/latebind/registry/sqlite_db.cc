#include "latebind/registry/sqlite_db.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "latebind/common/status.h"

namespace latebind::registry {
namespace {

arrow::Status SqliteError(int code, const std::string& path, std::string_view doing,
                          const char* detail) {
  const int primary = code & 0xFF;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
    return MakeError(ErrorKind::kUnavailable,
                     fmt::format("registry {} is locked by another process ({}): {}", path, doing,
                                 detail ? detail : sqlite3_errstr(code)));
  }
  if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) {
    return MakeError(ErrorKind::kUnavailable,
                     fmt::format("registry {} is corrupt or not a SQLite database ({}): {}; "
                                 "nothing was changed — restore it from a backup or move it "
                                 "aside to start a new registry",
                                 path, doing, detail ? detail : sqlite3_errstr(code)));
  }
  return MakeError(ErrorKind::kUnavailable, fmt::format("registry {}: {}: {}", path, doing,
                                                        detail ? detail : sqlite3_errstr(code)));
}

}  // namespace

SqliteStatement::SqliteStatement(SqliteStatement&& other) noexcept
    : stmt_(other.stmt_), path_(std::move(other.path_)) {
  other.stmt_ = nullptr;
}

SqliteStatement::~SqliteStatement() {
  if (stmt_ != nullptr) sqlite3_finalize(stmt_);
}

SqliteStatement& SqliteStatement::Bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

SqliteStatement& SqliteStatement::Bind(int index, std::string_view value) {
  sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  return *this;
}

SqliteStatement& SqliteStatement::Bind(int index, const std::optional<std::string>& value) {
  if (value) return Bind(index, std::string_view(*value));
  sqlite3_bind_null(stmt_, index);
  return *this;
}

arrow::Result<bool> SqliteStatement::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteError(rc, path_, sqlite3_sql(stmt_), sqlite3_errmsg(sqlite3_db_handle(stmt_)));
}

arrow::Status SqliteStatement::Run() {
  while (true) {
    ARROW_ASSIGN_OR_RAISE(bool row, Step());
    if (!row) return arrow::Status::OK();
  }
}

void SqliteStatement::Reset() { sqlite3_reset(stmt_); }

int64_t SqliteStatement::Int(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string SqliteStatement::Text(int column) const {
  const auto* p = sqlite3_column_text(stmt_, column);
  return p == nullptr ? std::string()
                      : std::string(reinterpret_cast<const char*>(p),
                                    static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

std::optional<std::string> SqliteStatement::OptionalText(int column) const {
  if (sqlite3_column_type(stmt_, column) == SQLITE_NULL) return std::nullopt;
  return Text(column);
}

arrow::Result<std::unique_ptr<SqliteDb>> SqliteDb::Open(const std::string& path,
                                                        int busy_timeout_ms) {
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  std::unique_ptr<SqliteDb> db(new SqliteDb(raw, path, busy_timeout_ms));
  if (rc != SQLITE_OK) return db->Error(rc, "cannot open");
  sqlite3_busy_timeout(raw, busy_timeout_ms);
  // Settings of this connection only. journal_mode=WAL is not among them: it is written
  // into the file, and setting it here changed a foreign database that Open then refused
  // as "not a latebind registry, nothing was changed" (see UseWal).
  ARROW_RETURN_NOT_OK(db->Exec("PRAGMA synchronous=FULL"));
  ARROW_RETURN_NOT_OK(db->Exec("PRAGMA foreign_keys=ON"));
  return db;
}

arrow::Result<std::unique_ptr<SqliteDb>> SqliteDb::OpenToRead(const std::string& path,
                                                              int busy_timeout_ms) {
  auto open = [&](const std::string& name) -> arrow::Result<std::unique_ptr<SqliteDb>> {
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(
        name.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI, nullptr);
    std::unique_ptr<SqliteDb> db(new SqliteDb(raw, path, busy_timeout_ms));
    if (rc != SQLITE_OK) return db->Error(rc, "cannot open");
    sqlite3_busy_timeout(raw, busy_timeout_ms);
    return db;
  };
  ARROW_ASSIGN_OR_RAISE(auto db, open(path.starts_with("file:") ? "./" + path : path));
  // The first read opens the WAL index (-shm), which needs a writable directory.
  const int rc =
      sqlite3_exec(db->db_, "SELECT count(*) FROM sqlite_master", nullptr, nullptr, nullptr) & 0xFF;
  if (rc == SQLITE_OK) return db;
  if (rc != SQLITE_READONLY && rc != SQLITE_CANTOPEN) return db->Error(rc, "cannot read");
  // Read as an immutable file only when nothing beside it holds changes it lacks.
  for (const char* suffix : {"-wal", "-journal"}) {
    struct stat st;
    if (::stat((path + suffix).c_str(), &st) == 0 && st.st_size > 0) {
      return MakeError(ErrorKind::kUnavailable,
                       fmt::format("cannot read registry {}: {}{} holds changes not yet in it "
                                   "(a writer runs, or one stopped before checkpointing), and "
                                   "this user cannot share its lock files in that directory; "
                                   "run as the home's owner",
                                   path, path, suffix));
    }
  }
  // An absolute path after "file://" (an empty authority): "file://" + "//x" is still read
  // as the path "//x", where "file:" + "//x" would make x the authority.
  std::error_code ec;
  const std::string absolute = std::filesystem::absolute(path, ec).string();
  std::string uri = "file://";
  for (const char c : ec ? path : absolute) {
    if (c == '?' || c == '#' || c == '%') {
      uri += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    } else {
      uri += c;
    }
  }
  ARROW_ASSIGN_OR_RAISE(db, open(uri + "?immutable=1"));
  return db;
}

arrow::Status SqliteDb::UseWal() {
  // The switch needs the file to itself, and SQLite answers SQLITE_BUSY at once, without
  // the busy handler, while another connection reads it: as when several processes open a
  // new registry together. So retry within the busy timeout, until the answer is "wal".
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(busy_timeout_ms_);
  while (true) {
    std::string mode;
    char* message = nullptr;
    const int rc = sqlite3_exec(
        db_, "PRAGMA journal_mode=WAL",
        [](void* out, int columns, char** values, char**) {
          if (columns > 0 && values[0] != nullptr) *static_cast<std::string*>(out) = values[0];
          return 0;
        },
        &mode, &message);
    const int primary = rc & 0xFF;
    const bool busy =
        primary == SQLITE_BUSY || primary == SQLITE_LOCKED || (rc == SQLITE_OK && mode != "wal");
    if (!busy || std::chrono::steady_clock::now() >= deadline) {
      arrow::Status st = rc == SQLITE_OK && mode == "wal"
                             ? arrow::Status::OK()
                             : SqliteError(rc == SQLITE_OK ? SQLITE_BUSY : rc, path_,
                                           "PRAGMA journal_mode=WAL", message);
      sqlite3_free(message);
      return st;
    }
    sqlite3_free(message);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

SqliteDb::~SqliteDb() { sqlite3_close_v2(db_); }

arrow::Status SqliteDb::Error(int code, std::string_view doing) const {
  return SqliteError(code, path_, doing, db_ ? sqlite3_errmsg(db_) : nullptr);
}

arrow::Status SqliteDb::Exec(const std::string& sql) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return arrow::Status::OK();
  arrow::Status st = SqliteError(rc, path_, sql.substr(0, 60), message);
  sqlite3_free(message);
  return st;
}

arrow::Result<SqliteStatement> SqliteDb::Prepare(const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) return Error(rc, sql.substr(0, 60));
  return SqliteStatement(stmt, path_);
}

arrow::Result<std::unique_ptr<SqliteTransaction>> SqliteTransaction::Begin(SqliteDb* db) {
  ARROW_RETURN_NOT_OK(db->Exec("BEGIN IMMEDIATE"));
  return std::unique_ptr<SqliteTransaction>(new SqliteTransaction(db));
}

SqliteTransaction::~SqliteTransaction() {
  if (!done_) (void)db_->Exec("ROLLBACK");
}

arrow::Status SqliteTransaction::Commit() {
  ARROW_RETURN_NOT_OK(db_->Exec("COMMIT"));
  done_ = true;
  return arrow::Status::OK();
}

}  // namespace latebind::registry
