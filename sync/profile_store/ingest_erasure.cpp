#include "sync/profile_store/ingest_erasure.hpp"

#include <algorithm>
#include <set>

#include "sync/protocol/erasure.hpp"

namespace kiosk_edge {

std::vector<std::string> SignupSubjects(std::span<const PreparedEvent> prepared) {
  std::set<std::string> keys;
  for (const PreparedEvent& event : prepared) {
    if (const auto* signup = std::get_if<SignupFacts>(&event.facts)) {
      keys.insert(signup->profile_key);
    }
  }
  return std::vector<std::string>(keys.begin(), keys.end());
}

Result<std::vector<std::int64_t>> ApplyTombstones(std::span<const std::string> erased_subjects,
                                                  std::vector<const PreparedEvent*>& accepted,
                                                  ScrubbedSignups& storage) {
  std::vector<std::int64_t> seqs;
  if (erased_subjects.empty()) return seqs;
  const std::set<std::string, std::less<>> tombstones(erased_subjects.begin(),
                                                      erased_subjects.end());
  for (const PreparedEvent*& event : accepted) {
    const auto* signup = std::get_if<SignupFacts>(&event->facts);
    if (signup == nullptr || !tombstones.contains(signup->profile_key)) continue;
    WireEvent& copy = storage.events.emplace_back(*event->event);
    auto scrubbed = ScrubSignupPayload(copy.payload_json);
    if (!scrubbed) return scrubbed.error().WithContext("erased signup");
    copy.payload_json = std::move(*scrubbed);
    SignupFacts facts;
    facts.profile_key = kErasedProfileKey;
    facts.campaign = signup->campaign;
    facts.consent_text_version = signup->consent_text_version;
    PreparedEvent& replacement = storage.prepared.emplace_back();
    replacement.event = &copy;
    replacement.facts = std::move(facts);
    event = &replacement;
    seqs.push_back(copy.seq);
  }
  std::sort(seqs.begin(), seqs.end());
  return seqs;
}

}  // namespace kiosk_edge
