#include "sync/profile_store/ingest_transaction.hpp"

#include <algorithm>
#include <set>
#include <string_view>
#include <tuple>

#include "sync/profile_store/ingest_erasure.hpp"

namespace kiosk_edge {
namespace {

template <class Facts>
const std::string& SortKey(const PreparedEvent& event) {
  if constexpr (std::is_same_v<Facts, SignupFacts> ||
                std::is_same_v<Facts, ConsentWithdrawnFacts>) {
    return std::get<Facts>(event.facts).profile_key;
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
    if (key == kErasedProfileKey) continue;  // an erased subject: no profile (ingest_erasure.hpp)
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

// The latest withdrawal of each profile key of `withdrawn` (key order, then seq order).
std::vector<ConsentWithdrawal> FoldWithdrawals(const std::vector<const PreparedEvent*>& withdrawn) {
  std::vector<ConsentWithdrawal> folded;
  for (const PreparedEvent* event : withdrawn) {
    const std::string& key = SortKey<ConsentWithdrawnFacts>(*event);
    const std::int64_t at = event->event->occurred_at_ms;
    if (folded.empty() || *folded.back().profile_key != key) {
      folded.push_back(ConsentWithdrawal{&key, at});
    } else {
      folded.back().withdrawn_at_ms = std::max(folded.back().withdrawn_at_ms, at);
    }
  }
  return folded;
}

// Marketing consent after the batch's signups and withdrawals: withdrawals are stored, and every
// profile they or the signups touched is checked against its latest withdrawal.
Result<void> WriteConsent(IngestTransaction& transaction,
                          const std::vector<const PreparedEvent*>& signups,
                          const std::vector<const PreparedEvent*>& withdrawn) {
  const std::vector<ConsentWithdrawal> withdrawals = FoldWithdrawals(withdrawn);
  std::vector<const std::string*> keys;
  for (const PreparedEvent* signup : signups) keys.push_back(&SortKey<SignupFacts>(*signup));
  for (const ConsentWithdrawal& withdrawal : withdrawals) keys.push_back(withdrawal.profile_key);
  if (keys.empty()) return {};
  const auto by_text = [](const std::string* a, const std::string* b) { return *a < *b; };
  const auto same_text = [](const std::string* a, const std::string* b) { return *a == *b; };
  std::sort(keys.begin(), keys.end(), by_text);
  keys.erase(std::unique(keys.begin(), keys.end(), same_text), keys.end());
  return transaction.SettleConsent(withdrawals, keys);
}

// The voucher ledger's rows of the batch's new events: issues, redemptions, conflicts, then the
// ledger positions, in key order, of the vouchers that may need one: those first redeemed in this
// batch, and those issued (an issue that corrects the expiry a redemption reported hands its
// position back).
Result<void> WriteLedger(IngestTransaction& transaction, const EventBatch& batch,
                         const std::vector<const PreparedEvent*>& accepted, std::int64_t now_ms) {
  std::set<std::string_view> voucher_keys;
  const std::vector<const PreparedEvent*> issued =
      FirstIssues(WithFacts<VoucherIssuedFacts>(accepted));
  if (!issued.empty()) {
    if (auto recorded = transaction.RecordVouchersIssued(batch, issued); !recorded) {
      return recorded.error();
    }
    for (const PreparedEvent* voucher : issued) {
      voucher_keys.insert(std::get<VoucherIssuedFacts>(voucher->facts).voucher_key);
    }
  }
  const std::vector<const PreparedEvent*> redemptions = WithFacts<RedemptionFacts>(accepted);
  if (!redemptions.empty()) {
    auto firsts = transaction.RecordRedemptions(batch, redemptions);
    if (!firsts) return firsts.error();
    if (firsts->size() != redemptions.size()) {
      return Error(ErrorKind::kInternal, "voucher ledger: one answer per redemption expected");
    }
    for (std::size_t i = 0; i < redemptions.size(); ++i) {
      const auto& facts = std::get<RedemptionFacts>(redemptions[i]->facts);
      if (!(*firsts)[i]) {
        voucher_keys.insert(facts.voucher_key);
        continue;
      }
      const EventId second{batch.kiosk_id, batch.incarnation, redemptions[i]->event->seq};
      auto conflict = transaction.InsertConflict(facts.voucher_key, *(*firsts)[i], second, now_ms);
      if (!conflict) return conflict.error();
    }
  }
  if (voucher_keys.empty()) return {};
  const std::vector<std::string_view> keys(voucher_keys.begin(), voucher_keys.end());
  return transaction.NumberRedeemed(keys);
}

// The derived rows of the batch's new events: profiles, signups, device links, the ledger.
Result<void> WriteDerived(IngestTransaction& transaction, const EventBatch& batch,
                          const std::vector<const PreparedEvent*>& accepted, std::int64_t now_ms) {
  const std::vector<const PreparedEvent*> signups = WithFacts<SignupFacts>(accepted);
  std::vector<ProfileMerge> merges;
  if (!signups.empty()) {
    merges = FoldProfiles(signups);
    if (auto merged = transaction.MergeProfiles(merges); !merged) return merged.error();
    if (auto inserted = transaction.InsertSignups(batch, signups); !inserted) {
      return inserted.error();
    }
    const std::vector<DeviceLink> links = FoldDeviceLinks(signups);
    if (!links.empty()) {
      if (auto linked = transaction.LinkDevices(batch, links); !linked) return linked.error();
    }
  }
  const std::vector<const PreparedEvent*> withdrawn = WithFacts<ConsentWithdrawnFacts>(accepted);
  if (!withdrawn.empty()) {
    if (auto recorded = transaction.RecordWithdrawalEvents(batch, withdrawn); !recorded) {
      return recorded.error();
    }
  }
  if (auto consent = WriteConsent(transaction, signups, withdrawn); !consent) {
    return consent.error();
  }
  return WriteLedger(transaction, batch, accepted, now_ms);
}

// The answer's "missing": the stream's highest gaps (batch.hpp).
std::vector<MissingSeqs> HighestGaps(const StreamState& state) {
  const std::size_t skip = state.gaps.size() - std::min(state.gaps.size(), kMaxMissingRanges);
  std::vector<MissingSeqs> missing;
  for (std::size_t i = skip; i < state.gaps.size(); ++i) {
    missing.push_back(MissingSeqs{state.gaps[i].from_seq, state.gaps[i].to_seq});
  }
  return missing;
}

}  // namespace

Result<BatchAnswer> WriteBatch(IngestTransaction& transaction, const EventBatch& batch,
                               std::span<const PreparedEvent> prepared, std::int64_t now_ms) {
  // The tombstones of every signup and withdrawal in the batch, stored before or not: they are
  // read with the stream's lock, in its round trip.
  auto locked = transaction.LockStream(batch, ErasableSubjects(prepared), now_ms);
  if (!locked) return locked.error();
  const StreamState& before = locked->state;
  const StreamState after = AdvanceStream(before, batch.first_seq, batch.last_seq, now_ms);

  std::vector<const PreparedEvent*> accepted;
  std::vector<const PreparedEvent*> rejected;
  for (const PreparedEvent& event : prepared) {
    if (IsStored(before, event.event->seq)) continue;
    (event.rejection ? rejected : accepted).push_back(&event);
  }
  ScrubbedEvents scrubbed;
  auto erased = ApplyTombstones(locked->erased_subjects, accepted, scrubbed);
  if (!erased) return erased.error();
  if (!erased->empty()) {
    if (auto recorded = transaction.RecordErasedEvents(batch, *erased, now_ms); !recorded) {
      return recorded.error();
    }
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
  if (auto saved = transaction.SaveStream(batch, before, after, now_ms); !saved) {
    return saved.error();
  }
  auto listing = transaction.CommitListingRejected(batch);
  if (!listing) return listing.error();
  return BatchAnswer{batch.incarnation, HighWater(after), std::move(listing->rejected),
                     std::move(listing->erased), HighestGaps(after)};
}

}  // namespace kiosk_edge
