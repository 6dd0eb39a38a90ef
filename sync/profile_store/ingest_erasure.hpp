#pragma once

// How ingest honours erasure (docs/attribution.md, "Erasure"): a signup whose profile key HQ has
// erased (a tombstone) is stored without its personal data and without re-creating the profile.
// Part of WriteBatch (ingest_transaction.hpp).

#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "sync/profile_store/ingest_transaction.hpp"

namespace kiosk_edge {

// The profile key an erased subject's signup rows keep: no profile has it (profile keys are
// base32), so they count as signups but belong to nobody.
inline constexpr std::string_view kErasedProfileKey = "(erased)";

// The scrubbed copies that replace erased subjects' signups; they must outlive the transaction.
struct ScrubbedSignups {
  std::deque<WireEvent> events;
  std::deque<PreparedEvent> prepared;
};

// The profile keys of `prepared`'s signups that passed the rules, sorted and unique: the subjects
// whose tombstones ingest looks up (IngestTransaction::LockStream).
std::vector<std::string> SignupSubjects(std::span<const PreparedEvent> prepared);

// Replaces, in `accepted`, each signup whose subject is among `erased_subjects` (sorted) by a
// copy in `storage`: payload scrubbed (sync/protocol/erasure.hpp), no device, facts with
// kErasedProfileKey, no sealed contact and no marketing consent. The seqs replaced, ascending.
Result<std::vector<std::int64_t>> ApplyTombstones(std::span<const std::string> erased_subjects,
                                                  std::vector<const PreparedEvent*>& accepted,
                                                  ScrubbedSignups& storage);

}  // namespace kiosk_edge
