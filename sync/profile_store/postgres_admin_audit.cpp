// PostgresStore's audit of admin actions (admin_audit.hpp): sqlite_admin_audit.cpp's statements
// in PostgreSQL's dialect.

#include "sync/profile_store/postgres_lease.hpp"

namespace kiosk_edge {
namespace {

constexpr std::string_view kInsertSql =
    "INSERT INTO admin_actions (at_ms, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5)";

constexpr std::string_view kLatestSql =
    "SELECT id, at_ms, actor, action, target, detail FROM admin_actions ORDER BY id DESC LIMIT $1";

}  // namespace

Result<void> PostgresStore::RecordAdminAction(const AdminActionRecord& record) {
  auto session = Acquire();
  if (!session) return session.error();
  auto inserted = (*session)->connection().Query(
      kInsertSql, Params(record.at_ms, record.actor, record.action, record.target, record.detail));
  if (!inserted) return inserted.error();
  return {};
}

Result<std::vector<AdminActionRecord>> PostgresStore::AdminActions(int limit) {
  auto session = Acquire();
  if (!session) return session.error();
  auto rows = (*session)->connection().Query(kLatestSql, Params(limit));
  if (!rows) return rows.error();
  std::vector<AdminActionRecord> records;
  for (int i = 0; i < rows->rows(); ++i) {
    records.push_back(AdminActionRecord{rows->Int(i, 0), rows->Int(i, 1), rows->Text(i, 2),
                                        rows->Text(i, 3), rows->Text(i, 4), rows->Text(i, 5)});
  }
  return records;
}

}  // namespace kiosk_edge
