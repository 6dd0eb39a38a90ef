#pragma once

// The one transaction in which profile-store commits a batch (DESIGN.md section 6): its events,
// its dead letters, what they change in profiles, device links and the voucher ledger, and the
// kiosk's stream state. WriteBatch holds the algorithm, once for every backend; a backend
// supplies the storage steps in its own SQL.
//
// The steps are set-based: each takes all of the batch's rows of one kind, so a backend can write
// them with one statement (PostgreSQL does, whatever the batch's mix). WriteBatch folds the rows
// first (ProfileMerge, DeviceLink, the first issue of each voucher) so that no step names the
// same key twice, and so that applying a folded row once leaves exactly what applying the events
// one by one in seq order would.

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

// What one batch's new signups of one profile do to it.
struct ProfileMerge {
  const std::string* profile_key = nullptr;
  // The signup whose sealed contact and consent the profile takes, if its occurred_at is at least
  // the profile's stored latest signup: the last, in seq order, of those with the batch's greatest
  // occurred_at for this profile (exactly the one the one-by-one rule ends with).
  const PreparedEvent* latest = nullptr;
  std::int64_t first_signup_at_ms = 0;  // the earliest occurred_at of these signups
  std::int64_t last_signup_at_ms = 0;   // the latest (that of `latest`)
  std::int64_t signups = 0;             // how many
};

// A device seen signing up as a profile, at the earliest time this batch shows.
struct DeviceLink {
  const std::string* device_id = nullptr;
  const std::string* profile_key = nullptr;
  std::int64_t linked_at_ms = 0;
};

// A profile's marketing consent withdrawn (consent_withdrawn events, or HQ's call) at a time.
struct ConsentWithdrawal {
  const std::string* profile_key = nullptr;
  std::int64_t withdrawn_at_ms = 0;
};

// What IngestTransaction::LockStream finds.
struct LockedStream {
  StreamState state;
  std::vector<std::string> erased_subjects;  // sorted
};

// The storage steps of one open transaction. Every step runs inside it; nothing is visible to
// others before the commit, and destroying the object without committing rolls everything back.
// A backend may defer steps that answer nothing and run them together with a later step (in one
// round trip): the error of a deferred step then comes from that later step. Either way the
// transaction fails as a whole.
class IngestTransaction {
 public:
  virtual ~IngestTransaction() = default;

  // Creates the (kiosk, incarnation) stream if new, locks it against concurrent ingests of the
  // same stream until the transaction ends, and returns its state; then (one round trip on
  // PostgreSQL) the subjects of `profile_keys` (sorted, unique) that HQ has erased (tombstones,
  // erasure_schema.hpp), sorted. From here to the commit no erasure of these keys can commit
  // (PostgreSQL: a shared advisory lock per key, which StoreBackend::EraseSubject takes
  // exclusively).
  virtual Result<LockedStream> LockStream(const EventBatch& batch,
                                          std::span<const std::string> profile_keys,
                                          std::int64_t now_ms) = 0;
  // Records `seqs` (ascending, new) of the batch's stream as erased events.
  virtual Result<void> RecordErasedEvents(const EventBatch& batch,
                                          std::span<const std::int64_t> seqs,
                                          std::int64_t now_ms) = 0;
  // Stores `accepted` (none of them stored before) in the events table.
  virtual Result<void> InsertEvents(const EventBatch& batch,
                                    std::span<const PreparedEvent* const> accepted,
                                    std::int64_t now_ms) = 0;
  // Stores `rejected` (none stored before) in the dead-letter table with their reasons.
  virtual Result<void> InsertDeadLetters(const EventBatch& batch,
                                         std::span<const PreparedEvent* const> rejected,
                                         std::int64_t now_ms) = 0;
  // Applies `merges` (one per profile key, in key order): a profile is created if new (contact
  // and consent of `latest`, the merge's times and count); an existing one takes `latest`'s
  // sealed contact and consent when merge.last_signup_at_ms >= its last_signup_at_ms, widens
  // first/last signup times to include the merge's, and adds merge.signups to its count.
  virtual Result<void> MergeProfiles(std::span<const ProfileMerge> merges) = 0;
  // Records `withdrawals` (one per profile key, in key order, each the batch's latest) keeping
  // each profile's latest withdrawal time, then clears the marketing consent of every profile of
  // `profile_keys` (sorted, unique) whose latest withdrawal is at or after its latest signup: a
  // signup that occurred after the withdrawal gives consent again, an earlier one does not.
  virtual Result<void> SettleConsent(std::span<const ConsentWithdrawal> withdrawals,
                                     std::span<const std::string* const> profile_keys) = 0;
  // Records which profile each new consent_withdrawn event names (ConsentWithdrawnFacts; profile
  // key order, then seq), so that erasure finds them (withdrawal_events, erasure_schema.hpp).
  virtual Result<void> RecordWithdrawalEvents(const EventBatch& batch,
                                              std::span<const PreparedEvent* const> withdrawn) = 0;
  // Records new signup events (SignupFacts; profile key order, then seq) in the signups table.
  virtual Result<void> InsertSignups(const EventBatch& batch,
                                     std::span<const PreparedEvent* const> signups) = 0;
  // Links devices to profiles for the batch's kiosk (one per (device, profile), in that order),
  // keeping the earliest link time of a link stored before.
  virtual Result<void> LinkDevices(const EventBatch& batch, std::span<const DeviceLink> links) = 0;
  // Enters issued vouchers (VoucherIssuedFacts; one per voucher key, in key order) into the
  // ledger. A voucher already issued keeps its first issue; a stub a redemption made is filled,
  // and takes the signer's scope, expiry, store and gift. A stub whose expiry a fleet issue
  // changes loses its ledger position, for NumberRedeemed to give it a new one: kiosks following
  // the ledger past the old position learn the corrected expiry too.
  virtual Result<void> RecordVouchersIssued(const EventBatch& batch,
                                            std::span<const PreparedEvent* const> issued) = 0;
  // Enters redemptions (RedemptionFacts; voucher key order, then seq) into the ledger one after
  // the other, serialised per voucher against concurrent ingests. For each, in the same order:
  // the voucher's first redemption when that is another event (a double redemption).
  virtual Result<std::vector<std::optional<EventId>>> RecordRedemptions(
      const EventBatch& batch, std::span<const PreparedEvent* const> redemptions) = 0;
  virtual Result<void> InsertConflict(const std::string& voucher_key, const EventId& first,
                                      const EventId& second, std::int64_t now_ms) = 0;
  // Gives the next ledger positions, in the order of `voucher_keys` (sorted, unique), to those of
  // them that are redeemed vouchers without a position or whose issue handed it back (a
  // corrected expiry), after every position given. Comes after every step that locks
  // a voucher row; positions become visible in increasing order, whatever commits concurrently.
  virtual Result<void> NumberRedeemed(std::span<const std::string_view> voucher_keys) = 0;
  // Saves the stream's new state (max seq, high-water mark, gaps, last batch time).
  virtual Result<void> SaveStream(const EventBatch& batch, const StreamState& before,
                                  const StreamState& after, std::int64_t now_ms) = 0;
  // Reads the dead letters and the erased events stored for seqs first_seq..last_seq of the
  // batch's stream (seq order), inside the transaction, then commits it; the lists only if the
  // commit succeeded.
  struct Listing {
    std::vector<RejectedEvent> rejected;
    std::vector<std::int64_t> erased;
  };
  virtual Result<Listing> CommitListingRejected(const EventBatch& batch) = 0;
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
