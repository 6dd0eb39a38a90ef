#include "sync/profile_store/ingest_transaction.hpp"

#include <algorithm>
#include <tuple>

namespace kiosk_edge {
namespace {

template <class Facts>
const std::string& SortKey(const PreparedEvent& event) {
  if constexpr (std::is_same_v<Facts, SignupFacts>) {
    return std::get<SignupFacts>(event.facts).profile_key;
  } else {
    return std::get<Facts>(event.facts).voucher_key;
  }
}

// The new events carrying `Facts`, in key order (then seq order).
template <class Facts>
std::vector<const PreparedEvent*> WithFacts(const std::vector<const PreparedEvent*>& events) {
  std::vector<const PreparedEvent*> selected;
  for (const PreparedEvent* event : events) {
    if (std::holds_alternative<Facts>(event->facts)) selected.push_back(event);
  }
  std::stable_sort(selected.begin(), selected.end(),
                   [](const PreparedEvent* a, const PreparedEvent* b) {
                     return std::tie(SortKey<Facts>(*a), a->event->seq) <
                            std::tie(SortKey<Facts>(*b), b->event->seq);
                   });
  return selected;
}

}  // namespace

Result<BatchAnswer> WriteBatch(IngestTransaction& transaction, const EventBatch& batch,
                               std::span<const PreparedEvent> prepared, std::int64_t now_ms) {
  auto before = transaction.LockStream(batch, now_ms);
  if (!before) return before.error();
  const StreamState after = AdvanceStream(*before, batch.first_seq, batch.last_seq, now_ms);

  std::vector<const PreparedEvent*> accepted;
  std::vector<const PreparedEvent*> rejected;
  for (const PreparedEvent& event : prepared) {
    if (IsStored(*before, event.event->seq)) continue;
    (event.rejection ? rejected : accepted).push_back(&event);
  }
  if (!accepted.empty()) {
    if (auto stored = transaction.InsertEvents(batch, accepted, now_ms); !stored) {
      return stored.error();
    }
  }
  if (!rejected.empty()) {
    if (auto stored = transaction.InsertDeadLetters(batch, rejected, now_ms); !stored) {
      return stored.error();
    }
  }
  const auto id_of = [&batch](const PreparedEvent* event) {
    return EventId{batch.kiosk_id, batch.incarnation, event->event->seq};
  };
  for (const PreparedEvent* event : WithFacts<SignupFacts>(accepted)) {
    const auto& facts = std::get<SignupFacts>(event->facts);
    if (auto recorded = transaction.RecordSignup(id_of(event), *event, facts); !recorded) {
      return recorded.error();
    }
  }
  for (const PreparedEvent* event : WithFacts<VoucherIssuedFacts>(accepted)) {
    const auto& facts = std::get<VoucherIssuedFacts>(event->facts);
    if (auto recorded = transaction.RecordVoucherIssued(id_of(event), *event, facts); !recorded) {
      return recorded.error();
    }
  }
  for (const PreparedEvent* event : WithFacts<RedemptionFacts>(accepted)) {
    const auto& facts = std::get<RedemptionFacts>(event->facts);
    auto first = transaction.RecordRedemption(id_of(event), *event, facts);
    if (!first) return first.error();
    if (*first) {
      auto conflict = transaction.InsertConflict(facts.voucher_key, **first, id_of(event), now_ms);
      if (!conflict) return conflict.error();
    }
  }
  if (auto saved = transaction.SaveStream(batch, *before, after, now_ms); !saved) {
    return saved.error();
  }
  auto reasons = transaction.RejectedInBatch(batch);
  if (!reasons) return reasons.error();
  if (auto committed = transaction.Commit(); !committed) return committed.error();
  return BatchAnswer{batch.incarnation, HighWater(after), std::move(*reasons)};
}

}  // namespace kiosk_edge
