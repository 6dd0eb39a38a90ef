// JournalWriter::ScrubErased: erasure of a shopper's personal data in the journal (see
// Journal::ScrubErased and sync/protocol/erasure.hpp).

#include "agent/journal_writer.hpp"
#include "sync/protocol/erasure.hpp"

namespace kiosk_edge {
namespace {

// The payload of `seq` in `table` if it is an event that can name a shopper (a signup or a
// consent withdrawal), else nullopt.
Result<std::optional<std::string>> ErasablePayload(Statement& select, std::int64_t seq) {
  select.Reset();
  if (auto bound = select.Bind(1, seq); !bound) return bound.error();
  std::optional<std::string> payload;
  auto row = select.ReadOne([&payload](const Statement& found) { payload = found.ColumnText(0); });
  if (!row) return row.error();
  return payload;
}

// Scrubs the event `seq` of one table (events or dead_letters); true when it changed.
Result<bool> ScrubRow(Statement& select, Statement& update, std::int64_t seq) {
  auto payload = ErasablePayload(select, seq);
  if (!payload) return payload.error();
  if (!*payload) return false;
  auto scrubbed = ScrubPersonalPayload(**payload);
  if (!scrubbed) return scrubbed.error().WithContext("journal event");
  if (*scrubbed == **payload) return false;
  update.Reset();
  Result<void> done = update.Bind(1, seq);
  if (done) done = update.Bind(2, *scrubbed);
  if (done) done = update.Run();
  if (!done) return done.error();
  return true;
}

}  // namespace

Result<std::int64_t> JournalWriter::ScrubErased(std::span<const std::int64_t> seqs) {
  if (seqs.empty()) return 0;
  // Deleted and rewritten cells are overwritten with zeros rather than left in free space.
  if (auto secure = db_.Exec("PRAGMA secure_delete = ON"); !secure) return secure.error();
  auto transaction = Transaction::Begin(db_);
  if (!transaction) return transaction.error();
  auto select_event = db_.Prepare(
      "SELECT payload FROM events WHERE seq = ?1 AND type IN ('signup', 'consent_withdrawn')");
  if (!select_event) return select_event.error();
  auto update_event = db_.Prepare("UPDATE events SET payload = ?2 WHERE seq = ?1");
  if (!update_event) return update_event.error();
  auto select_letter = db_.Prepare(
      "SELECT payload FROM dead_letters WHERE seq = ?1 AND type IN ('signup', "
      "'consent_withdrawn')");
  if (!select_letter) return select_letter.error();
  auto update_letter = db_.Prepare("UPDATE dead_letters SET payload = ?2 WHERE seq = ?1");
  if (!update_letter) return update_letter.error();
  // The signup's claim holds the kiosk's blind index of the phone, and so does its voucher's.
  auto drop_claims = db_.Prepare(
      "DELETE FROM claims WHERE key IN (SELECT 'voucher-for:' || key FROM claims WHERE seq = ?1 "
      "AND key LIKE 'signup:%') OR (seq = ?1 AND key LIKE 'signup:%')");
  if (!drop_claims) return drop_claims.error();

  std::int64_t scrubbed = 0;
  for (std::int64_t seq : seqs) {
    auto event = ScrubRow(*select_event, *update_event, seq);
    if (!event) return event.error();
    if (*event) ++scrubbed;
    if (auto letter = ScrubRow(*select_letter, *update_letter, seq); !letter) {
      return letter.error();
    }
    drop_claims->Reset();
    Result<void> dropped = drop_claims->Bind(1, seq);
    if (dropped) dropped = drop_claims->Run();
    if (!dropped) return dropped.error();
  }
  if (auto committed = transaction->Commit(); !committed) return committed.error();
  return scrubbed;
}

}  // namespace kiosk_edge
