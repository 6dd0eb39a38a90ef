// SqliteStore's read-only queries (the rest of the class is in sqlite_store.cpp).

#include "common/strings.hpp"
#include "sync/profile_store/sqlite_binding.hpp"
#include "sync/profile_store/sqlite_store.hpp"

namespace kiosk_edge {
namespace {

using sqlite_binding::BindAll;

template <class Row>
Result<void> ForEachRow(Statement& statement, Row row) {
  while (true) {
    auto next = statement.Step();
    if (!next) return next.error();
    if (!*next) return {};
    row(statement);
  }
}

// Prepares `sql`, binds `values` and calls `row` for every row.
template <class Row, class... Values>
Result<void> Select(Database& db, std::string_view sql, Row row, const Values&... values) {
  auto statement = db.Prepare(sql);
  if (!statement) return statement.error();
  if (auto bound = BindAll(*statement, values...); !bound) return bound.error();
  return ForEachRow(*statement, row);
}

template <class... Values>
Result<std::int64_t> Count(Database& db, std::string_view sql, const Values&... values) {
  std::int64_t count = 0;
  auto read = Select(
      db, sql, [&count](const Statement& row) { count = row.ColumnInt(0); }, values...);
  if (!read) return read.error();
  return count;
}

// The streams row of a kiosk's latest incarnation (KioskStatus::incarnation).
constexpr std::string_view kLatestStream =
    "FROM streams WHERE kiosk_id = ?1 ORDER BY last_batch_at_ms DESC, incarnation LIMIT 1";

}  // namespace

Result<std::optional<KioskStatus>> SqliteStore::StatusLocked(std::string_view kiosk_id) {
  std::optional<KioskStatus> status;
  auto stream = Select(
      *db_,
      StrCat("SELECT kiosk_id, incarnation, high_water, max_seq, last_batch_at_ms, "
             "journal_last_seq, https_not_after_ms, client_cert_not_after_ms ",
             kLatestStream),
      [&status](const Statement& row) {
        status = KioskStatus{row.ColumnText(0),
                             row.ColumnText(1),
                             row.ColumnInt(2),
                             row.ColumnInt(3),
                             row.ColumnInt(4),
                             {},
                             0,
                             0,
                             row.ColumnIsNull(5) ? std::nullopt : std::optional(row.ColumnInt(5)),
                             row.ColumnIsNull(6) ? std::nullopt : std::optional(row.ColumnInt(6)),
                             row.ColumnIsNull(7) ? std::nullopt : std::optional(row.ColumnInt(7))};
      },
      kiosk_id);
  if (!stream) return stream.error();
  if (!status) return status;
  auto gaps = Select(
      *db_,
      "SELECT from_seq, to_seq, detected_at_ms FROM gaps WHERE kiosk_id = ?1 AND "
      "incarnation = ?2 ORDER BY from_seq",
      [&status](const Statement& row) {
        status->gaps.push_back(SeqGap{row.ColumnInt(0), row.ColumnInt(1), row.ColumnInt(2)});
      },
      kiosk_id, status->incarnation);
  if (!gaps) return gaps.error();
  auto dead = Count(*db_, "SELECT COUNT(*) FROM dead_letters WHERE kiosk_id = ?1", kiosk_id);
  if (!dead) return dead.error();
  status->dead_letters = *dead;
  auto conflicts = Count(*db_,
                         "SELECT COUNT(*) FROM voucher_conflicts WHERE first_kiosk_id = ?1 OR "
                         "second_kiosk_id = ?1",
                         kiosk_id);
  if (!conflicts) return conflicts.error();
  status->conflicts = *conflicts;
  return status;
}

Result<std::optional<KioskStatus>> SqliteStore::KioskStatusOf(std::string_view kiosk_id) {
  std::lock_guard lock(mutex_);
  return StatusLocked(kiosk_id);
}

Result<void> SqliteStore::CheckReachable() {
  std::lock_guard lock(mutex_);
  return db_->Exec("SELECT count(*) FROM sqlite_master");  // reads the file's first page
}

Result<StreamEnd> SqliteStore::StreamEndOf(std::string_view kiosk_id) {
  std::lock_guard lock(mutex_);
  StreamEnd end;
  auto read = Select(
      *db_, StrCat("SELECT incarnation, max_seq ", kLatestStream),
      [&end](const Statement& row) {
        end = StreamEnd{row.ColumnText(0), row.ColumnInt(1)};
      },
      kiosk_id);
  if (!read) return read.error();
  return end;
}

Result<std::vector<KioskStatus>> SqliteStore::KioskStatuses() {
  std::lock_guard lock(mutex_);
  std::vector<std::string> kiosk_ids;
  auto read =
      Select(*db_, "SELECT DISTINCT kiosk_id FROM streams ORDER BY kiosk_id",
             [&kiosk_ids](const Statement& row) { kiosk_ids.push_back(row.ColumnText(0)); });
  if (!read) return read.error();
  std::vector<KioskStatus> statuses;
  for (const std::string& kiosk_id : kiosk_ids) {
    auto status = StatusLocked(kiosk_id);
    if (!status) return status.error();
    if (*status) statuses.push_back(std::move(**status));
  }
  return statuses;
}

Result<StoreCounts> SqliteStore::Counts() {
  std::lock_guard lock(mutex_);
  StoreCounts counts;
  auto by_type = Select(*db_, "SELECT type, COUNT(*) FROM events GROUP BY type",
                        [&counts](const Statement& row) {
                          counts.events_by_type[row.ColumnText(0)] = row.ColumnInt(1);
                          counts.events += row.ColumnInt(1);
                        });
  if (!by_type) return by_type.error();
  for (auto [target, sql] :
       {std::pair{&counts.dead_letters, "SELECT COUNT(*) FROM dead_letters"},
        std::pair{&counts.profiles, "SELECT COUNT(*) FROM profiles"},
        std::pair{&counts.signups, "SELECT COUNT(*) FROM signups"},
        std::pair{&counts.redemptions, "SELECT COUNT(*) FROM redemptions"},
        std::pair{&counts.conflicts, "SELECT COUNT(*) FROM voucher_conflicts"}}) {
    auto count = Count(*db_, sql);
    if (!count) return count.error();
    *target = *count;
  }
  return counts;
}

Result<RedeemedPage> SqliteStore::RedeemedVouchersAfter(std::int64_t after,
                                                        std::int64_t expired_by_unix_s,
                                                        std::int64_t max_positions) {
  std::lock_guard lock(mutex_);
  RedeemedPage page;
  auto read = Select(
      *db_,
      "WITH e AS MATERIALIZED (SELECT "
      "(SELECT COALESCE(MAX(redeemed_pos), 0) FROM vouchers WHERE redeemed_pos IS NOT NULL) "
      "AS through, (SELECT COALESCE(MAX(redeemed_pos), 0) FROM vouchers WHERE redeemed_pos "
      "IS NOT NULL AND redeemed_pos <= ?3) AS page_end), "
      "t AS MATERIALIZED (SELECT e.through, e.page_end, (SELECT voucher_key FROM vouchers WHERE "
      "redeemed_pos = e.through) AS through_key, (SELECT voucher_key FROM vouchers WHERE "
      "redeemed_pos = e.page_end) AS page_key FROM e) "
      "SELECT t.through, t.through_key, t.page_end, t.page_key, v.voucher_key, v.expires_at "
      "FROM t LEFT JOIN vouchers v ON v.redeemed_pos > ?1 AND v.redeemed_pos <= t.page_end "
      "AND v.expires_at > ?2 ORDER BY v.voucher_key",
      [&page](const Statement& row) {
        page.ledger_end.through = row.ColumnInt(0);
        if (!row.ColumnIsNull(1)) page.ledger_end.through_key = row.ColumnText(1);
        page.vouchers.through = row.ColumnInt(2);
        if (!row.ColumnIsNull(3)) page.vouchers.through_key = row.ColumnText(3);
        if (row.ColumnIsNull(4)) return;  // the one row of an empty list
        page.vouchers.vouchers.push_back(RedeemedVoucher{row.ColumnText(4), row.ColumnInt(5)});
      },
      after, expired_by_unix_s, PositionsEnd(after, max_positions));
  if (!read) return read.error();
  page.vouchers.more = page.vouchers.through < page.ledger_end.through;
  return page;
}

Result<std::optional<std::string>> SqliteStore::RedeemedVoucherAt(std::int64_t position) {
  std::lock_guard lock(mutex_);
  std::optional<std::string> key;
  auto read = Select(
      *db_, "SELECT voucher_key FROM vouchers WHERE redeemed_pos = ?1",
      [&key](const Statement& row) { key = row.ColumnText(0); }, position);
  if (!read) return read.error();
  return key;
}

Result<std::vector<VoucherConflict>> SqliteStore::Conflicts() {
  std::lock_guard lock(mutex_);
  std::vector<VoucherConflict> conflicts;
  auto read = Select(
      *db_,
      "SELECT voucher_key, first_kiosk_id, first_incarnation, first_seq, "
      "second_kiosk_id, second_incarnation, second_seq, detected_at_ms "
      "FROM voucher_conflicts ORDER BY voucher_key, detected_at_ms, second_kiosk_id, "
      "second_incarnation, second_seq",
      [&conflicts](const Statement& row) {
        conflicts.push_back(VoucherConflict{
            row.ColumnText(0), EventId{row.ColumnText(1), row.ColumnText(2), row.ColumnInt(3)},
            EventId{row.ColumnText(4), row.ColumnText(5), row.ColumnInt(6)}, row.ColumnInt(7)});
      });
  if (!read) return read.error();
  return conflicts;
}

Result<std::vector<DeadLetter>> SqliteStore::DeadLetters(std::string_view kiosk_id) {
  std::lock_guard lock(mutex_);
  std::vector<DeadLetter> letters;
  auto read = Select(
      *db_,
      "SELECT kiosk_id, incarnation, seq, type, reason, received_at_ms FROM dead_letters "
      "WHERE kiosk_id = ?1 ORDER BY incarnation, seq",
      [&letters](const Statement& row) {
        letters.push_back(
            DeadLetter{EventId{row.ColumnText(0), row.ColumnText(1), row.ColumnInt(2)},
                       row.ColumnText(3), row.ColumnText(4), row.ColumnInt(5)});
      },
      kiosk_id);
  if (!read) return read.error();
  return letters;
}

Result<std::optional<std::string>> SqliteStore::ProfileOfSignup(const EventId& signup) {
  std::lock_guard lock(mutex_);
  std::optional<std::string> key;
  auto read = Select(
      *db_, "SELECT profile_key FROM signups WHERE kiosk_id = ?1 AND incarnation = ?2 AND seq = ?3",
      [&key](const Statement& row) { key = row.ColumnText(0); }, signup.kiosk_id,
      signup.incarnation, signup.seq);
  if (!read) return read.error();
  return key;
}

Result<std::optional<ProfileSummary>> SqliteStore::Profile(std::string_view profile_key) {
  std::lock_guard lock(mutex_);
  std::optional<ProfileSummary> profile;
  auto read = Select(
      *db_,
      "SELECT profile_key, signups, first_signup_at_ms, last_signup_at_ms, marketing_consent "
      "FROM profiles WHERE profile_key = ?1",
      [&profile](const Statement& row) {
        profile = ProfileSummary{row.ColumnText(0), row.ColumnInt(1),      {}, row.ColumnInt(2),
                                 row.ColumnInt(3),  row.ColumnInt(4) != 0, 0,  0};
      },
      profile_key);
  if (!read) return read.error();
  if (!profile) return profile;
  auto kiosks = Select(
      *db_, "SELECT DISTINCT kiosk_id FROM signups WHERE profile_key = ?1 ORDER BY kiosk_id",
      [&profile](const Statement& row) { profile->kiosks.push_back(row.ColumnText(0)); },
      profile_key);
  if (!kiosks) return kiosks.error();
  auto devices =
      Count(*db_, "SELECT COUNT(*) FROM device_links WHERE profile_key = ?1", profile_key);
  if (!devices) return devices.error();
  profile->linked_devices = *devices;
  auto device_index = AttachDeviceScans();
  if (!device_index) return device_index.error();
  auto scans = Count(*db_,
                     "SELECT COUNT(*) FROM device_links d JOIN device_index.device_scans t ON "
                     "t.kiosk_id = d.kiosk_id AND t.device_id = d.device_id "
                     "WHERE d.profile_key = ?1",
                     profile_key);
  if (!scans) return scans.error();
  profile->linked_scans = *scans;
  return profile;
}

}  // namespace kiosk_edge
