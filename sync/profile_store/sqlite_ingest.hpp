#pragma once

// SqliteStore's ingest: the prepared statements of WriteBatch's storage steps, in SQLite's SQL.
// Private to SqliteStore (sqlite_store.cpp), which serialises all use under its mutex.

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/sqlite.hpp"
#include "sync/profile_store/device_scan_index.hpp"
#include "sync/profile_store/event_rules.hpp"
#include "sync/protocol/batch.hpp"

namespace kiosk_edge {

class SqliteIngest {
 public:
  // Prepares every statement on `db` (whose schema is migrated); `db` must outlive this.
  static Result<SqliteIngest> Prepare(Database& db);

  struct Statements;  // defined in sqlite_ingest.cpp

  SqliteIngest(SqliteIngest&&) noexcept;
  SqliteIngest& operator=(SqliteIngest&&) noexcept;
  ~SqliteIngest();

  // WriteBatch in one BEGIN IMMEDIATE transaction (committed durably, or rolled back). Appends
  // the stored scans with a device to `device_scans` (for DeviceScanIndex::Add once committed).
  Result<BatchAnswer> Commit(const EventBatch& batch, std::span<const PreparedEvent> prepared,
                             std::int64_t now_ms, std::vector<DeviceScan>& device_scans);
  // Records HQ's withdrawal of `profile_key`'s marketing consent at `withdrawn_at_ms` and applies
  // it (IngestTransaction::SettleConsent), in one transaction.
  Result<void> WithdrawConsent(const std::string& profile_key, std::int64_t withdrawn_at_ms);

 private:
  SqliteIngest(Database& db, std::unique_ptr<Statements> statements);

  Database* db_;
  std::unique_ptr<Statements> statements_;
};

}  // namespace kiosk_edge
