#include "common/sqlite.hpp"

#include <sqlite3.h>

#include <utility>

#include "common/strings.hpp"

namespace kiosk_edge {
namespace {

ErrorKind KindOf(int code) {
  switch (code & 0xFF) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return ErrorKind::kCorrupt;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return ErrorKind::kUnavailable;
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
    case SQLITE_RANGE:
      return ErrorKind::kInvalidArgument;
    default:
      return ErrorKind::kIo;
  }
}

Error SqliteError(sqlite3* db, int code, const std::filesystem::path& path, std::string_view what) {
  const char* detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(code);
  return Error(KindOf(code),
               StrCat(path.string(), ": ", what, ": ", detail, " (sqlite code ", code, ")"));
}

}  // namespace

// ---- Statement ----------------------------------------------------------------------------

Statement::Statement(Statement&& other) noexcept
    : statement_(std::exchange(other.statement_, nullptr)), db_(other.db_) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(statement_);
    statement_ = std::exchange(other.statement_, nullptr);
    db_ = other.db_;
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(statement_); }

Error Statement::MakeError(int code, std::string_view what) const {
  const char* file = sqlite3_db_filename(db_, "main");
  return SqliteError(db_, code, file != nullptr ? file : "", what);
}

Result<void> Statement::Bind(int index, std::int64_t value) {
  const int code = sqlite3_bind_int64(statement_, index, value);
  if (code != SQLITE_OK) return MakeError(code, "bind");
  return {};
}

Result<void> Statement::Bind(int index, std::string_view text) {
  const int code = sqlite3_bind_text64(statement_, index, text.data(), text.size(),
                                       SQLITE_TRANSIENT, SQLITE_UTF8);
  if (code != SQLITE_OK) return MakeError(code, "bind");
  return {};
}

Result<void> Statement::BindNull(int index) {
  const int code = sqlite3_bind_null(statement_, index);
  if (code != SQLITE_OK) return MakeError(code, "bind");
  return {};
}

Result<bool> Statement::Step() {
  const int code = sqlite3_step(statement_);
  if (code == SQLITE_ROW) return true;
  if (code == SQLITE_DONE) return false;
  return MakeError(code, StrCat("step '", sqlite3_sql(statement_), "'"));
}

Result<void> Statement::Run() {
  auto row = Step();
  if (!row) return row.error();
  if (*row) return Error(ErrorKind::kInternal, "statement returned rows where none were expected");
  return {};
}

void Statement::Reset() {
  // sqlite3_reset repeats the last step's error, which Step() already reported.
  sqlite3_reset(statement_);
  sqlite3_clear_bindings(statement_);
}

std::int64_t Statement::ColumnInt(int column) const {
  return sqlite3_column_int64(statement_, column);
}

std::string Statement::ColumnText(int column) const {
  const auto* text = sqlite3_column_text(statement_, column);
  const int size = sqlite3_column_bytes(statement_, column);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(size));
}

bool Statement::ColumnIsNull(int column) const {
  return sqlite3_column_type(statement_, column) == SQLITE_NULL;
}

// ---- Database -----------------------------------------------------------------------------

Result<Database> Database::Open(const std::filesystem::path& path, const DatabaseOptions& options) {
  sqlite3* raw = nullptr;
  const int flags =
      (options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
      SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  const int code = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Database db(raw, path);  // closes `raw` on every return below
  if (code != SQLITE_OK) return SqliteError(raw, code, path, "open");
  db.busy_timeout_ms_ = static_cast<int>(options.busy_timeout.count());
  sqlite3_busy_timeout(raw, db.busy_timeout_ms_);

  // Reading the schema is the first thing that touches the file: a file that is not a database
  // fails here with kCorrupt.
  auto schema = db.QueryInt("PRAGMA schema_version");
  if (!schema) return schema.error();
  if (options.cache_bytes > 0) {
    if (auto set = db.Exec(StrCat("PRAGMA cache_size=-", options.cache_bytes / 1024)); !set) {
      return set.error();
    }
  }
  if (!options.read_only) {
    auto mode = db.QueryText("PRAGMA journal_mode=WAL");
    if (!mode) return mode.error();
    if (*mode != "wal") {
      return Error(ErrorKind::kIo, StrCat(path.string(), ": cannot enable WAL (mode ", *mode, ")"));
    }
    const std::string pragmas = StrCat("PRAGMA synchronous=", options.durable ? "FULL" : "OFF",
                                       "; PRAGMA journal_size_limit=", options.wal_size_limit_bytes,
                                       "; PRAGMA foreign_keys=ON;");
    if (auto set = db.Exec(pragmas); !set) return set.error();
  }
  return db;
}

Database::Database(Database&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      path_(std::move(other.path_)),
      busy_timeout_ms_(other.busy_timeout_ms_),
      wal_commit_hook_(std::move(other.wal_commit_hook_)) {
  RebindWalCommitHook();
}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
    path_ = std::move(other.path_);
    busy_timeout_ms_ = other.busy_timeout_ms_;
    wal_commit_hook_ = std::move(other.wal_commit_hook_);
    RebindWalCommitHook();
  }
  return *this;
}

Database::~Database() { sqlite3_close_v2(db_); }

Error Database::MakeError(int code, std::string_view what) const {
  return SqliteError(db_, code, path_, what);
}

Result<void> Database::Exec(std::string_view sql) {
  const std::string text(sql);
  const int code = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
  if (code != SQLITE_OK) return MakeError(code, "exec");
  return {};
}

Result<Statement> Database::Prepare(std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  const int code = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
  if (code != SQLITE_OK) return MakeError(code, StrCat("prepare '", sql, "'"));
  return Statement(raw, db_);
}

Result<std::int64_t> Database::QueryInt(std::string_view sql) {
  auto statement = Prepare(sql);
  if (!statement) return statement.error();
  auto row = statement->Step();
  if (!row) return row.error();
  if (!*row) return Error(ErrorKind::kNotFound, StrCat("no row for '", sql, "'"));
  return statement->ColumnInt(0);
}

Result<std::string> Database::QueryText(std::string_view sql) {
  auto statement = Prepare(sql);
  if (!statement) return statement.error();
  auto row = statement->Step();
  if (!row) return row.error();
  if (!*row) return Error(ErrorKind::kNotFound, StrCat("no row for '", sql, "'"));
  return statement->ColumnText(0);
}

Result<void> Database::CheckIntegrity(bool full) {
  auto verdict = QueryText(full ? "PRAGMA integrity_check(1)" : "PRAGMA quick_check(1)");
  if (!verdict) return verdict.error();
  if (*verdict != "ok") {
    return Error(ErrorKind::kCorrupt,
                 StrCat(path_.string(), ": integrity check failed: ", *verdict));
  }
  return {};
}

Result<std::int64_t> Database::UsedBytes() { return QueryInt(kUsedBytesQuery); }

Result<void> Database::Checkpoint(CheckpointMode mode) {
  const bool restart = mode == CheckpointMode::kRestart;
  if (restart) sqlite3_busy_timeout(db_, 0);  // SQLITE_BUSY at once rather than wait for readers
  const int code = sqlite3_wal_checkpoint_v2(
      db_, nullptr, restart ? SQLITE_CHECKPOINT_RESTART : SQLITE_CHECKPOINT_PASSIVE, nullptr,
      nullptr);
  if (restart) sqlite3_busy_timeout(db_, busy_timeout_ms_);
  if (code != SQLITE_OK) return MakeError(code, "checkpoint");
  return {};
}

std::int64_t Database::Changes() const { return sqlite3_changes64(db_); }

void Database::SetWalCommitHook(WalCommitHook committed) {
  wal_commit_hook_ = std::move(committed);
  RebindWalCommitHook();
}

// SQLite calls the hook with this Database's address, so every move points it at the new one.
void Database::RebindWalCommitHook() {
  if (!wal_commit_hook_ || db_ == nullptr) return;
  sqlite3_wal_hook(
      db_,
      [](void* self, sqlite3*, const char*, int frames) {
        auto* database = static_cast<Database*>(self);
        database->wal_commit_hook_(*database, frames);
        return SQLITE_OK;
      },
      this);
}

// ---- Transaction --------------------------------------------------------------------------

Result<Transaction> Transaction::Begin(Database& db) {
  if (auto begun = db.Exec("BEGIN IMMEDIATE"); !begun) return begun.error();
  return Transaction(&db);
}

Transaction::~Transaction() {
  if (db_ != nullptr) (void)db_->Exec("ROLLBACK");
}

Result<void> Transaction::Commit() {
  Database* db = std::exchange(db_, nullptr);
  if (db == nullptr) return Error(ErrorKind::kInternal, "transaction already finished");
  if (auto committed = db->Exec("COMMIT"); !committed) {
    (void)db->Exec("ROLLBACK");  // harmless if SQLite already rolled back
    return committed.error();
  }
  return {};
}

// ---- Migrations ---------------------------------------------------------------------------

Result<void> Migrate(Database& db, std::span<const Migration> migrations) {
  auto current = db.QueryInt("PRAGMA user_version");
  if (!current) return current.error();
  for (std::size_t i = 1; i < migrations.size(); ++i) {
    if (migrations[i].version <= migrations[i - 1].version) {
      return Error(ErrorKind::kInternal, "migrations must be listed in ascending version order");
    }
  }
  const int newest = migrations.empty() ? 0 : migrations.back().version;
  if (*current > newest) {
    return Error(ErrorKind::kCorrupt,
                 StrCat(db.path().string(), ": schema version ", *current,
                        " is newer than this program understands (", newest, ")"));
  }
  for (const Migration& migration : migrations) {
    if (migration.version <= *current) continue;
    auto transaction = Transaction::Begin(db);
    if (!transaction) return transaction.error();
    if (auto applied = db.Exec(migration.sql); !applied) {
      return applied.error().WithContext(StrCat("migration ", migration.version));
    }
    if (auto set = db.Exec(StrCat("PRAGMA user_version=", migration.version)); !set) {
      return set.error();
    }
    if (auto committed = transaction->Commit(); !committed) return committed.error();
  }
  return {};
}

}  // namespace kiosk_edge
