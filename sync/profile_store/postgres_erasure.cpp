// PostgresStore's erasure and revoked vouchers (erasure_schema.hpp; StoreBackend's contracts).

#include <vector>

#include "common/strings.hpp"
#include "sync/profile_store/ingest_erasure.hpp"
#include "sync/profile_store/postgres_lease.hpp"
#include "sync/protocol/erasure.hpp"

namespace kiosk_edge {
namespace {

// The identities of the signup and consent_withdrawn events of the subject $1.
constexpr std::string_view kSubjectEvents =
    "SELECT kiosk_id, incarnation, seq FROM signups WHERE profile_key = $1 UNION ALL "
    "SELECT kiosk_id, incarnation, seq FROM withdrawal_events WHERE profile_key = $1";

// The erasure's steps inside an open transaction; true when a profile was deleted.
Result<bool> EraseInTransaction(PgConnection& connection, std::string_view profile_key,
                                std::int64_t now_ms) {
  // Exclusive against ingests holding the key's shared lock (postgres_ingest.cpp lock_subjects):
  // an ingest either committed its signups before this, or sees the tombstone.
  if (auto locked = connection.Query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                                     Params(profile_key));
      !locked) {
    return locked.error();
  }
  const PgParams key_and_time = Params(profile_key, now_ms);
  if (auto stored = connection.Query(
          "INSERT INTO erased_subjects (profile_key, erased_at_ms) VALUES ($1, $2) "
          "ON CONFLICT DO NOTHING",
          key_and_time);
      !stored) {
    return stored.error();
  }
  if (auto listed = connection.Query(
          StrCat("INSERT INTO erased_events (kiosk_id, incarnation, seq, erased_at_ms) "
                 "SELECT kiosk_id, incarnation, seq, $2::bigint FROM (",
                 kSubjectEvents, ") AS s ON CONFLICT DO NOTHING"),
          key_and_time);
      !listed) {
    return listed.error();
  }
  auto events = connection.Query(
      StrCat("SELECT e.kiosk_id, e.incarnation, e.seq, e.payload::text FROM (", kSubjectEvents,
             ") AS s JOIN events e "
             "ON e.kiosk_id = s.kiosk_id AND e.incarnation = s.incarnation AND e.seq = s.seq"),
      Params(profile_key));
  if (!events) return events.error();
  for (int i = 0; i < events->rows(); ++i) {
    auto scrubbed = ScrubPersonalPayload(events->Text(i, 3));
    if (!scrubbed) return scrubbed.error().WithContext("erase a stored event");
    if (auto updated = connection.Query(
            "UPDATE events SET payload = $4::json, device_id = NULL WHERE kiosk_id = $1 AND "
            "incarnation = $2 AND seq = $3",
            Params(events->Text(i, 0), events->Text(i, 1), events->Int(i, 2), *scrubbed));
        !updated) {
      return updated.error();
    }
  }
  if (auto kept = connection.Query(
          "UPDATE signups SET profile_key = $2, device_id = NULL, marketing_consent = false "
          "WHERE profile_key = $1",
          Params(profile_key, kErasedProfileKey));
      !kept) {
    return kept.error();
  }
  if (auto unlinked =
          connection.Query("DELETE FROM device_links WHERE profile_key = $1", Params(profile_key));
      !unlinked) {
    return unlinked.error();
  }
  if (auto unmapped = connection.Query("DELETE FROM withdrawal_events WHERE profile_key = $1",
                                       Params(profile_key));
      !unmapped) {
    return unmapped.error();
  }
  if (auto forgotten = connection.Query("DELETE FROM consent_withdrawals WHERE profile_key = $1",
                                        Params(profile_key));
      !forgotten) {
    return forgotten.error();
  }
  auto deleted =
      connection.Query("DELETE FROM profiles WHERE profile_key = $1", Params(profile_key));
  if (!deleted) return deleted.error();
  return deleted->Affected() > 0;
}

Result<std::vector<std::string>> Texts(PgConnection& connection, std::string_view sql,
                                       const PgParams& params = {}) {
  auto rows = connection.Query(sql, params);
  if (!rows) return rows.error();
  std::vector<std::string> texts;
  for (int i = 0; i < rows->rows(); ++i) texts.push_back(rows->Text(i, 0));
  return texts;
}

}  // namespace

Result<bool> PostgresStore::EraseSubject(std::string_view profile_key) {
  auto session = Acquire();
  if (!session) return session.error();
  PgConnection& connection = (*session)->connection();
  if (auto begun = connection.Exec("BEGIN"); !begun) return begun.error();
  auto erased = EraseInTransaction(connection, profile_key, NowMs());
  if (!erased) {
    if (!connection.Broken()) (void)connection.Exec("ROLLBACK");
    return erased.error().WithContext("erase subject");
  }
  if (auto committed = connection.Exec("COMMIT"); !committed) return committed.error();
  return *erased;
}

// Several instances may run this at once, and ingest may add rows meanwhile: a row already there
// is the same row.
Result<void> PostgresStore::BackfillWithdrawalEvents() {
  auto session = Acquire();
  if (!session) return session.error();
  PgConnection& connection = (*session)->connection();
  auto events = connection.Query(
      "SELECT e.kiosk_id, e.incarnation, e.seq, e.payload::text FROM events e "
      "WHERE e.type = 'consent_withdrawn' AND e.payload->>'erased' IS NULL "
      "AND NOT EXISTS (SELECT 1 FROM withdrawal_events w WHERE w.kiosk_id = e.kiosk_id "
      "AND w.incarnation = e.incarnation AND w.seq = e.seq)");
  if (!events) return events.error();
  for (int i = 0; i < events->rows(); ++i) {
    const EventId event{events->Text(i, 0), events->Text(i, 1), events->Int(i, 2)};
    auto subject = WithdrawalSubject(identity(), event, events->Text(i, 3));
    if (!subject) return subject.error();
    auto added = connection.Query(
        "INSERT INTO withdrawal_events (kiosk_id, incarnation, seq, profile_key) "
        "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        Params(event.kiosk_id, event.incarnation, event.seq, *subject));
    if (!added) return added.error();
  }
  return {};
}

Result<std::vector<std::string>> PostgresStore::ErasedEventsOf(std::string_view kiosk_id) {
  auto session = Acquire();
  if (!session) return session.error();
  return Texts((*session)->connection(),
               "SELECT key FROM (SELECT kiosk_id || '/' || incarnation || '/' || seq AS key "
               "FROM erased_events WHERE kiosk_id = $1) AS erased ORDER BY key COLLATE \"C\"",
               Params(kiosk_id));
}

Result<std::int64_t> PostgresStore::ErasedEventCount() {
  auto session = Acquire();
  if (!session) return session.error();
  auto count = (*session)->connection().Query("SELECT count(*) FROM erased_events");
  if (!count) return count.error();
  return count->Int(0, 0);
}

Result<bool> PostgresStore::RevokeVoucher(std::string_view voucher_key) {
  auto session = Acquire();
  if (!session) return session.error();
  auto inserted = (*session)->connection().Query(
      "INSERT INTO revoked_vouchers (voucher_key, revoked_at_ms) VALUES ($1, $2) "
      "ON CONFLICT DO NOTHING",
      Params(voucher_key, NowMs()));
  if (!inserted) return inserted.error();
  return inserted->Affected() > 0;
}

Result<std::vector<std::string>> PostgresStore::RevokedVouchers(std::int64_t expired_by_unix_s) {
  auto session = Acquire();
  if (!session) return session.error();
  return Texts((*session)->connection(),
               "SELECT r.voucher_key FROM revoked_vouchers r LEFT JOIN vouchers v ON "
               "v.voucher_key = r.voucher_key AND v.issued_seq IS NOT NULL "
               "WHERE v.expires_at IS NULL OR v.expires_at > $1 "
               "ORDER BY r.voucher_key COLLATE \"C\"",
               Params(expired_by_unix_s));
}

}  // namespace kiosk_edge
