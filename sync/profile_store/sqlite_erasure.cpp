// SqliteStore's erasure and revoked vouchers (erasure_schema.hpp; StoreBackend's contracts).

#include <vector>

#include "common/strings.hpp"
#include "sync/profile_store/ingest_erasure.hpp"
#include "sync/profile_store/sqlite_binding.hpp"
#include "sync/profile_store/sqlite_store.hpp"
#include "sync/protocol/erasure.hpp"

namespace kiosk_edge {
namespace {

using sqlite_binding::BindAll;
using sqlite_binding::Run;

// Every row's first column as text.
template <class... Values>
Result<std::vector<std::string>> Texts(Database& db, std::string_view sql,
                                       const Values&... values) {
  auto statement = db.Prepare(sql);
  if (!statement) return statement.error();
  if (auto bound = BindAll(*statement, values...); !bound) return bound.error();
  std::vector<std::string> texts;
  while (true) {
    auto row = statement->Step();
    if (!row) return row.error();
    if (!*row) return texts;
    texts.push_back(statement->ColumnText(0));
  }
}

struct StoredEvent {
  EventId id;
  std::string payload;
};

// The events `sql` selects as (kiosk_id, incarnation, seq, payload).
template <class... Values>
Result<std::vector<StoredEvent>> StoredEvents(Database& db, std::string_view sql,
                                              const Values&... values) {
  auto select = db.Prepare(sql);
  if (!select) return select.error();
  if (auto bound = BindAll(*select, values...); !bound) return bound.error();
  std::vector<StoredEvent> events;
  while (true) {
    auto row = select->Step();
    if (!row) return row.error();
    if (!*row) return events;
    events.push_back(
        StoredEvent{EventId{select->ColumnText(0), select->ColumnText(1), select->ColumnInt(2)},
                    select->ColumnText(3)});
  }
}

// The identities of the signup and consent_withdrawn events of the subject ?1.
constexpr std::string_view kSubjectEvents =
    "SELECT kiosk_id, incarnation, seq FROM signups WHERE profile_key = ?1 UNION ALL "
    "SELECT kiosk_id, incarnation, seq FROM withdrawal_events WHERE profile_key = ?1";

// Rewrites the stored payloads of `profile_key`'s signup and consent_withdrawn events without
// personal data.
Result<void> ScrubSubjectEvents(Database& db, std::string_view profile_key) {
  auto events = StoredEvents(
      db,
      StrCat("SELECT e.kiosk_id, e.incarnation, e.seq, e.payload FROM (", kSubjectEvents,
             ") AS s JOIN events e "
             "ON e.kiosk_id = s.kiosk_id AND e.incarnation = s.incarnation AND e.seq = s.seq"),
      profile_key);
  if (!events) return events.error();
  for (const StoredEvent& event : *events) {
    auto scrubbed = ScrubPersonalPayload(event.payload);
    if (!scrubbed) return scrubbed.error().WithContext("erase a stored event");
    auto updated = Run(db,
                       "UPDATE events SET payload = ?4, device_id = NULL WHERE kiosk_id = ?1 AND "
                       "incarnation = ?2 AND seq = ?3",
                       event.id.kiosk_id, event.id.incarnation, event.id.seq, *scrubbed);
    if (!updated) return updated.error();
  }
  return {};
}

}  // namespace

Result<bool> SqliteStore::EraseSubject(std::string_view profile_key) {
  std::lock_guard lock(mutex_);
  const std::int64_t now_ms = NowMs();
  auto transaction = Transaction::Begin(*db_);
  if (!transaction) return transaction.error();
  Result<void> done = Run(*db_,
                          "INSERT OR IGNORE INTO erased_subjects (profile_key, erased_at_ms) "
                          "VALUES (?1, ?2)",
                          profile_key, now_ms);
  if (done) {
    done = Run(*db_,
               StrCat("INSERT OR IGNORE INTO erased_events (kiosk_id, incarnation, seq, "
                      "erased_at_ms) SELECT kiosk_id, incarnation, seq, ?2 FROM (",
                      kSubjectEvents, ")"),
               profile_key, now_ms);
  }
  if (done) done = ScrubSubjectEvents(*db_, profile_key);
  if (done) {
    done = Run(*db_,
               "UPDATE signups SET profile_key = ?2, device_id = NULL, marketing_consent = 0 "
               "WHERE profile_key = ?1",
               profile_key, kErasedProfileKey);
  }
  if (done) done = Run(*db_, "DELETE FROM device_links WHERE profile_key = ?1", profile_key);
  if (done) {
    done = Run(*db_, "DELETE FROM withdrawal_events WHERE profile_key = ?1", profile_key);
  }
  if (done) {
    done = Run(*db_, "DELETE FROM consent_withdrawals WHERE profile_key = ?1", profile_key);
  }
  if (done) done = Run(*db_, "DELETE FROM profiles WHERE profile_key = ?1", profile_key);
  if (!done) return done.error().WithContext("erase subject");
  const bool had_profile = db_->Changes() > 0;
  if (auto committed = transaction->Commit(); !committed) return committed.error();
  return had_profile;
}

Result<void> SqliteStore::BackfillWithdrawalEvents() {
  std::lock_guard lock(mutex_);
  auto events = StoredEvents(
      *db_,
      "SELECT e.kiosk_id, e.incarnation, e.seq, e.payload FROM events e "
      "WHERE e.type = 'consent_withdrawn' AND json_extract(e.payload, '$.erased') IS NULL "
      "AND NOT EXISTS (SELECT 1 FROM withdrawal_events w WHERE w.kiosk_id = e.kiosk_id "
      "AND w.incarnation = e.incarnation AND w.seq = e.seq)");
  if (!events) return events.error();
  if (events->empty()) return {};
  auto transaction = Transaction::Begin(*db_);
  if (!transaction) return transaction.error();
  for (const StoredEvent& event : *events) {
    auto subject = WithdrawalSubject(identity(), event.id, event.payload);
    if (!subject) return subject.error();
    auto added = Run(*db_,
                     "INSERT INTO withdrawal_events (kiosk_id, incarnation, seq, profile_key) "
                     "VALUES (?1, ?2, ?3, ?4)",
                     event.id.kiosk_id, event.id.incarnation, event.id.seq, *subject);
    if (!added) return added.error();
  }
  return transaction->Commit();
}

Result<std::vector<std::string>> SqliteStore::ErasedEventsOf(std::string_view kiosk_id) {
  std::lock_guard lock(mutex_);
  return Texts(*db_,
               "SELECT kiosk_id || '/' || incarnation || '/' || seq FROM erased_events "
               "WHERE kiosk_id = ?1 ORDER BY 1",
               kiosk_id);
}

Result<std::int64_t> SqliteStore::ErasedEventCount() {
  std::lock_guard lock(mutex_);
  auto count = db_->Prepare("SELECT count(*) FROM erased_events");
  if (!count) return count.error();
  auto row = count->Step();
  if (!row) return row.error();
  return count->ColumnInt(0);
}

Result<bool> SqliteStore::RevokeVoucher(std::string_view voucher_key) {
  std::lock_guard lock(mutex_);
  auto inserted = Run(*db_,
                      "INSERT OR IGNORE INTO revoked_vouchers (voucher_key, revoked_at_ms) "
                      "VALUES (?1, ?2)",
                      voucher_key, NowMs());
  if (!inserted) return inserted.error();
  return db_->Changes() > 0;
}

Result<std::vector<std::string>> SqliteStore::RevokedVouchers(std::int64_t expired_by_unix_s) {
  std::lock_guard lock(mutex_);
  return Texts(*db_,
               "SELECT r.voucher_key FROM revoked_vouchers r LEFT JOIN vouchers v ON "
               "v.voucher_key = r.voucher_key AND v.issued_seq IS NOT NULL "
               "WHERE v.expires_at IS NULL OR v.expires_at > ?1 ORDER BY r.voucher_key",
               expired_by_unix_s);
}

}  // namespace kiosk_edge
