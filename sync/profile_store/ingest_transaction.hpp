#pragma once

// The one transaction in which profile-store commits a batch (DESIGN.md section 6): its events,
// its dead letters, what they change in profiles, device links and the voucher ledger, and the
// kiosk's stream state. WriteBatch holds the algorithm, once for every backend; a backend
// supplies the storage steps in its own SQL.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "sync/profile_store/event_rules.hpp"
#include "sync/profile_store/stream_state.hpp"
#include "sync/protocol/batch.hpp"

namespace kiosk_edge {

// The storage steps of one open transaction. Every step runs inside it; nothing is visible to
// others before Commit, and destroying the object without Commit rolls everything back.
class IngestTransaction {
 public:
  virtual ~IngestTransaction() = default;

  // Creates the (kiosk, incarnation) stream if new, locks it against concurrent ingests of the
  // same stream until the transaction ends, and returns its state.
  virtual Result<StreamState> LockStream(const EventBatch& batch, std::int64_t now_ms) = 0;
  // Stores `accepted` (none of them stored before) in the events table.
  virtual Result<void> InsertEvents(const EventBatch& batch,
                                    std::span<const PreparedEvent* const> accepted,
                                    std::int64_t now_ms) = 0;
  // Stores `rejected` (none stored before) in the dead-letter table with their reasons.
  virtual Result<void> InsertDeadLetters(const EventBatch& batch,
                                         std::span<const PreparedEvent* const> rejected,
                                         std::int64_t now_ms) = 0;
  // Merges a signup into its profile (created if new; sealed contact and consent follow the
  // latest signup by occurred_at), records the signup, and links its device (if any).
  virtual Result<void> RecordSignup(const EventId& id, const PreparedEvent& event,
                                    const SignupFacts& facts) = 0;
  // Enters an issued voucher into the ledger (keeps the first issue if told twice).
  virtual Result<void> RecordVoucherIssued(const EventId& id, const PreparedEvent& event,
                                           const VoucherIssuedFacts& facts) = 0;
  // Enters a redemption into the ledger, serialised per voucher against concurrent ingests.
  // Returns the voucher's first redemption when that is another event (a double redemption).
  virtual Result<std::optional<EventId>> RecordRedemption(const EventId& id,
                                                          const PreparedEvent& event,
                                                          const RedemptionFacts& facts) = 0;
  virtual Result<void> InsertConflict(const std::string& voucher_key, const EventId& first,
                                      const EventId& second, std::int64_t now_ms) = 0;
  // Saves the stream's new state (max seq, high-water mark, gaps, last batch time).
  virtual Result<void> SaveStream(const EventBatch& batch, const StreamState& before,
                                  const StreamState& after, std::int64_t now_ms) = 0;
  // The dead letters stored for seqs first_seq..last_seq of the batch's stream, seq order.
  virtual Result<std::vector<RejectedEvent>> RejectedInBatch(const EventBatch& batch) = 0;
  virtual Result<void> Commit() = 0;
};

// Commits `batch` (validated, with `prepared` from PrepareEvents) through `transaction`:
// idempotent on (kiosk_id, incarnation, seq) — seqs already stored are skipped with everything
// they imply, so a replayed or overlapping batch changes nothing twice; gaps are recorded;
// derived rows are written in key order so concurrent batches lock rows in the same order.
// Answers the stream's high-water mark and every dead letter within the batch's range (also
// those stored by an earlier delivery, so a kiosk that missed the first answer learns them).
Result<BatchAnswer> WriteBatch(IngestTransaction& transaction, const EventBatch& batch,
                               std::span<const PreparedEvent> prepared, std::int64_t now_ms);

}  // namespace kiosk_edge
