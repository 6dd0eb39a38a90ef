#pragma once

// HQ's channel attribution (DESIGN.md section 7; every figure and both models are defined in
// docs/attribution.md): per channel, path prefix, store, campaign or day, over a window, the
// scans, unique scanners, presence-verified and invalid scans, signups, vouchers issued and
// redemptions, with the two medians. Signups, and the vouchers and redemptions that follow them,
// are credited to the first or the last touch: the earliest or latest attributable scan by a
// device linked to the shopper's profile within the lookback before the signup.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "sync/profile_store/attribution_facts.hpp"
#include "sync/profile_store/attribution_query.hpp"
#include "sync/profile_store/store_backend.hpp"

namespace kiosk_edge {

// The exact median of durations in ms: the middle value, or the mean of the two middle values
// (which may end in .5 ms), kept doubled so that it stays an integer.
struct MedianMs {
  std::int64_t doubled = 0;

  // Sorts `samples`; nothing when empty.
  static std::optional<MedianMs> Of(std::vector<std::int64_t>& samples);
  static MedianMs Exactly(std::int64_t ms) { return MedianMs{2 * ms}; }
  // In seconds, exact: "5400", "0.25", "12.0005".
  std::string SecondsText() const;

  friend bool operator==(const MedianMs&, const MedianMs&) = default;
};

struct AttributionFigures {
  std::int64_t scans = 0;  // invalid ones included
  std::int64_t unique_scanners = 0;
  std::int64_t presence_verified_scans = 0;
  std::int64_t invalid_scans = 0;
  std::int64_t signups = 0;
  std::int64_t vouchers_issued = 0;
  std::int64_t redemptions = 0;
  std::optional<MedianMs> median_scan_to_signup;
  std::optional<MedianMs> median_signup_to_redemption;

  friend bool operator==(const AttributionFigures&, const AttributionFigures&) = default;
};

struct AttributionRow {
  std::string group;  // channel id, path prefix, store, campaign, "2027-01-15", or a (row)
  std::string name;   // group_by=channel: the channel's name where known; else empty
  AttributionFigures figures;
};

struct AttributionReport {
  AttributionQuery query;
  std::int64_t generated_at_ms = 0;
  // Groups in ascending order, then (unknown), (direct), (unattributed), (invalid); by day,
  // every day of the window in order, days without activity included.
  std::vector<AttributionRow> rows;
  AttributionFigures totals;
};

// The channel catalogue: what the kiosks' channel_defined events say (their latest definition of
// each id), plus `configured` channels no event defines.
std::vector<ChannelDefinition> MergeChannelCatalogue(std::vector<ChannelDefinition> from_events,
                                                     std::span<const ChannelDefinition> configured);

// Reads the facts from `store` and builds the report. Blocks on the database.
Result<AttributionReport> BuildAttributionReport(StoreBackend& store, const AttributionQuery& query,
                                                 std::span<const ChannelDefinition> configured,
                                                 std::int64_t now_ms);

// The report of `facts` (read for `query`) under `catalogue`; BuildAttributionReport's pure half.
AttributionReport ComputeAttribution(const AttributionQuery& query,
                                     std::span<const ChannelDefinition> catalogue,
                                     const AttributionFacts& facts, std::int64_t now_ms);

// How the database must group scans for `query` under `catalogue`.
ScanGrouping ScanGroupingFor(const AttributionQuery& query,
                             std::span<const ChannelDefinition> catalogue);

}  // namespace kiosk_edge
