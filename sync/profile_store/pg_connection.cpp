#include "sync/profile_store/pg_connection.hpp"

#include <libpq-fe.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <memory>
#include <utility>
#include <vector>

#include "common/strings.hpp"

namespace kiosk_edge {
namespace {

// Notices are dropped, except the FATAL one a server sends to an idle session it ends (libpq
// hands what an idle connection receives to the notice receiver): it sets `*ended`.
void NoteSessionEnded(void* ended, const PGresult* notice) {
  const char* severity = PQresultErrorField(notice, PG_DIAG_SEVERITY_NONLOCALIZED);
  if (severity != nullptr &&
      (std::string_view(severity) == "FATAL" || std::string_view(severity) == "PANIC")) {
    *static_cast<bool*>(ended) = true;
  }
}

// poll(2) for input on the connection's socket, but also ready at once when OpenSSL holds input it
// has read from the socket already, which poll cannot see (libpq's own waits check the same).
int PollInput(pg_conn* connection, int wait_ms) {
  auto* ssl = static_cast<SSL*>(PQsslStruct(connection, "OpenSSL"));
  if (ssl != nullptr && SSL_pending(ssl) > 0) return 1;
  pollfd socket{PQsocket(connection), POLLIN, 0};
  return poll(&socket, 1, wait_ms);
}

ErrorKind KindOfSqlstate(std::string_view sqlstate) {
  if (IsRetryable(sqlstate)) return ErrorKind::kUnavailable;
  const std::string_view sqlclass = sqlstate.substr(0, 2);
  if (sqlclass == "08" || sqlclass == "57" || sqlclass == "53") return ErrorKind::kUnavailable;
  if (sqlstate == "55P03") return ErrorKind::kUnavailable;  // lock_timeout: busy, try again
  if (sqlstate == "25006") return ErrorKind::kUnavailable;  // a read-only server: see Lost
  if (sqlclass == "22" || sqlclass == "23") return ErrorKind::kInvalidArgument;
  return ErrorKind::kIo;
}

std::string FirstLine(const char* text) {
  if (text == nullptr) return "no message";
  std::string line(text);
  if (auto end = line.find('\n'); end != std::string::npos) line.resize(end);
  return line;
}

}  // namespace

bool IsRetryable(std::string_view sqlstate) { return sqlstate == "40001" || sqlstate == "40P01"; }

// ---- PgResult ----

PgResult::PgResult(PgResult&& other) noexcept : result_(std::exchange(other.result_, nullptr)) {}

PgResult& PgResult::operator=(PgResult&& other) noexcept {
  if (this != &other) {
    PQclear(result_);
    result_ = std::exchange(other.result_, nullptr);
  }
  return *this;
}

PgResult::~PgResult() { PQclear(result_); }

int PgResult::rows() const { return PQntuples(result_); }

bool PgResult::IsNull(int row, int column) const { return PQgetisnull(result_, row, column) != 0; }

std::string PgResult::Text(int row, int column) const { return std::string(View(row, column)); }

std::string_view PgResult::View(int row, int column) const {
  return std::string_view(PQgetvalue(result_, row, column),
                          static_cast<std::size_t>(PQgetlength(result_, row, column)));
}

std::int64_t PgResult::Int(int row, int column) const {
  const char* text = PQgetvalue(result_, row, column);
  const auto size = static_cast<std::size_t>(PQgetlength(result_, row, column));
  std::int64_t value = 0;
  std::from_chars(text, text + size, value);
  return value;
}

std::int64_t PgResult::BinaryInt(int row, int column) const {
  const auto* bytes = reinterpret_cast<const unsigned char*>(PQgetvalue(result_, row, column));
  const int size = PQgetlength(result_, row, column);
  if (size != 2 && size != 4 && size != 8) return 0;
  std::uint64_t value = bytes[0] & 0x80 ? ~std::uint64_t{0} : 0;  // sign-extended
  for (int i = 0; i < size; ++i) value = (value << 8) | bytes[i];
  return static_cast<std::int64_t>(value);
}

bool PgResult::Bool(int row, int column) const {
  return PQgetlength(result_, row, column) > 0 && PQgetvalue(result_, row, column)[0] == 't';
}

std::int64_t PgResult::Affected() const {
  const char* text = PQcmdTuples(result_);
  std::int64_t value = 0;
  std::from_chars(text, text + std::char_traits<char>::length(text), value);
  return value;
}

// ---- PgConnection ----

// The deadlines Connect documents; `conninfo`, expanded after them, overrides any.
constexpr std::pair<const char*, const char*> kDefaultDeadlines[] = {
    {"connect_timeout", "10"},     {"keepalives", "1"},       {"keepalives_idle", "30"},
    {"keepalives_interval", "10"}, {"keepalives_count", "3"}, {"tcp_user_timeout", "60000"}};

Result<PgConnection> PgConnection::Connect(const std::string& conninfo) {
  std::vector<const char*> keywords, values;
  for (const auto& [keyword, value] : kDefaultDeadlines) {
    keywords.push_back(keyword);
    values.push_back(value);
  }
  keywords.insert(keywords.end(), {"dbname", nullptr});  // a connection string when it has '='
  values.insert(values.end(), {conninfo.c_str(), nullptr});
  PgConnection connection(PQconnectdbParams(keywords.data(), values.data(), /*expand_dbname=*/1));
  if (connection.connection_ == nullptr) {
    return Error(ErrorKind::kInternal, "postgres: out of memory");
  }
  if (PQstatus(connection.connection_) != CONNECTION_OK) {
    return Error(
        ErrorKind::kUnavailable,
        StrCat("postgres: cannot connect: ", FirstLine(PQerrorMessage(connection.connection_))));
  }
  if (auto set_up = connection.SetUpSession(); !set_up) return set_up.error();
  return connection;
}

Result<void> PgConnection::SetUpSession() {
  *unusable_ = false;
  PQsetNoticeReceiver(connection_, NoteSessionEnded, unusable_.get());
  if (PQsetClientEncoding(connection_, "UTF8") != 0) {
    return Error(ErrorKind::kIo, "postgres: cannot set client encoding UTF8");
  }
  // Raises only "off" (set for the database, the role or in the connection string): "local",
  // "on" and the standby levels all return once the commit is durable. The statement timeout is
  // always the connection's own, 0 included, never a default of the database or the role.
  return Exec(
      StrCat("SELECT set_config('synchronous_commit', 'on', false) "
             "WHERE current_setting('synchronous_commit') = 'off'; SET statement_timeout = ",
             call_timeout_.count()));
}

Result<void> PgConnection::SetCallTimeout(std::chrono::milliseconds timeout) {
  call_timeout_ = std::max(timeout, std::chrono::milliseconds::zero());
  return Exec(StrCat("SET statement_timeout = ", call_timeout_.count()));
}

void PgConnection::StartCall() {
  timed_out_ = false;
  deadline_ = std::chrono::steady_clock::now() + call_timeout_ + kAnswerGrace;
}

void PgConnection::AwaitResult() {
  while (!Broken() && PQisBusy(connection_) == 1) {
    int wait_ms = -1;
    if (call_timeout_ > std::chrono::milliseconds::zero()) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(
          deadline_ - std::chrono::steady_clock::now());
      wait_ms = static_cast<int>(std::clamp<std::int64_t>(left.count(), 0, 1 << 30));
    }
    const int ready = PollInput(connection_, wait_ms);
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) {
      // No answer in time: the connection is given up, which libpq sees at its next read.
      timed_out_ = true;
      ::shutdown(PQsocket(connection_), SHUT_RDWR);
    }
    if (PQconsumeInput(connection_) == 0) return;  // lost: PQgetResult reports it
  }
}

pg_result* PgConnection::NextResult() {
  AwaitResult();
  return PQgetResult(connection_);
}

pg_result* PgConnection::Finish(int sent) {
  if (sent != 1) return nullptr;
  pg_result* last = nullptr;
  while (pg_result* next = NextResult()) {
    PQclear(last);
    last = next;
    const ExecStatusType status = PQresultStatus(next);
    if (status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH ||
        Broken()) {
      break;
    }
  }
  return last;
}

std::optional<std::string> PgConnection::Option(std::string_view keyword) const {
  std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options(PQconninfo(connection_),
                                                                       &PQconninfoFree);
  for (const PQconninfoOption* option = options.get(); option && option->keyword; ++option) {
    if (keyword == option->keyword) {
      if (option->val == nullptr) return std::nullopt;
      return std::string(option->val);
    }
  }
  return std::nullopt;
}

PgConnection::PgConnection(PgConnection&& other) noexcept
    : connection_(std::exchange(other.connection_, nullptr)),
      unusable_(std::move(other.unusable_)),
      call_timeout_(other.call_timeout_),
      deadline_(other.deadline_),
      timed_out_(other.timed_out_),
      last_sqlstate_(std::move(other.last_sqlstate_)) {}

PgConnection& PgConnection::operator=(PgConnection&& other) noexcept {
  if (this != &other) {
    if (connection_ != nullptr) PQfinish(connection_);
    connection_ = std::exchange(other.connection_, nullptr);
    unusable_ = std::move(other.unusable_);
    call_timeout_ = other.call_timeout_;
    deadline_ = other.deadline_;
    timed_out_ = other.timed_out_;
    last_sqlstate_ = std::move(other.last_sqlstate_);
  }
  return *this;
}

PgConnection::~PgConnection() {
  if (connection_ != nullptr) PQfinish(connection_);
}

Error PgConnection::ResultError(pg_result* result, std::string_view what) {
  const char* sqlstate = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  last_sqlstate_ = sqlstate != nullptr ? sqlstate : "";
  if (last_sqlstate_ == "25006") *unusable_ = true;  // a standby, or a read-only primary
  const char* primary =
      result != nullptr ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  const std::string message =
      timed_out_           ? StrCat("no answer within ", (call_timeout_ + kAnswerGrace).count(),
                                    " ms; connection dropped")
      : primary != nullptr ? std::string(primary)
                           : FirstLine(PQerrorMessage(connection_));
  const ErrorKind kind = Broken() || (last_sqlstate_.empty() && result == nullptr)
                             ? ErrorKind::kUnavailable
                             : KindOfSqlstate(last_sqlstate_);
  return Error(kind,
               StrCat("postgres: ", what, ": ", message,
                      last_sqlstate_.empty() ? "" : StrCat(" (sqlstate ", last_sqlstate_, ")")));
}

Result<PgResult> PgConnection::Check(pg_result* raw, std::string_view what) {
  PgResult result(raw);  // cleared on every return
  const ExecStatusType status = raw != nullptr ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
    last_sqlstate_.clear();
    return result;
  }
  return ResultError(raw, what);
}

Result<void> PgConnection::CheckWritable() {
  auto shown = Query("SHOW transaction_read_only");
  if (!shown) return shown.error();
  if (shown->rows() == 1 && shown->Text(0, 0) == "off") return {};
  *unusable_ = true;
  return Error(ErrorKind::kUnavailable,
               "postgres: the server takes no writes in this session (transaction_read_only is "
               "on: a standby, or default_transaction_read_only)");
}

Result<void> PgConnection::Exec(std::string_view sql) {
  const std::string text(sql);
  // Several statements: Finish returns the last result; an error stops at the failing one.
  StartCall();
  auto result = Check(Finish(PQsendQuery(connection_, text.c_str())), "exec");
  if (!result) return result.error();
  return {};
}

namespace {

struct RawParams {
  explicit RawParams(const PgParams& params) {
    values.reserve(params.size());
    for (const auto& param : params) values.push_back(param ? param->c_str() : nullptr);
  }
  int count() const { return static_cast<int>(values.size()); }
  std::vector<const char*> values;
};

}  // namespace

Result<PgResult> PgConnection::Query(std::string_view sql, const PgParams& params) {
  return QueryIn(sql, params, 0);
}

Result<PgResult> PgConnection::QueryBinary(std::string_view sql, const PgParams& params) {
  return QueryIn(sql, params, 1);
}

Result<PgResult> PgConnection::QueryIn(std::string_view sql, const PgParams& params,
                                       int result_format) {
  const std::string text(sql);
  const RawParams raw(params);
  StartCall();
  return Check(Finish(PQsendQueryParams(connection_, text.c_str(), raw.count(), nullptr,
                                        raw.values.data(), nullptr, nullptr, result_format)),
               "query");
}

Result<void> PgConnection::Prepare(const std::string& name, std::string_view sql) {
  const std::string text(sql);
  StartCall();
  auto result = Check(Finish(PQsendPrepare(connection_, name.c_str(), text.c_str(), 0, nullptr)),
                      StrCat("prepare ", name));
  if (!result) return result.error();
  return {};
}

Result<PgResult> PgConnection::Run(const std::string& name, const PgParams& params) {
  const RawParams raw(params);
  StartCall();
  return Check(Finish(PQsendQueryPrepared(connection_, name.c_str(), raw.count(), raw.values.data(),
                                          nullptr, nullptr, 0)),
               name);
}

Result<std::vector<PgResult>> PgConnection::RunPipeline(std::span<const PgCommand> commands) {
  StartCall();
  if (PQenterPipelineMode(connection_) != 1) {
    return Error(ErrorKind::kUnavailable, StrCat("postgres: cannot enter pipeline mode: ",
                                                 FirstLine(PQerrorMessage(connection_))));
  }
  // Results are small (row counts, a few rows), so sending everything before reading cannot
  // fill the server's output buffer and stall both ends.
  std::optional<Error> failure;
  std::size_t queued = 0;
  for (const PgCommand& command : commands) {
    const RawParams raw(command.params);
    const int sent = command.prepared
                         ? PQsendQueryPrepared(connection_, command.statement.c_str(), raw.count(),
                                               raw.values.data(), nullptr, nullptr, 0)
                         : PQsendQueryParams(connection_, command.statement.c_str(), raw.count(),
                                             nullptr, raw.values.data(), nullptr, nullptr, 0);
    if (sent != 1) {
      failure = Error(ErrorKind::kUnavailable,
                      StrCat("postgres: pipeline: ", FirstLine(PQerrorMessage(connection_))));
      break;
    }
    ++queued;
  }
  const bool synced = PQpipelineSync(connection_) == 1;
  if (!synced && !failure) {
    failure = Error(ErrorKind::kUnavailable,
                    StrCat("postgres: pipeline: ", FirstLine(PQerrorMessage(connection_))));
  }
  // Each command's results end with a null; the sync's result ends the pipeline. What was queued
  // is read to the end even after a failure, so the connection leaves pipeline mode clean.
  std::vector<PgResult> results;
  std::size_t command = 0;
  bool command_answered = false;
  while (synced) {
    pg_result* raw = NextResult();
    if (raw == nullptr) {
      if (Broken() || command >= queued) {
        if (!failure) {
          failure = Error(ErrorKind::kUnavailable, "postgres: pipeline: connection lost");
        }
        break;
      }
      ++command;
      command_answered = false;
      continue;
    }
    const ExecStatusType status = PQresultStatus(raw);
    if (status == PGRES_PIPELINE_SYNC) {
      PQclear(raw);
      break;
    }
    const std::string_view what = command < queued && commands[command].prepared
                                      ? commands[command].statement
                                      : std::string_view("pipeline");
    if (status == PGRES_PIPELINE_ABORTED || failure || command_answered) {
      PQclear(raw);  // skipped after a failure, or an extra result we did not ask for
    } else if (auto checked = Check(raw, what); checked) {
      results.push_back(std::move(*checked));
    } else {
      failure = checked.error();
    }
    command_answered = true;
  }
  if (PQexitPipelineMode(connection_) != 1 && !failure) {
    failure = Error(ErrorKind::kUnavailable, StrCat("postgres: cannot leave pipeline mode: ",
                                                    FirstLine(PQerrorMessage(connection_))));
  }
  if (failure) return *failure;
  if (results.size() != commands.size()) {
    return Error(ErrorKind::kInternal, "postgres: pipeline: results missing");
  }
  last_sqlstate_.clear();
  return results;
}

Result<void> PgConnection::CopyIn(std::string_view copy_statement, std::string_view rows) {
  const std::string text(copy_statement);
  StartCall();
  pg_result* started = Finish(PQsendQuery(connection_, text.c_str()));
  if (started == nullptr || PQresultStatus(started) != PGRES_COPY_IN) {
    auto failed = Check(started, "copy");
    if (!failed) return failed.error();
    return Error(ErrorKind::kInternal, "postgres: copy did not start");
  }
  PQclear(started);
  // Sent in pieces libpq's int length can describe.
  constexpr std::size_t kPiece = 1 << 20;
  for (std::size_t at = 0; at < rows.size(); at += kPiece) {
    const std::string_view piece = rows.substr(at, kPiece);
    if (PQputCopyData(connection_, piece.data(), static_cast<int>(piece.size())) != 1) {
      (void)PQputCopyEnd(connection_, "send failed");
      while (pg_result* rest = NextResult()) PQclear(rest);
      return Error(ErrorKind::kUnavailable,
                   StrCat("postgres: copy: ", FirstLine(PQerrorMessage(connection_))));
    }
  }
  if (PQputCopyEnd(connection_, nullptr) != 1) {
    while (pg_result* rest = NextResult()) PQclear(rest);
    return Error(ErrorKind::kUnavailable,
                 StrCat("postgres: copy: ", FirstLine(PQerrorMessage(connection_))));
  }
  Result<void> outcome;
  while (pg_result* result = NextResult()) {
    if (outcome) {
      auto checked = Check(result, "copy");
      if (!checked) outcome = checked.error();
    } else {
      PQclear(result);
    }
  }
  return outcome;
}

bool PgConnection::Broken() const {
  return connection_ == nullptr || PQstatus(connection_) != CONNECTION_OK;
}

bool PgConnection::Lost() {
  // The server's goodbye is a FATAL message (NoteSessionEnded), then the end of the stream, which
  // fails the read and breaks the connection. The message is enough: the server sends it before
  // it lets the session go. Reading stops when nothing more has arrived. A session whose server
  // refused a write as read-only (ResultError) is of no more use either.
  while (!Broken() && !*unusable_) {
    if (PollInput(connection_, 0) != 1 || PQconsumeInput(connection_) == 0) break;
  }
  return Broken() || *unusable_;
}

Result<void> PgConnection::Reset() {
  PQreset(connection_);
  if (Broken()) {
    return Error(ErrorKind::kUnavailable,
                 StrCat("postgres: cannot reconnect: ", FirstLine(PQerrorMessage(connection_))));
  }
  return SetUpSession();
}

// ---- PgArray ----

void PgArray::Separate() {
  if (text_.size() > 1) text_.push_back(',');
}

PgArray& PgArray::Add(std::string_view text) {
  Separate();
  text_.push_back('"');
  for (char c : text) {
    if (c == '"' || c == '\\') text_.push_back('\\');
    text_.push_back(c);
  }
  text_.push_back('"');
  return *this;
}

PgArray& PgArray::Add(const std::optional<std::string>& text) {
  if (text) return Add(std::string_view(*text));
  Separate();
  text_.append("NULL");
  return *this;
}

PgArray& PgArray::Add(std::int64_t value) {
  Separate();
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  text_.append(digits, end);
  return *this;
}

PgArray& PgArray::Add(bool value) {
  Separate();
  text_.push_back(value ? 't' : 'f');
  return *this;
}

// ---- PgCopyRows ----

void PgCopyRows::Separate() {
  if (row_started_) text_.push_back('\t');
  row_started_ = true;
}

PgCopyRows& PgCopyRows::Field(std::int64_t value) {
  Separate();
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  text_.append(digits, end);
  return *this;
}

PgCopyRows& PgCopyRows::Field(std::string_view text) {
  Separate();
  // Copies the runs between characters that need a backslash escape in one go. (A plain loop:
  // find_first_of with a set of four calls memchr once per character of the text.)
  std::size_t run = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char* escaped = nullptr;
    switch (text[i]) {
      case '\\':
        escaped = "\\\\";
        break;
      case '\t':
        escaped = "\\t";
        break;
      case '\n':
        escaped = "\\n";
        break;
      case '\r':
        escaped = "\\r";
        break;
      default:
        continue;
    }
    text_.append(text.substr(run, i - run)).append(escaped, 2);
    run = i + 1;
  }
  text_.append(text.substr(run));
  return *this;
}

PgCopyRows& PgCopyRows::Field(const std::optional<std::string>& text) {
  if (text) return Field(std::string_view(*text));
  return Null();
}

PgCopyRows& PgCopyRows::Field(std::optional<std::int64_t> value) {
  if (value) return Field(*value);
  return Null();
}

PgCopyRows& PgCopyRows::Null() {
  Separate();
  text_.append("\\N");
  return *this;
}

PgCopyRows& PgCopyRows::EndRow() {
  text_.push_back('\n');
  row_started_ = false;
  return *this;
}

std::string QuoteIdentifier(std::string_view name) { return StrCat("\"", name, "\""); }

}  // namespace kiosk_edge
