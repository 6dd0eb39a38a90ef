// PostgresStore's read-only queries (the rest of the class is in postgres_store.cpp).

#include "common/strings.hpp"
#include "sync/profile_store/postgres_lease.hpp"
#include "sync/profile_store/scanner_key.hpp"

namespace kiosk_edge {
namespace {

Result<std::int64_t> Count(PgConnection& connection, std::string_view sql,
                           const PgParams& params = {}) {
  auto rows = connection.Query(sql, params);
  if (!rows) return rows.error();
  return rows->Int(0, 0);
}

// The streams row of a kiosk's latest incarnation (KioskStatus::incarnation).
constexpr std::string_view kLatestStream =
    "FROM streams WHERE kiosk_id = $1 ORDER BY last_batch_at_ms DESC, incarnation LIMIT 1";

}  // namespace

Result<std::optional<KioskStatus>> PostgresStore::StatusOn(PostgresSession& session,
                                                           std::string_view kiosk_id) {
  PgConnection& connection = session.connection();
  auto stream = connection.Query(
      StrCat("SELECT kiosk_id, incarnation, high_water, max_seq, last_batch_at_ms, "
             "journal_last_seq, https_not_after_ms, client_cert_not_after_ms ",
             kLatestStream),
      Params(kiosk_id));
  if (!stream) return stream.error();
  if (stream->rows() == 0) return std::optional<KioskStatus>();
  KioskStatus status{stream->Text(0, 0),
                     stream->Text(0, 1),
                     stream->Int(0, 2),
                     stream->Int(0, 3),
                     stream->Int(0, 4),
                     {},
                     0,
                     0,
                     stream->IsNull(0, 5) ? std::nullopt : std::optional(stream->Int(0, 5)),
                     stream->IsNull(0, 6) ? std::nullopt : std::optional(stream->Int(0, 6)),
                     stream->IsNull(0, 7) ? std::nullopt : std::optional(stream->Int(0, 7))};
  auto gaps = connection.Query(
      "SELECT from_seq, to_seq, detected_at_ms FROM gaps WHERE kiosk_id = $1 AND "
      "incarnation = $2 ORDER BY from_seq",
      Params(kiosk_id, status.incarnation));
  if (!gaps) return gaps.error();
  for (int i = 0; i < gaps->rows(); ++i) {
    status.gaps.push_back(SeqGap{gaps->Int(i, 0), gaps->Int(i, 1), gaps->Int(i, 2)});
  }
  auto dead =
      Count(connection, "SELECT COUNT(*) FROM dead_letters WHERE kiosk_id = $1", Params(kiosk_id));
  if (!dead) return dead.error();
  status.dead_letters = *dead;
  auto conflicts = Count(connection,
                         "SELECT COUNT(*) FROM voucher_conflicts WHERE first_kiosk_id = $1 OR "
                         "second_kiosk_id = $1",
                         Params(kiosk_id));
  if (!conflicts) return conflicts.error();
  status.conflicts = *conflicts;
  return std::optional<KioskStatus>(std::move(status));
}

Result<std::optional<KioskStatus>> PostgresStore::KioskStatusOf(std::string_view kiosk_id) {
  auto session = Acquire();
  if (!session) return session.error();
  return StatusOn(**session, kiosk_id);
}

Result<void> PostgresStore::CheckReachable() {
  auto session = Acquire();
  if (!session) return session.error();
  return (*session)->connection().CheckWritable();
}

Result<StreamEnd> PostgresStore::StreamEndOf(std::string_view kiosk_id) {
  auto session = Acquire();
  if (!session) return session.error();
  auto stream = (*session)->connection().Query(
      StrCat("SELECT incarnation, max_seq ", kLatestStream), Params(kiosk_id));
  if (!stream) return stream.error();
  if (stream->rows() == 0) return StreamEnd{};
  return StreamEnd{stream->Text(0, 0), stream->Int(0, 1)};
}

Result<std::vector<KioskStatus>> PostgresStore::KioskStatuses() {
  auto session = Acquire();
  if (!session) return session.error();
  auto ids = (*session)->connection().Query(
      "SELECT DISTINCT kiosk_id COLLATE \"C\" AS k FROM streams ORDER BY k");
  if (!ids) return ids.error();
  std::vector<KioskStatus> statuses;
  for (int i = 0; i < ids->rows(); ++i) {
    auto status = StatusOn(**session, ids->Text(i, 0));
    if (!status) return status.error();
    if (*status) statuses.push_back(std::move(**status));
  }
  return statuses;
}

Result<StoreCounts> PostgresStore::Counts() {
  auto session = Acquire();
  if (!session) return session.error();
  PgConnection& connection = (*session)->connection();
  StoreCounts counts;
  auto by_type = connection.Query("SELECT type, COUNT(*) FROM events GROUP BY type");
  if (!by_type) return by_type.error();
  for (int i = 0; i < by_type->rows(); ++i) {
    counts.events_by_type[by_type->Text(i, 0)] = by_type->Int(i, 1);
    counts.events += by_type->Int(i, 1);
  }
  for (auto [target, sql] :
       {std::pair{&counts.dead_letters, "SELECT COUNT(*) FROM dead_letters"},
        std::pair{&counts.profiles, "SELECT COUNT(*) FROM profiles"},
        std::pair{&counts.signups, "SELECT COUNT(*) FROM signups"},
        std::pair{&counts.redemptions, "SELECT COUNT(*) FROM redemptions"},
        std::pair{&counts.conflicts, "SELECT COUNT(*) FROM voucher_conflicts"}}) {
    auto count = Count(connection, sql);
    if (!count) return count.error();
    *target = *count;
  }
  return counts;
}

Result<RedeemedPage> PostgresStore::RedeemedVouchersAfter(std::int64_t after,
                                                          std::int64_t expired_by_unix_s,
                                                          std::int64_t max_positions) {
  auto session = Acquire();
  if (!session) return session.error();
  // One statement, one snapshot: the ends and the list agree.
  auto rows = (*session)->connection().Query(
      "WITH e AS MATERIALIZED (SELECT "
      "(SELECT COALESCE(MAX(redeemed_pos), 0) FROM vouchers WHERE redeemed_pos IS NOT NULL) "
      "AS through, (SELECT COALESCE(MAX(redeemed_pos), 0) FROM vouchers WHERE redeemed_pos "
      "IS NOT NULL AND redeemed_pos <= $3) AS page_end), "
      "t AS MATERIALIZED (SELECT e.through, e.page_end, (SELECT voucher_key FROM vouchers WHERE "
      "redeemed_pos = e.through) AS through_key, (SELECT voucher_key FROM vouchers WHERE "
      "redeemed_pos = e.page_end) AS page_key FROM e) "
      "SELECT t.through, t.through_key, t.page_end, t.page_key, v.voucher_key, v.expires_at "
      "FROM t LEFT JOIN vouchers v ON v.redeemed_pos > $1 AND v.redeemed_pos <= t.page_end "
      "AND v.expires_at > $2 ORDER BY v.voucher_key COLLATE \"C\"",
      Params(after, expired_by_unix_s, PositionsEnd(after, max_positions)));
  if (!rows) return rows.error();
  RedeemedPage page;
  for (int i = 0; i < rows->rows(); ++i) {
    page.ledger_end.through = rows->Int(i, 0);
    if (!rows->IsNull(i, 1)) page.ledger_end.through_key = rows->Text(i, 1);
    page.vouchers.through = rows->Int(i, 2);
    if (!rows->IsNull(i, 3)) page.vouchers.through_key = rows->Text(i, 3);
    if (rows->IsNull(i, 4)) continue;  // the one row of an empty list
    page.vouchers.vouchers.push_back(RedeemedVoucher{rows->Text(i, 4), rows->Int(i, 5)});
  }
  page.vouchers.more = page.vouchers.through < page.ledger_end.through;
  return page;
}

Result<std::optional<std::string>> PostgresStore::RedeemedVoucherAt(std::int64_t position) {
  auto session = Acquire();
  if (!session) return session.error();
  auto rows = (*session)->connection().Query(
      "SELECT voucher_key FROM vouchers WHERE redeemed_pos = $1", Params(position));
  if (!rows) return rows.error();
  if (rows->rows() == 0) return std::optional<std::string>();
  return std::optional<std::string>(rows->Text(0, 0));
}

Result<std::vector<VoucherConflict>> PostgresStore::Conflicts() {
  auto session = Acquire();
  if (!session) return session.error();
  auto rows = (*session)->connection().Query(
      "SELECT voucher_key, first_kiosk_id, first_incarnation, first_seq, second_kiosk_id, "
      "second_incarnation, second_seq, detected_at_ms FROM voucher_conflicts "
      "ORDER BY voucher_key COLLATE \"C\", detected_at_ms, second_kiosk_id COLLATE \"C\", "
      "second_incarnation COLLATE \"C\", second_seq");
  if (!rows) return rows.error();
  std::vector<VoucherConflict> conflicts;
  for (int i = 0; i < rows->rows(); ++i) {
    conflicts.push_back(VoucherConflict{
        rows->Text(i, 0), EventId{rows->Text(i, 1), rows->Text(i, 2), rows->Int(i, 3)},
        EventId{rows->Text(i, 4), rows->Text(i, 5), rows->Int(i, 6)}, rows->Int(i, 7)});
  }
  return conflicts;
}

Result<std::vector<DeadLetter>> PostgresStore::DeadLetters(std::string_view kiosk_id) {
  auto session = Acquire();
  if (!session) return session.error();
  auto rows = (*session)->connection().Query(
      "SELECT kiosk_id, incarnation, seq, type, reason, received_at_ms FROM dead_letters "
      "WHERE kiosk_id = $1 ORDER BY incarnation COLLATE \"C\", seq",
      Params(kiosk_id));
  if (!rows) return rows.error();
  std::vector<DeadLetter> letters;
  for (int i = 0; i < rows->rows(); ++i) {
    letters.push_back(DeadLetter{EventId{rows->Text(i, 0), rows->Text(i, 1), rows->Int(i, 2)},
                                 rows->Text(i, 3), rows->Text(i, 4), rows->Int(i, 5)});
  }
  return letters;
}

Result<std::optional<std::string>> PostgresStore::ProfileOfSignup(const EventId& signup) {
  auto session = Acquire();
  if (!session) return session.error();
  auto rows = (*session)->connection().Query(
      "SELECT profile_key FROM signups WHERE kiosk_id = $1 AND incarnation = $2 AND seq = $3",
      Params(signup.kiosk_id, signup.incarnation, signup.seq));
  if (!rows) return rows.error();
  if (rows->rows() == 0) return std::optional<std::string>();
  return std::optional<std::string>(rows->Text(0, 0));
}

Result<std::optional<ProfileSummary>> PostgresStore::Profile(std::string_view profile_key) {
  auto session = Acquire();
  if (!session) return session.error();
  PgConnection& connection = (*session)->connection();
  auto rows = connection.Query(
      "SELECT profile_key, signups, first_signup_at_ms, last_signup_at_ms, marketing_consent "
      "FROM profiles WHERE profile_key = $1",
      Params(profile_key));
  if (!rows) return rows.error();
  if (rows->rows() == 0) return std::optional<ProfileSummary>();
  ProfileSummary profile{rows->Text(0, 0), rows->Int(0, 1),  {}, rows->Int(0, 2),
                         rows->Int(0, 3),  rows->Bool(0, 4), 0,  0};
  auto kiosks = connection.Query(
      "SELECT DISTINCT kiosk_id COLLATE \"C\" AS k FROM signups WHERE profile_key = $1 ORDER BY k",
      Params(profile_key));
  if (!kiosks) return kiosks.error();
  for (int i = 0; i < kiosks->rows(); ++i) profile.kiosks.push_back(kiosks->Text(i, 0));
  auto devices = Count(connection, "SELECT COUNT(*) FROM device_links WHERE profile_key = $1",
                       Params(profile_key));
  if (!devices) return devices.error();
  profile.linked_devices = *devices;
  auto scans = Count(connection,
                     StrCat("SELECT COUNT(*) FROM device_links d JOIN events e ON ",
                            ScansOfDeviceSql("e", "d"), " WHERE d.profile_key = $1"),
                     Params(profile_key));
  if (!scans) return scans.error();
  profile.linked_scans = *scans;
  return std::optional<ProfileSummary>(std::move(profile));
}

}  // namespace kiosk_edge
