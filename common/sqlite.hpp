#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "common/error.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace kiosk_edge {

// A prepared statement. Move-only; finalized on destruction. Bind indexes start at 1, column
// indexes at 0 (as in SQLite). Used from one thread at a time, like its Database.
class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  Result<void> Bind(int index, std::int64_t value);
  Result<void> Bind(int index, std::string_view text);
  Result<void> BindNull(int index);

  // Advances to the next row: true when a row is ready to read, false when the statement is done.
  // A statement left on a row keeps its connection's read transaction open, which stops WAL
  // checkpoints from emptying the WAL: read single rows with ReadOne, reset any other statement
  // read only in part.
  Result<bool> Step();
  // Steps a statement that returns no rows to completion.
  Result<void> Run();
  // A query of at most one row: calls `read(*this)` on the row if there is one, then resets the
  // statement (so that no read transaction stays open). True when there was a row.
  template <class Read>
  Result<bool> ReadOne(Read&& read) {
    auto row = Step();
    if (row && *row) read(static_cast<const Statement&>(*this));
    Reset();
    return row;
  }
  // Makes the statement ready to run again, with its bindings cleared.
  void Reset();

  std::int64_t ColumnInt(int column) const;
  std::string ColumnText(int column) const;
  bool ColumnIsNull(int column) const;

 private:
  friend class Database;
  Statement(sqlite3_stmt* statement, sqlite3* db) : statement_(statement), db_(db) {}
  Error MakeError(int code, std::string_view what) const;

  sqlite3_stmt* statement_ = nullptr;
  sqlite3* db_ = nullptr;
};

struct DatabaseOptions {
  bool read_only = false;
  std::chrono::milliseconds busy_timeout{5'000};
  // WAL with synchronous=FULL: once COMMIT has returned, the transaction survives power loss.
  bool durable = true;
  // After a checkpoint the WAL file is truncated to at most this size.
  std::int64_t wal_size_limit_bytes = 4 * 1024 * 1024;
  // The connection's page cache; 0 keeps SQLite's default (2 MiB).
  std::int64_t cache_bytes = 0;
};

// Bytes in use in the main database (pages minus free pages); prepare it once where it runs often.
inline constexpr std::string_view kUsedBytesQuery =
    "SELECT (page_count - freelist_count) * page_size "
    "FROM pragma_page_count(), pragma_freelist_count(), pragma_page_size()";

enum class CheckpointMode {
  kPassive,  // copies what it can into the database without blocking writers
  // Copies everything, so that the next transaction starts the WAL afresh; fails at once
  // (kUnavailable), having copied what it could, while a reader still uses the WAL.
  kRestart,
};

// One SQLite connection. Move-only; closed on destruction. Not thread-safe: use from one thread
// at a time. Errors name the file and carry SQLite's message; a corrupt file gives kCorrupt.
class Database {
 public:
  static Result<Database> Open(const std::filesystem::path& path, const DatabaseOptions& options);

  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  // Runs one or more statements that return no rows.
  Result<void> Exec(std::string_view sql);
  Result<Statement> Prepare(std::string_view sql);
  // Runs a query whose first row's first column is an integer (or text).
  Result<std::int64_t> QueryInt(std::string_view sql);
  Result<std::string> QueryText(std::string_view sql);

  // PRAGMA quick_check (or the slower full integrity_check): kCorrupt with SQLite's first
  // complaint unless the database is sound.
  Result<void> CheckIntegrity(bool full = false);
  // Bytes the database file would hold without its free pages.
  Result<std::int64_t> UsedBytes();
  // A WAL checkpoint (see CheckpointMode).
  Result<void> Checkpoint(CheckpointMode mode);
  // Rows changed by the last INSERT/UPDATE/DELETE.
  std::int64_t Changes() const;
  // Calls `committed` after every COMMIT on this connection (on the committing thread, with the
  // write lock released) with the number of frames in the WAL, instead of SQLite's automatic
  // checkpoint, which stops (WalCheckpointer uses it). It may call Checkpoint().
  using WalCommitHook = std::function<void(Database& self, int wal_frames)>;
  void SetWalCommitHook(WalCommitHook committed);

  const std::filesystem::path& path() const { return path_; }

 private:
  Database(sqlite3* db, std::filesystem::path path) : db_(db), path_(std::move(path)) {}
  Error MakeError(int code, std::string_view what) const;
  void RebindWalCommitHook();

  sqlite3* db_ = nullptr;
  std::filesystem::path path_;
  int busy_timeout_ms_ = 0;        // DatabaseOptions::busy_timeout
  WalCommitHook wal_commit_hook_;  // SQLite is handed this Database's address, moves rebind it
};

// BEGIN IMMEDIATE ... COMMIT. Rolls back on destruction unless committed.
class Transaction {
 public:
  static Result<Transaction> Begin(Database& db);
  Transaction(Transaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();

  // Once this returns success the changes are durable (with DatabaseOptions::durable).
  Result<void> Commit();

 private:
  explicit Transaction(Database* db) : db_(db) {}
  Database* db_;
};

// One step of a schema: applied when PRAGMA user_version is below `version`.
struct Migration {
  int version;
  std::string_view sql;
};

// Applies, in order and each in its own transaction that also sets user_version, every migration
// newer than the database. Refuses a database newer than the newest migration (a downgrade).
Result<void> Migrate(Database& db, std::span<const Migration> migrations);

}  // namespace kiosk_edge
