#pragma once

// The parameters of GET /v1/attribution (docs/attribution.md):
//   from, to        the window [from, to): an ISO date ("2027-01-15", midnight at tz) or an
//                   RFC 3339 time; default to = now, from = to - 30 days; at most 366 days
//   group_by        channel (default) | path:N (the first N levels, N = 1..8) | store |
//                   campaign | day
//   model           last_touch (default) | first_touch
//   format          json (default) | csv
//   tz              the UTC offset of dates and of days: "+08:00", "Z" (default)
//   lookback_days   how far before a signup a scan counts as its touch: 1..365, default 30
//   store, campaign only the channels of that store and/or campaign (1-64 bytes each): their
//                   scans, and the signups, vouchers and redemptions credited to them

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "sync/profile_store/report_query.hpp"

namespace kiosk_edge {

enum class AttributionGrouping { kChannel, kPath, kStore, kCampaign, kDay };
enum class AttributionModel { kFirstTouch, kLastTouch };

inline constexpr int kMaxPathLevels = 8;

struct AttributionQuery {
  std::int64_t from_ms = 0;
  std::int64_t to_ms = 0;  // exclusive
  AttributionGrouping group_by = AttributionGrouping::kChannel;
  int path_levels = 0;  // kPath only: 1..kMaxPathLevels
  AttributionModel model = AttributionModel::kLastTouch;
  ReportFormat format = ReportFormat::kJson;
  int utc_offset_minutes = 0;
  int lookback_days = 30;
  std::optional<std::string> store;
  std::optional<std::string> campaign;
};

// Reads a query string ("from=2027-01-01&group_by=path:2"; an empty one asks for the defaults).
// `now_ms` is the default `to`. kInvalidArgument whose message starts with the parameter at
// fault and ": " ("group_by: must be channel, path:N (N = 1..8), store, campaign or day"); unknown
// and repeated parameters are refused too.
Result<AttributionQuery> ParseAttributionQuery(std::string_view query_string, std::int64_t now_ms);

// As the query string spells them: "path:2", "first_touch", "csv".
std::string GroupingText(const AttributionQuery& query);
std::string_view ModelText(AttributionModel model);
std::string_view FormatText(ReportFormat format);

}  // namespace kiosk_edge
