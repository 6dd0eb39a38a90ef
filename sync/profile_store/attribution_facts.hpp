#pragma once

// What a storage backend hands the attribution report (attribution.hpp) for one time window: the
// channel catalogue, scan figures already grouped by the backend (scans are the bulk of the
// events), and the signups, vouchers and redemptions one by one (attribution.cpp applies the
// models to them). Plain values; docs/attribution.md defines every figure.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sync/profile_store/store_types.hpp"

namespace kiosk_edge {

// Rows that stand for no channel (docs/attribution.md): a signup no scan led to and that names
// no channel; a redemption of a voucher HQ has no issue for; scans whose code failed its check;
// a channel no definition describes (every grouping but channel and day).
inline constexpr std::string_view kDirectGroup = "(direct)";
inline constexpr std::string_view kUnattributedGroup = "(unattributed)";
inline constexpr std::string_view kInvalidGroup = "(invalid)";
inline constexpr std::string_view kUnknownGroup = "(unknown)";

// A channel as the latest channel_defined event for its id describes it (agent/channels.cpp), or
// as profile-store's config defines it.
struct ChannelDefinition {
  std::string id;
  std::string name;
  std::string path;  // levels separated by '/'
  std::string store;
  std::string campaign;
};

// How the database groups scans. A scan that cannot be attributed (invalid code, no channel) goes
// to the group "(invalid)" except by day, where every scan counts in its day.
struct ScanGrouping {
  enum class Kind {
    kChannel,  // the scan's channel id
    kMapped,   // channel_groups[channel id]; a channel missing from the map: "(unknown)"
    kDay,      // floor((occurred_at_ms + day_offset_ms) / 86'400'000), as decimal text
  };
  Kind kind = Kind::kChannel;
  std::map<std::string, std::string> channel_groups;
  std::int64_t day_offset_ms = 0;
};

// Scan figures of one group (or of the whole window).
struct ScanFigures {
  std::string group;
  std::int64_t scans = 0;
  std::int64_t unique_scanners = 0;  // distinct (kiosk_id, device_id); scans without a device: 0
  std::int64_t presence_verified = 0;
  std::int64_t invalid = 0;

  friend bool operator==(const ScanFigures&, const ScanFigures&) = default;
};

struct AttributionFactsRequest {
  std::int64_t from_ms = 0;  // the window [from_ms, to_ms) of occurred_at_ms
  std::int64_t to_ms = 0;
  // A scan is a touch of a signup when it happened in [signup - lookback_ms, signup].
  std::int64_t lookback_ms = 0;
  ScanGrouping scan_grouping;
  // Only the scans of these channels (the report's store or campaign filter); nullopt: all.
  std::optional<std::vector<std::string>> scan_channels;
};

// An attributable scan (valid, with a channel) by a device linked to a signup's profile, in the
// signup's lookback.
struct Touch {
  EventId scan;
  std::string channel_id;
  std::int64_t occurred_at_ms = 0;
};

struct SignupFact {
  EventId id;
  std::int64_t occurred_at_ms = 0;
  std::optional<std::string> channel_id;  // the signup event's own channel
  std::vector<Touch> touches;             // in no particular order
};

struct VoucherFact {
  std::string voucher_key;
  std::int64_t issued_at_ms = 0;
  std::optional<std::string> channel_id;  // the voucher_issued event's channel
  // The signup it was issued for: the same kiosk stream's latest earlier signup with the same
  // campaign and channel (the kiosk issues the voucher right after the signup).
  std::optional<EventId> signup;
};

struct RedemptionFact {
  EventId id;
  std::string voucher_key;
  std::int64_t occurred_at_ms = 0;
};

struct AttributionFacts {
  std::vector<ScanFigures> scan_groups;  // one per group with at least one scan, any order
  ScanFigures scan_totals;               // the whole window (group "")
  // Signups in the window, and the signups the vouchers below were issued for.
  std::vector<SignupFact> signups;
  // Vouchers issued in the window, and the vouchers redeemed in it (when HQ has their issue).
  std::vector<VoucherFact> vouchers;
  std::vector<RedemptionFact> redemptions;  // in the window
};

}  // namespace kiosk_edge
