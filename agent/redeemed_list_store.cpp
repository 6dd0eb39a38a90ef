#include "agent/redeemed_list_store.hpp"

#include <array>

namespace kiosk_edge {
namespace {

constexpr std::array kMigrations = {
    Migration{1, R"sql(
      CREATE TABLE redeemed (
        voucher_key TEXT PRIMARY KEY,
        expires_at_s INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX redeemed_by_expiry ON redeemed (expires_at_s);
      CREATE TABLE redeemed_end (
        one INTEGER PRIMARY KEY CHECK (one = 1),
        through INTEGER NOT NULL,
        through_key TEXT NOT NULL
      );
      INSERT INTO redeemed_end VALUES (1, 0, '');
    )sql"},
};

}  // namespace

Result<std::unique_ptr<RedeemedListStore>> RedeemedListStore::Open(
    const std::filesystem::path& file) {
  auto db = Database::Open(file, DatabaseOptions{});
  if (!db) return db.error().WithContext(file.string());
  if (auto migrated = Migrate(*db, kMigrations); !migrated) {
    return migrated.error().WithContext(file.string());
  }
  return std::unique_ptr<RedeemedListStore>(new RedeemedListStore(std::move(*db)));
}

Result<RedeemedVouchers> RedeemedListStore::Load(std::int64_t now_s) {
  RedeemedVouchers list;
  auto end = db_.Prepare("SELECT through, through_key FROM redeemed_end");
  if (!end) return end.error();
  auto read_end = end->ReadOne([&list](const Statement& row) {
    list.through = row.ColumnInt(0);
    list.through_key = row.ColumnText(1);
  });
  if (!read_end) return read_end.error();
  auto vouchers = db_.Prepare(
      "SELECT voucher_key, expires_at_s FROM redeemed WHERE expires_at_s > ?1 ORDER BY "
      "voucher_key");
  if (!vouchers) return vouchers.error();
  if (auto bound = vouchers->Bind(1, now_s); !bound) return bound.error();
  while (true) {
    auto row = vouchers->Step();
    if (!row) return row.error();
    if (!*row) break;
    list.vouchers.push_back(RedeemedVoucher{vouchers->ColumnText(0), vouchers->ColumnInt(1)});
  }
  return list;
}

Result<void> RedeemedListStore::Save(const RedeemedVouchers& sent, std::int64_t now_s) {
  auto transaction = Transaction::Begin(db_);
  if (!transaction) return transaction.error();
  if (!sent.since) {
    if (auto cleared = db_.Exec("DELETE FROM redeemed"); !cleared) return cleared.error();
  }
  auto upsert = db_.Prepare(
      "INSERT INTO redeemed (voucher_key, expires_at_s) VALUES (?1, ?2) "
      "ON CONFLICT (voucher_key) DO UPDATE SET expires_at_s = excluded.expires_at_s");
  if (!upsert) return upsert.error();
  for (const RedeemedVoucher& voucher : sent.vouchers) {
    upsert->Reset();
    Result<void> stored = upsert->Bind(1, voucher.key);
    if (stored) stored = upsert->Bind(2, voucher.expires_at_s);
    if (stored) stored = upsert->Run();
    if (!stored) return stored.error();
  }
  auto expire = db_.Prepare("DELETE FROM redeemed WHERE expires_at_s <= ?1");
  if (!expire) return expire.error();
  Result<void> saved = expire->Bind(1, now_s);
  if (saved) saved = expire->Run();
  if (!saved) return saved.error();
  auto end = db_.Prepare("UPDATE redeemed_end SET through = ?1, through_key = ?2");
  if (!end) return end.error();
  saved = end->Bind(1, sent.through);
  if (saved) saved = end->Bind(2, sent.through_key);
  if (saved) saved = end->Run();
  if (!saved) return saved.error();
  return transaction->Commit();
}

}  // namespace kiosk_edge
