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

// One merge per profile key of `signups` (key order, then seq order). One by one, a signup takes
// over the contact when its occurred_at is at least the greatest seen before it (stored or in the
// batch); of the batch's signups, the last one that can win is the last with the greatest
// occurred_at, and it wins exactly when that time is at least the stored one.
std::vector<ProfileMerge> FoldProfiles(const std::vector<const PreparedEvent*>& signups) {
  std::vector<ProfileMerge> merges;
  for (const PreparedEvent* signup : signups) {
    const std::string& key = SortKey<SignupFacts>(*signup);
    const std::int64_t at = signup->event->occurred_at_ms;
    if (merges.empty() || *merges.back().profile_key != key) {
      merges.push_back(ProfileMerge{&key, signup, at, at, 1});
      continue;
    }
    ProfileMerge& merge = merges.back();
    merge.first_signup_at_ms = std::min(merge.first_signup_at_ms, at);
    if (at >= merge.last_signup_at_ms) {
      merge.last_signup_at_ms = at;
      merge.latest = signup;
    }
    ++merge.signups;
  }
  return merges;
}

// One link per (device, profile) of `signups`, at its earliest occurred_at; in that key order.
std::vector<DeviceLink> FoldDeviceLinks(const std::vector<const PreparedEvent*>& signups) {
  std::vector<DeviceLink> links;
  for (const PreparedEvent* signup : signups) {
    if (!signup->device_id) continue;
    links.push_back(DeviceLink{&*signup->device_id, &SortKey<SignupFacts>(*signup),
                               signup->event->occurred_at_ms});
  }
  const auto key = [](const DeviceLink& link) {
    return std::tie(*link.device_id, *link.profile_key);
  };
  std::sort(links.begin(), links.end(), [&key](const DeviceLink& a, const DeviceLink& b) {
    return std::tuple_cat(key(a), std::tie(a.linked_at_ms)) <
           std::tuple_cat(key(b), std::tie(b.linked_at_ms));
  });
  // The earliest of each key comes first: keep it.
  links.erase(
      std::unique(links.begin(), links.end(),
                  [&key](const DeviceLink& a, const DeviceLink& b) { return key(a) == key(b); }),
      links.end());
  return links;
}

// The first issue (in seq order) of each voucher key of `issued` (key order, then seq order):
// the one-by-one rule keeps the first issue and ignores the later ones.
std::vector<const PreparedEvent*> FirstIssues(std::vector<const PreparedEvent*> issued) {
  issued.erase(std::unique(issued.begin(), issued.end(),
                           [](const PreparedEvent* a, const PreparedEvent* b) {
                             return SortKey<VoucherIssuedFacts>(*a) ==
                                    SortKey<VoucherIssuedFacts>(*b);
                           }),
               issued.end());
  return issued;
}

// The derived rows of the batch's new events: profiles, signups, device links, the ledger.
Result<void> WriteDerived(IngestTransaction& transaction, const EventBatch& batch,
                          const std::vector<const PreparedEvent*>& accepted, std::int64_t now_ms) {
  const std::vector<const PreparedEvent*> signups = WithFacts<SignupFacts>(accepted);
  if (!signups.empty()) {
    const std::vector<ProfileMerge> merges = FoldProfiles(signups);
    if (auto merged = transaction.MergeProfiles(merges); !merged) return merged.error();
    if (auto inserted = transaction.InsertSignups(batch, signups); !inserted) {
      return inserted.error();
    }
    const std::vector<DeviceLink> links = FoldDeviceLinks(signups);
    if (!links.empty()) {
      if (auto linked = transaction.LinkDevices(batch, links); !linked) return linked.error();
    }
  }
  const std::vector<const PreparedEvent*> issued =
      FirstIssues(WithFacts<VoucherIssuedFacts>(accepted));
  if (!issued.empty()) {
    if (auto recorded = transaction.RecordVouchersIssued(batch, issued); !recorded) {
      return recorded.error();
    }
  }
  const std::vector<const PreparedEvent*> redemptions = WithFacts<RedemptionFacts>(accepted);
  if (redemptions.empty()) return {};
  auto firsts = transaction.RecordRedemptions(batch, redemptions);
  if (!firsts) return firsts.error();
  if (firsts->size() != redemptions.size()) {
    return Error(ErrorKind::kInternal, "voucher ledger: one answer per redemption expected");
  }
  for (std::size_t i = 0; i < redemptions.size(); ++i) {
    if (!(*firsts)[i]) continue;
    const EventId second{batch.kiosk_id, batch.incarnation, redemptions[i]->event->seq};
    auto conflict =
        transaction.InsertConflict(std::get<RedemptionFacts>(redemptions[i]->facts).voucher_key,
                                   *(*firsts)[i], second, now_ms);
    if (!conflict) return conflict.error();
  }
  return {};
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
  if (auto derived = WriteDerived(transaction, batch, accepted, now_ms); !derived) {
    return derived.error();
  }
  if (auto saved = transaction.SaveStream(batch, *before, after, now_ms); !saved) {
    return saved.error();
  }
  auto reasons = transaction.CommitListingRejected(batch);
  if (!reasons) return reasons.error();
  return BatchAnswer{batch.incarnation, HighWater(after), std::move(*reasons)};
}

}  // namespace kiosk_edge
