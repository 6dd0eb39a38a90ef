// The COPY peer of sync_drain_bench, on libpq directly (nothing of profile-store's own
// PostgreSQL code is used but ScannerKey, to fill the rows' scanner_key as profile-store does).

#include <libpq-fe.h>

#include <barrier>
#include <boost/json/parse.hpp>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "bench/sync_drain_peers.hpp"
#include "common/strings.hpp"
#include "sync/profile_store/scanner_key.hpp"

namespace kiosk_edge::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;

// The columns, key and indexes of profile-store's events table (postgres_schema.cpp and
// attribution_schema.hpp, as migration 12 leaves it).
constexpr std::string_view kCreateTable = R"sql(
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS copy_peer CASCADE;
CREATE SCHEMA copy_peer;
CREATE TABLE copy_peer.events (
  kiosk_id TEXT COLLATE "C" NOT NULL, incarnation TEXT COLLATE "C" NOT NULL, seq BIGINT NOT NULL,
  type TEXT COLLATE "C" NOT NULL, occurred_at_ms BIGINT NOT NULL, monotonic_ns BIGINT NOT NULL,
  boot_id TEXT COLLATE "C" NOT NULL, channel_id TEXT COLLATE "C", payload_version INTEGER NOT NULL,
  device_id TEXT COLLATE "C", payload JSON NOT NULL, received_at_ms BIGINT NOT NULL,
  scan_flags SMALLINT, scanner_key BIGINT,
  PRIMARY KEY (kiosk_id, incarnation, seq));
CREATE INDEX events_by_type_time ON copy_peer.events (type, occurred_at_ms)
  WHERE type <> 'scan';
CREATE INDEX scans_by_time ON copy_peer.events (occurred_at_ms)
  INCLUDE (channel_id, scan_flags, scanner_key) WHERE type = 'scan';
CREATE INDEX events_by_scanner ON copy_peer.events (scanner_key) WHERE scanner_key IS NOT NULL;
)sql";

constexpr std::string_view kCopy =
    "COPY copy_peer.events (kiosk_id, incarnation, seq, type, occurred_at_ms, monotonic_ns, "
    "boot_id, channel_id, payload_version, device_id, payload, received_at_ms, scan_flags, "
    "scanner_key) FROM STDIN";

struct Connection {
  explicit Connection(const std::string& conninfo) : pg(PQconnectdb(conninfo.c_str())) {}
  ~Connection() { PQfinish(pg); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  bool ok() const { return pg != nullptr && PQstatus(pg) == CONNECTION_OK; }
  std::string error() const { return pg == nullptr ? "out of memory" : PQerrorMessage(pg); }
  PGconn* pg;
};

Error PgError(std::string_view what, const std::string& message) {
  return Error(ErrorKind::kIo, StrCat("COPY peer: ", what, ": ", message));
}

Result<void> Exec(Connection& connection, std::string_view sql) {
  PGresult* result = PQexec(connection.pg, std::string(sql).c_str());
  const ExecStatusType status = PQresultStatus(result);
  const std::string message = PQresultErrorMessage(result);
  PQclear(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) return PgError(sql, message);
  return {};
}

void AppendField(std::string& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += c;
    }
  }
}

// A scan's scan_flags as profile-store computes them (event_rules.hpp's ScanFacts): 1 =
// attributable, 2 = a verified presence code.
std::string ScanFlags(const WireEvent& scan) {
  const boost::json::object payload = boost::json::parse(scan.payload_json).as_object();
  const auto is = [&](std::string_view key, const boost::json::value& wanted) {
    const auto* value = payload.if_contains(key);
    return value != nullptr && *value == wanted;
  };
  const int flags = (is("valid", true) && scan.channel_id ? 1 : 0) +
                    (is("code", "presence") && is("presence", "verified") ? 2 : 0);
  return std::to_string(flags);
}

// One COPY statement's rows, in COPY's text format.
std::string CopyText(std::span<const WireEvent> events, std::span<const std::string> devices,
                     std::size_t first, std::size_t count, const std::string& kiosk_id,
                     std::int64_t received_at_ms) {
  std::string text;
  text.reserve(count * 400);
  for (std::size_t i = first; i < first + count; ++i) {
    const WireEvent& e = events[i];
    AppendField(text, kiosk_id);
    text += "\tcopy\t";
    text += std::to_string(i + 1);
    text += '\t';
    AppendField(text, e.type);
    text += StrCat("\t", e.occurred_at_ms, "\t", e.monotonic_ns, "\t");
    AppendField(text, e.boot_id);
    text += '\t';
    if (e.channel_id) {
      AppendField(text, *e.channel_id);
    } else {
      text += "\\N";
    }
    text += StrCat("\t", e.payload_version, "\t");
    if (devices[i].empty()) {
      text += "\\N";
    } else {
      AppendField(text, devices[i]);
    }
    text += '\t';
    AppendField(text, e.payload_json);
    text += StrCat("\t", received_at_ms, "\t");
    if (e.type == "scan") {
      text += ScanFlags(e);
      text += '\t';
      text += devices[i].empty() ? "\\N" : std::to_string(ScannerKey(kiosk_id, devices[i]));
    } else {
      text += "\\N\t\\N";
    }
    text += '\n';
  }
  return text;
}

Result<void> CopyIn(Connection& connection, const std::string& rows) {
  PGresult* started = PQexec(connection.pg, std::string(kCopy).c_str());
  const bool copying = PQresultStatus(started) == PGRES_COPY_IN;
  const std::string start_error = PQresultErrorMessage(started);
  PQclear(started);
  if (!copying) return PgError("COPY", start_error);
  if (PQputCopyData(connection.pg, rows.data(), static_cast<int>(rows.size())) != 1 ||
      PQputCopyEnd(connection.pg, nullptr) != 1) {
    return PgError("COPY data", connection.error());
  }
  Result<void> outcome;
  while (PGresult* result = PQgetResult(connection.pg)) {
    if (PQresultStatus(result) != PGRES_COMMAND_OK && outcome) {
      outcome = PgError("COPY end", PQresultErrorMessage(result));
    }
    PQclear(result);
  }
  return outcome;
}

}  // namespace

Result<CopyFigures> RunCopyPeer(const std::string& conninfo, std::span<const WireEvent> events,
                                std::span<const std::string> device_ids,
                                std::size_t rows_per_transaction, int connections) {
  if (device_ids.size() != events.size() || connections < 1 || rows_per_transaction < 1) {
    return Error(ErrorKind::kInvalidArgument, "COPY peer: bad arguments");
  }
  {
    Connection setup(conninfo);
    if (!setup.ok()) return PgError("connect", setup.error());
    if (auto made = Exec(setup, kCreateTable); !made) return made.error();
  }
  const std::int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();
  // Every connection's statements, formatted before the clock starts.
  const std::size_t share = (events.size() + static_cast<std::size_t>(connections) - 1) /
                            static_cast<std::size_t>(connections);
  std::vector<std::vector<std::string>> statements(static_cast<std::size_t>(connections));
  std::vector<std::unique_ptr<Connection>> pool;
  for (std::size_t c = 0; c < statements.size(); ++c) {
    const std::size_t begin = std::min(events.size(), c * share);
    const std::size_t end = std::min(events.size(), begin + share);
    for (std::size_t first = begin; first < end; first += rows_per_transaction) {
      const std::size_t count = std::min(rows_per_transaction, end - first);
      statements[c].push_back(
          CopyText(events, device_ids, first, count, StrCat("copy-kiosk-", c), now_ms));
    }
    pool.push_back(std::make_unique<Connection>(conninfo));
    if (!pool.back()->ok()) return PgError("connect", pool.back()->error());
  }
  std::vector<Result<void>> outcomes(statements.size());
  std::barrier start(static_cast<std::ptrdiff_t>(statements.size()) + 1);
  std::vector<std::thread> threads;
  for (std::size_t c = 0; c < statements.size(); ++c) {
    threads.emplace_back([&, c] {
      start.arrive_and_wait();
      for (const std::string& rows : statements[c]) {
        outcomes[c] = CopyIn(*pool[c], rows);
        if (!outcomes[c]) return;
      }
    });
  }
  start.arrive_and_wait();
  const auto began = SteadyClock::now();
  for (std::thread& thread : threads) thread.join();
  CopyFigures figures;
  figures.seconds = std::chrono::duration<double>(SteadyClock::now() - began).count();
  for (const Result<void>& outcome : outcomes) {
    if (!outcome) return outcome.error();
  }
  figures.rows = static_cast<std::int64_t>(events.size());
  return figures;
}

Result<std::string> PostgresSettings(const std::string& conninfo) {
  Connection connection(conninfo);
  if (!connection.ok()) return PgError("connect", connection.error());
  std::string text;
  for (const char* name : {"server_version", "fsync", "synchronous_commit", "wal_sync_method",
                           "shared_buffers", "max_wal_size", "commit_delay", "lc_collate"}) {
    PGresult* result = PQexec(connection.pg, StrCat("SHOW ", name).c_str());
    if (PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) == 1) {
      text += StrCat(text.empty() ? "" : ", ", name, " ", PQgetvalue(result, 0, 0));
    }
    PQclear(result);
  }
  return text;
}

}  // namespace kiosk_edge::bench
