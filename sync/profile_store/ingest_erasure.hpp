#pragma once

// How ingest honours erasure (docs/attribution.md, "Erasure"): a signup or consent_withdrawn
// event whose profile key HQ has erased (a tombstone) is stored without its personal data and
// without re-creating the profile or its consent. Part of WriteBatch (ingest_transaction.hpp).

#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "sync/profile_store/identity.hpp"
#include "sync/profile_store/ingest_transaction.hpp"

namespace kiosk_edge {

// The profile key an erased subject's signup rows keep: no profile has it (profile keys are
// base32), so they count as signups but belong to nobody.
inline constexpr std::string_view kErasedProfileKey = "(erased)";

// The scrubbed copies that replace erased subjects' events; they must outlive the transaction.
struct ScrubbedEvents {
  std::deque<WireEvent> events;
  std::deque<PreparedEvent> prepared;
};

// The profile keys of `prepared`'s signups and consent_withdrawn events that passed the rules,
// sorted and unique: the subjects whose tombstones ingest looks up (IngestTransaction::LockStream).
std::vector<std::string> ErasableSubjects(std::span<const PreparedEvent> prepared);

// Replaces, in `accepted`, each signup and consent_withdrawn event whose subject is among
// `erased_subjects` (sorted) by a copy in `storage` with its payload scrubbed
// (sync/protocol/erasure.hpp). A signup's copy has no device, and facts with kErasedProfileKey, no
// sealed contact and no marketing consent; a withdrawal's has no facts (it withdraws nobody's
// consent). The seqs replaced, ascending.
Result<std::vector<std::int64_t>> ApplyTombstones(std::span<const std::string> erased_subjects,
                                                  std::vector<const PreparedEvent*>& accepted,
                                                  ScrubbedEvents& storage);

// The profile key the stored consent_withdrawn event `event` names (its sealed phone, in
// `payload_json`, opened with `identity`), for withdrawal_events rows of events stored before that
// table existed. kInvalidArgument naming the event when the payload does not pass the ingest
// rules (it then names nobody).
Result<std::string> WithdrawalSubject(const HqIdentity& identity, const EventId& event,
                                      std::string_view payload_json);

}  // namespace kiosk_edge
