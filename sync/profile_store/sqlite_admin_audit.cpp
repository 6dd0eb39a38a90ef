// SqliteStore's audit of admin actions (admin_audit.hpp).

#include "sync/profile_store/sqlite_binding.hpp"
#include "sync/profile_store/sqlite_store.hpp"

namespace kiosk_edge {
namespace {

using sqlite_binding::BindAll;

constexpr std::string_view kInsertSql =
    "INSERT INTO admin_actions (at_ms, actor, action, target, detail) VALUES (?1, ?2, ?3, ?4, ?5)";

constexpr std::string_view kLatestSql =
    "SELECT id, at_ms, actor, action, target, detail FROM admin_actions ORDER BY id DESC LIMIT ?1";

}  // namespace

Result<void> SqliteStore::RecordAdminAction(const AdminActionRecord& record) {
  std::lock_guard lock(mutex_);
  auto insert = db_->Prepare(kInsertSql);
  if (!insert) return insert.error();
  if (auto bound =
          BindAll(*insert, record.at_ms, record.actor, record.action, record.target, record.detail);
      !bound) {
    return bound.error();
  }
  return insert->Run();
}

Result<std::vector<AdminActionRecord>> SqliteStore::AdminActions(int limit) {
  std::lock_guard lock(mutex_);
  auto select = db_->Prepare(kLatestSql);
  if (!select) return select.error();
  if (auto bound = BindAll(*select, std::int64_t{limit}); !bound) return bound.error();
  std::vector<AdminActionRecord> records;
  while (true) {
    auto row = select->Step();
    if (!row) return row.error();
    if (!*row) return records;
    records.push_back(AdminActionRecord{select->ColumnInt(0), select->ColumnInt(1),
                                        select->ColumnText(2), select->ColumnText(3),
                                        select->ColumnText(4), select->ColumnText(5)});
  }
}

}  // namespace kiosk_edge
