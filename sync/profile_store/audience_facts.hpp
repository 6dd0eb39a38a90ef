#pragma once

// What a storage backend hands the audience exports (audience.hpp): the signups of shoppers whose
// marketing consent stands, with what is needed to tell whether they came to redeem; and the
// audit of exports. Plain values; docs/attribution.md ("Audiences") defines the audience.

#include <cstdint>
#include <optional>
#include <string>

#include "sync/profile_store/store_types.hpp"

namespace kiosk_edge {

struct AudienceFactsRequest {
  std::int64_t from_ms = 0;  // signups with occurred_at_ms in [from_ms, to_ms)
  std::int64_t to_ms = 0;
};

// One signup of a profile whose marketing consent stands: given at its latest signup and not
// withdrawn at or after it (consent_withdrawals).
struct AudienceCandidate {
  std::string profile_key;
  EventId signup;
  std::optional<std::string> channel_id;  // the signup event's channel
  std::string campaign;
  std::int64_t signed_up_at_ms = 0;
  std::string name_sealed;  // the profile's latest contact, as the kiosk sealed it
  std::string phone_sealed;
  // The earliest redemption of a voucher issued for any signup of the profile (the voucher's
  // signup as attribution_facts.hpp's VoucherFact finds it); nothing when none was redeemed.
  std::optional<std::int64_t> first_redemption_at_ms;
};

// One export of an audience, as the audit keeps it.
struct AudienceExportRecord {
  std::int64_t id = 0;     // assigned by the store, rising
  std::string token_name;  // the HQ API token that asked
  std::int64_t exported_at_ms = 0;
  std::string audience;  // "not-redeemed"
  std::string filter;    // the query, canonical ("after=48h&from=...&to=...")
  std::int64_t row_count = 0;

  friend bool operator==(const AudienceExportRecord&, const AudienceExportRecord&) = default;
};

}  // namespace kiosk_edge
