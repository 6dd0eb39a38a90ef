#pragma once

// HQ's "not redeemed" audience (DESIGN.md section 1; docs/attribution.md, "Audiences"): the
// shoppers who signed up with marketing consent, still have it, and had not redeemed any voucher
// `after` (48h) after signing up, with their contact opened for the marketing tool. One row per
// shopper: their first signup in the window that matches the filters. Also the audit of such
// exports, as GET /v1/audit answers it.
//
// JSON: {"query": {after, from, to, tz, [store, campaign, channel]}, "generated_at",
//        "columns": [...], "rows": [{"profile", "store", "channel", "campaign", "signed_up_at",
//        "name", "phone"}]}
// CSV (RFC 4180, CRLF line ends): a header row, then one line per row. Text a spreadsheet would
// run as a formula gets a leading apostrophe (the phone, a checked E.164 number, excepted).

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "sync/profile_store/attribution_facts.hpp"
#include "sync/profile_store/audience_facts.hpp"
#include "sync/profile_store/audience_query.hpp"
#include "sync/profile_store/store_backend.hpp"

namespace kiosk_edge {

inline constexpr std::string_view kNotRedeemedAudience = "not-redeemed";

struct AudienceMember {
  std::string profile_key;
  std::optional<std::string> store;  // of the signup's channel; nothing when none is known
  std::optional<std::string> channel_id;
  std::string campaign;
  std::int64_t signed_up_at_ms = 0;
  // Personal data, opened from the profile's latest sealed contact because the shopper consented
  // to marketing: memory only, never logged. Empty when a sealed value does not open.
  std::string name;
  std::string phone;
};

struct AudienceReport {
  AudienceQuery query;
  std::int64_t generated_at_ms = 0;
  std::vector<AudienceMember> rows;  // by signup time, then profile key
};

// The audience for `query` as of `now_ms`: a signup counts once now - after has passed since it;
// its shopper is left out when any voucher of theirs was redeemed at or before signup + after.
// Stores come from the channel catalogue (MergeChannelCatalogue of the kiosks' definitions and
// `configured_channels`). Blocks on the store.
Result<AudienceReport> BuildNotRedeemedAudience(
    StoreBackend& store, const AudienceQuery& query,
    std::span<const ChannelDefinition> configured_channels, std::int64_t now_ms);

std::string AudienceJson(const AudienceReport& report);
std::string AudienceCsv(const AudienceReport& report);

// The audit, newest first: {"query": {}, "columns": [...], "rows": [{"id", "exported_at",
// "token", "audience", "filter", "rows"}]}; times at `utc_offset_minutes`.
std::string AudienceExportsJson(std::span<const AudienceExportRecord> records,
                                int utc_offset_minutes);

}  // namespace kiosk_edge
