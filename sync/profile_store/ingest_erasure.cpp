#include "sync/profile_store/ingest_erasure.hpp"

#include <algorithm>
#include <set>

#include "common/strings.hpp"
#include "sync/protocol/erasure.hpp"

namespace kiosk_edge {
namespace {

// The profile key a signup or consent_withdrawn event names; null for any other event.
const std::string* SubjectOf(const PreparedEvent& event) {
  if (const auto* signup = std::get_if<SignupFacts>(&event.facts)) return &signup->profile_key;
  if (const auto* withdrawal = std::get_if<ConsentWithdrawnFacts>(&event.facts)) {
    return &withdrawal->profile_key;
  }
  return nullptr;
}

}  // namespace

std::vector<std::string> ErasableSubjects(std::span<const PreparedEvent> prepared) {
  std::set<std::string> keys;
  for (const PreparedEvent& event : prepared) {
    if (const std::string* subject = SubjectOf(event)) keys.insert(*subject);
  }
  return std::vector<std::string>(keys.begin(), keys.end());
}

Result<std::vector<std::int64_t>> ApplyTombstones(std::span<const std::string> erased_subjects,
                                                  std::vector<const PreparedEvent*>& accepted,
                                                  ScrubbedEvents& storage) {
  std::vector<std::int64_t> seqs;
  if (erased_subjects.empty()) return seqs;
  const std::set<std::string, std::less<>> tombstones(erased_subjects.begin(),
                                                      erased_subjects.end());
  for (const PreparedEvent*& event : accepted) {
    const std::string* subject = SubjectOf(*event);
    if (subject == nullptr || !tombstones.contains(*subject)) continue;
    const auto* signup = std::get_if<SignupFacts>(&event->facts);
    WireEvent& copy = storage.events.emplace_back(*event->event);
    auto scrubbed = ScrubPersonalPayload(copy.payload_json);
    if (!scrubbed) return scrubbed.error().WithContext("erased subject's event");
    copy.payload_json = std::move(*scrubbed);
    PreparedEvent& replacement = storage.prepared.emplace_back();
    replacement.event = &copy;
    if (signup != nullptr) {
      SignupFacts facts;
      facts.profile_key = kErasedProfileKey;
      facts.campaign = signup->campaign;
      facts.consent_text_version = signup->consent_text_version;
      replacement.facts = std::move(facts);
    }
    event = &replacement;
    seqs.push_back(copy.seq);
  }
  std::sort(seqs.begin(), seqs.end());
  return seqs;
}

Result<std::string> WithdrawalSubject(const HqIdentity& identity, const EventId& event,
                                      std::string_view payload_json) {
  EventBatch batch;
  WireEvent& wire = batch.events.emplace_back();
  wire.type = "consent_withdrawn";
  wire.payload_version = 1;
  wire.payload_json = std::string(payload_json);
  const std::vector<PreparedEvent> prepared = PrepareEvents(batch, identity);
  if (prepared.front().rejection) {
    return Error(ErrorKind::kInvalidArgument,
                 StrCat("stored consent_withdrawn event ",
                        ErasedEventKey({event.kiosk_id, event.incarnation, event.seq}), ": ",
                        *prepared.front().rejection));
  }
  const auto* facts = std::get_if<ConsentWithdrawnFacts>(&prepared.front().facts);
  if (facts == nullptr) return Error(ErrorKind::kInternal, "consent_withdrawn without its facts");
  return facts->profile_key;
}

}  // namespace kiosk_edge
