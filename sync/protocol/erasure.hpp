#pragma once

// Erasure on the wire (docs/attribution.md, "Erasure"): what HQ and the kiosks agree on when HQ
// erases a shopper. HQ cannot name the shopper to a kiosk (a kiosk cannot compute HQ's profile
// key, nor HQ a kiosk's blind index), so erasure travels as event identities: HQ's batch answer
// lists the seqs of the batch's events whose subject is erased ("erased"), and the config bundle
// lists every erased event as "<kiosk id>/<incarnation>/<seq>" (erased_events). Erased events are
// the subject's signups and consent_withdrawn events: both carry the phone sealed for HQ. Each
// kiosk scrubs those of its own journal with ScrubPersonalPayload.
//
// Old kiosks refuse JSON members they do not know, so HQ adds "erased" to an answer, and
// erased_events to a bundle, only for a kiosk that sends kSyncFeaturesHeader listing
// kSyncFeatureErasure.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace kiosk_edge {

// A request header (lower case, as HTTP headers are compared) listing optional sync features the
// kiosk understands, separated by commas.
inline constexpr std::string_view kSyncFeaturesHeader = "kiosk-sync-features";
inline constexpr std::string_view kSyncFeatureErasure = "erasure";

// True when a kSyncFeaturesHeader value lists `feature`.
bool ListsSyncFeature(std::optional<std::string_view> header_value, std::string_view feature);

// A signup's or consent_withdrawn event's payload without its personal members ("name",
// "phone", "phone_index", "device": the sealed contact, the kiosk's blind index of the phone, the
// device cookie) and with "erased": true. The rest (campaign, consent flags, language, source,
// purpose) stays: they are the non-personal facts attribution counts. Idempotent.
// kInvalidArgument when `payload_json` is not a JSON object.
Result<std::string> ScrubPersonalPayload(std::string_view payload_json);

// An erased event's identity as the bundle lists it: "<kiosk id>/<incarnation>/<seq>".
struct ErasedEventRef {
  std::string kiosk_id;
  std::string incarnation;
  std::int64_t seq = 0;

  friend bool operator==(const ErasedEventRef&, const ErasedEventRef&) = default;
};
std::string ErasedEventKey(const ErasedEventRef& event);
// nullopt unless `text` is a kiosk id, '/', an incarnation, '/', and a decimal seq >= 1.
std::optional<ErasedEventRef> ParseErasedEventKey(std::string_view text);

}  // namespace kiosk_edge
