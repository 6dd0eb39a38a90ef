#pragma once

// A small RAII wrapper over one libpq connection, the only code that sees libpq-fe.h (in
// pg_connection.cpp). Parameters and results travel in PostgreSQL's text format (results in
// binary on request: QueryBinary). Not thread-safe: one thread at a time per connection.
//
// Errors: kUnavailable when the connection is lost or the server refuses for now (connection
// exceptions, shutdown, serialization failures and deadlocks: see IsRetryable), kInvalidArgument
// for integrity and data errors, kIo otherwise. Messages carry PostgreSQL's primary message and
// SQLSTATE, never the DETAIL line (which may quote row values).

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

struct pg_conn;
struct pg_result;

namespace kiosk_edge {

// Query parameters in text format; nullopt is SQL NULL.
using PgParams = std::vector<std::optional<std::string>>;

inline std::optional<std::string> PgParam(std::int64_t value) { return std::to_string(value); }
inline std::optional<std::string> PgParam(int value) { return std::to_string(value); }
inline std::optional<std::string> PgParam(std::string_view value) { return std::string(value); }
inline std::optional<std::string> PgParam(const std::string& value) { return value; }
inline std::optional<std::string> PgParam(const char* value) { return std::string(value); }
inline std::optional<std::string> PgParam(const std::optional<std::string>& value) { return value; }
inline std::optional<std::string> PgParam(const std::optional<std::int64_t>& value) {
  return value ? PgParam(*value) : std::nullopt;
}
inline std::optional<std::string> PgParam(bool value) {
  return std::string(value ? "true" : "false");
}

// A one-dimensional array parameter ($1::text[], $2::bigint[], ...) in PostgreSQL's text form,
// for set-based statements: INSERT ... SELECT ... FROM unnest($1::text[], $2::bigint[]).
// Elements are quoted and escaped; a nullopt element is NULL. Text must not contain NUL.
class PgArray {
 public:
  PgArray& Add(std::string_view text);
  PgArray& Add(const std::string& text) { return Add(std::string_view(text)); }
  PgArray& Add(const std::optional<std::string>& text);
  PgArray& Add(std::int64_t value);
  PgArray& Add(bool value);
  // "{...}"
  std::string Text() const { return text_ + "}"; }

 private:
  void Separate();
  std::string text_ = "{";
};

inline std::optional<std::string> PgParam(const PgArray& value) { return value.Text(); }

template <class... Values>
PgParams Params(const Values&... values) {
  return PgParams{PgParam(values)...};
}

// One statement of a pipeline (PgConnection::RunPipeline): a statement prepared on the
// connection, by name, or SQL text, with its parameters.
struct PgCommand {
  static PgCommand Prepared(std::string name, PgParams params = {}) {
    return PgCommand{std::move(name), true, std::move(params)};
  }
  static PgCommand Sql(std::string sql, PgParams params = {}) {
    return PgCommand{std::move(sql), false, std::move(params)};
  }
  std::string statement;  // a prepared statement's name, or SQL
  bool prepared = false;
  PgParams params;
};

// A query's rows. Move-only.
class PgResult {
 public:
  PgResult(PgResult&& other) noexcept;
  PgResult& operator=(PgResult&& other) noexcept;
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;
  ~PgResult();

  int rows() const;
  bool IsNull(int row, int column) const;
  std::string Text(int row, int column) const;
  // The same text without a copy, valid while this result lives ("" for NULL).
  std::string_view View(int row, int column) const;
  // 0 for NULL or text that is not an integer.
  std::int64_t Int(int row, int column) const;
  // An integer column of a QueryBinary result (smallint, integer or bigint); 0 for NULL.
  std::int64_t BinaryInt(int row, int column) const;
  // A boolean column ("t"/"f").
  bool Bool(int row, int column) const;
  // Rows changed by an INSERT/UPDATE/DELETE.
  std::int64_t Affected() const;

 private:
  friend class PgConnection;
  explicit PgResult(pg_result* result) : result_(result) {}
  pg_result* result_;
};

class PgConnection {
 public:
  // Connects with a libpq connection string ("host=127.0.0.1 port=5432 dbname=hq user=hq"),
  // in UTF-8, with notices silenced. kUnavailable when the server cannot be reached.
  // A commit returns only once it is durable: a synchronous_commit of "off" is raised to "on"
  // for the session (the server's fsync stays the server's: PostgresStore::Open warns of it).
  // Deadlines, unless `conninfo` sets them: 10 s to connect (connect_timeout); a silent server
  // is probed after 30 s and given up after 3 unanswered probes 10 s apart (keepalives); data
  // sent and unacknowledged for 60 s loses the connection (tcp_user_timeout). Without them a
  // server that vanished from the network would hold a call for the kernel's 15 minutes, or,
  // waiting for an answer, for good.
  static Result<PgConnection> Connect(const std::string& conninfo);

  PgConnection(PgConnection&& other) noexcept;
  PgConnection& operator=(PgConnection&& other) noexcept;
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;
  ~PgConnection();

  // Runs SQL without parameters; several statements separated by ';' are allowed.
  Result<void> Exec(std::string_view sql);
  // Runs one statement with parameters $1, $2, ...
  Result<PgResult> Query(std::string_view sql, const PgParams& params = {});
  // The same with the rows in PostgreSQL's binary format: text columns read as with Query
  // (View, Text), integer columns with BinaryInt. Saves both sides the text conversion of
  // large integer results.
  Result<PgResult> QueryBinary(std::string_view sql, const PgParams& params = {});
  // Prepares `sql` under `name` on this connection, and runs it.
  Result<void> Prepare(const std::string& name, std::string_view sql);
  Result<PgResult> Run(const std::string& name, const PgParams& params);
  // Sends `commands` in one round trip (libpq's pipeline mode), and returns their results in
  // order. PostgreSQL runs them one after the other; at the first failure it skips the rest (and,
  // inside a transaction, aborts it) and that failure is returned.
  Result<std::vector<PgResult>> RunPipeline(std::span<const PgCommand> commands);
  // Runs `copy_statement` ("COPY t (a, b) FROM STDIN") and sends `rows` in COPY's text format
  // (see PgCopyRows). The rows are all in or none are (within the surrounding transaction).
  Result<void> CopyIn(std::string_view copy_statement, std::string_view rows);

  // Bounds every later call, and keeps bounding them after a Reset. PostgreSQL is asked to cancel
  // a statement running longer than `timeout` (statement_timeout: the call fails with
  // kUnavailable, sqlstate 57014, and the connection carries on); a call with no answer
  // `timeout` + 2 s after it started, from a server that cannot even cancel (stopped, its disk
  // hung), fails with kUnavailable and drops the connection (Broken; Reset reconnects). 0: calls
  // wait for good, the default, for migrations: a statement_timeout the database or the role sets
  // does not apply either. Writes are bounded by tcp_user_timeout (Connect).
  Result<void> SetCallTimeout(std::chrono::milliseconds timeout);

  // True when the connection is lost; Reset() then reconnects (prepared statements and session
  // settings are gone: the owner sets them up again).
  bool Broken() const;
  // Broken(), or lost while idle: a server that ends an idle session (restart, failover,
  // pg_terminate_backend) says so and closes the socket, which libpq reads only at the next
  // call. This reads what has arrived, without blocking. For use between calls, never inside one.
  // Also true once the server refused a write as read-only (sqlstate 25006, kUnavailable): a
  // standby after a failover, where a reconnection can find the new primary
  // (target_session_attrs=read-write in the connection string).
  bool Lost();
  Result<void> Reset();
  // One round trip that succeeds only while the server would take a write in this session.
  // kUnavailable when it is read-only (a standby, or default_transaction_read_only set for the
  // database or role), and the session is then Lost, as after a refused write.
  Result<void> CheckWritable();

  // The value in effect of a libpq connection option ("connect_timeout"), or nothing when unset.
  std::optional<std::string> Option(std::string_view keyword) const;

  // The SQLSTATE of the last failure ("" when none, or when the failure had none).
  const std::string& last_sqlstate() const { return last_sqlstate_; }

 private:
  explicit PgConnection(pg_conn* connection) : connection_(connection) {}
  // After a connect or reconnect: notices dropped but the server's goodbye, UTF-8, the call
  // timeout.
  Result<void> SetUpSession();

  // How long past the call timeout an answer is awaited before the connection is dropped.
  static constexpr std::chrono::milliseconds kAnswerGrace{2000};
  // Every call begins here: its deadline is set.
  void StartCall();
  // Waits until PQgetResult would not block, at most until the call's deadline; then drops the
  // connection.
  void AwaitResult();
  // PQgetResult within the call's deadline.
  pg_result* NextResult();
  // The last result of the query PQsend* just sent (`sent`: what it returned), as PQexec gives
  // it; nullptr when it was not sent.
  pg_result* Finish(int sent);
  // result_format: 0 text, 1 binary.
  Result<PgResult> QueryIn(std::string_view sql, const PgParams& params, int result_format);
  Error ResultError(pg_result* result, std::string_view what);
  Result<PgResult> Check(pg_result* result, std::string_view what);

  pg_conn* connection_;
  // Set when the server ends the session (NoteSessionEnded) or refuses a write as read-only
  // (ResultError); read by Lost. On the heap: libpq holds its address, which must survive a move
  // of the connection.
  std::unique_ptr<bool> unusable_ = std::make_unique<bool>(false);
  std::chrono::milliseconds call_timeout_{0};
  std::chrono::steady_clock::time_point deadline_;  // of the running call
  bool timed_out_ = false;                          // the running call had no answer in time
  std::string last_sqlstate_;
};

// True for failures worth retrying the whole transaction for: serialization failure (40001),
// deadlock (40P01).
bool IsRetryable(std::string_view sqlstate);

// Rows for PgConnection::CopyIn in COPY's text format: fields separated by tabs, rows ended by
// newlines, backslash escapes, \N for NULL.
class PgCopyRows {
 public:
  PgCopyRows& Field(std::int64_t value);
  PgCopyRows& Field(std::string_view text);
  PgCopyRows& Field(const std::string& text) { return Field(std::string_view(text)); }
  PgCopyRows& Field(const std::optional<std::string>& text);  // nullopt: NULL
  PgCopyRows& Field(std::optional<std::int64_t> value);       // nullopt: NULL
  PgCopyRows& EndRow();
  const std::string& text() const { return text_; }
  void Reserve(std::size_t bytes) { text_.reserve(bytes); }

 private:
  void Separate();
  PgCopyRows& Null();
  std::string text_;
  bool row_started_ = false;
};

// `name` as a quoted SQL identifier, for names validated elsewhere ([a-z_][a-z0-9_]*).
std::string QuoteIdentifier(std::string_view name);

}  // namespace kiosk_edge
