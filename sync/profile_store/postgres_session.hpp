#pragma once

// One pooled PostgreSQL connection of PostgresStore, set up for the store's schema with the
// ingest statements prepared. Private to PostgresStore's files.

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "sync/profile_store/event_rules.hpp"
#include "sync/profile_store/pg_connection.hpp"
#include "sync/protocol/batch.hpp"

namespace kiosk_edge {

class PostgresSession {
 public:
  // Sets the session up on `connection` (search_path = `schema`, statements prepared). The
  // schema must exist (MigratePostgres).
  static Result<std::unique_ptr<PostgresSession>> Start(PgConnection connection,
                                                        const std::string& schema);

  PgConnection& connection() { return connection_; }
  // Reconnects and sets up again when the connection was lost, also while it sat idle
  // (PgConnection::Lost). PostgresStore calls it on every session it lends.
  Result<void> EnsureConnected();

  // WriteBatch in one transaction; retried (up to 5 times) when PostgreSQL aborts it for a
  // deadlock or a serialization failure against a concurrent ingest.
  Result<BatchAnswer> Ingest(const EventBatch& batch, std::span<const PreparedEvent> prepared,
                             std::int64_t now_ms);

 private:
  PostgresSession(PgConnection connection, std::string schema)
      : connection_(std::move(connection)), schema_(std::move(schema)) {}
  Result<void> Setup();

  PgConnection connection_;
  std::string schema_;
};

// The advisory lock every profile-store migration in the database holds.
inline constexpr std::string_view kMigrationLockKey = "7210420001";

// Creates `schema` if missing and applies the store's migrations in it, under the advisory lock so
// that instances starting together do not race; waits for the lock and the tables however long
// it takes (no lock_timeout, whatever the database or the role sets). Refuses a schema newer than
// this program.
Result<void> MigratePostgres(PgConnection& connection, const std::string& schema);

// True for [a-z_][a-z0-9_]{0,62}.
bool IsSchemaName(std::string_view name);

}  // namespace kiosk_edge
