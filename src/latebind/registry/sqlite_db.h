// A thin RAII layer over the SQLite C API (one connection, prepared statements,
// transactions) that turns SQLite's result codes into arrow::Status with an ErrorKind and
// the database path, so "locked" and "corrupt" read as such. Not thread-safe: one owner.
#pragma once

#include <arrow/result.h>
#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace latebind::registry {

class SqliteStatement {
 public:
  SqliteStatement(sqlite3_stmt* stmt, std::string db_path)
      : stmt_(stmt), path_(std::move(db_path)) {}
  SqliteStatement(SqliteStatement&& other) noexcept;
  SqliteStatement& operator=(SqliteStatement&&) = delete;
  ~SqliteStatement();

  // Parameters are 1-based, as in SQL text (?1, ?2, ...).
  SqliteStatement& Bind(int index, int64_t value);
  SqliteStatement& Bind(int index, std::string_view value);
  SqliteStatement& Bind(int index, const std::string& value) {
    return Bind(index, std::string_view(value));
  }
  SqliteStatement& Bind(int index, const char* value) {
    return Bind(index, std::string_view(value));
  }
  SqliteStatement& Bind(int index, const std::optional<std::string>& value);  // nullopt: NULL
  // True while a row is available; false when done.
  arrow::Result<bool> Step();
  arrow::Status Run();  // Step until done (statements without rows)
  void Reset();         // ready to step again; bindings are kept until rebound

  int64_t Int(int column) const;
  std::string Text(int column) const;
  std::optional<std::string> OptionalText(int column) const;

 private:
  sqlite3_stmt* stmt_;
  std::string path_;
};

class SqliteDb {
 public:
  // Opens (creating) `path` with synchronous=FULL (a committed transaction is durable) and
  // a busy timeout within which a writer waits for another's lock. Writes nothing to the
  // file: journaling is switched to WAL by UseWal(), once the caller knows the file is its.
  static arrow::Result<std::unique_ptr<SqliteDb>> Open(const std::string& path,
                                                       int busy_timeout_ms);
  // Opens `path` to read only, never creating or writing anything. A WAL-mode file whose
  // directory this user cannot write (a home owned by the service's user) has no `-shm`
  // to share: with no `-wal` beside it either (no writer since the last checkpoint), it
  // is read as an immutable file; with one, that is an error naming the cause.
  static arrow::Result<std::unique_ptr<SqliteDb>> OpenToRead(const std::string& path,
                                                             int busy_timeout_ms);
  // Switches the file to WAL journaling (readers and one writer proceed together). A
  // persistent setting written into the file, so only for a file known to be ours; a
  // no-op when it is already WAL. Waits up to the busy timeout for other connections.
  arrow::Status UseWal();
  ~SqliteDb();

  arrow::Status Exec(const std::string& sql);
  arrow::Result<SqliteStatement> Prepare(const std::string& sql);
  const std::string& path() const { return path_; }

  // The error of a result code, with the path and what was being done.
  arrow::Status Error(int code, std::string_view doing) const;

 private:
  SqliteDb(sqlite3* db, std::string path, int busy_timeout_ms)
      : db_(db), path_(std::move(path)), busy_timeout_ms_(busy_timeout_ms) {}
  sqlite3* db_;
  std::string path_;
  int busy_timeout_ms_;
};

// BEGIN IMMEDIATE on construction (the write lock is taken up front, so two writers
// serialise instead of deadlocking on lock upgrade), ROLLBACK unless committed.
class SqliteTransaction {
 public:
  static arrow::Result<std::unique_ptr<SqliteTransaction>> Begin(SqliteDb* db);
  ~SqliteTransaction();
  arrow::Status Commit();

 private:
  explicit SqliteTransaction(SqliteDb* db) : db_(db) {}
  SqliteDb* db_;
  bool done_ = false;
};

}  // namespace latebind::registry
