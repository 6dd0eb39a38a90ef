#pragma once

// The parameters of GET /v1/audiences/not-redeemed (docs/attribution.md, "Audiences"):
//   after      how long after signing up a shopper has had to redeem: N followed by h (hours),
//              d (days) or m (minutes), from 1 minute to 366 days; default 48h
//   from, to   the window [from, to) of signup times: an ISO date ("2027-01-15", midnight at tz)
//              or an RFC 3339 time; default to = now, from = to - 30 days; at most 366 days
//   store, campaign, channel
//              only signups with that store (of the signup's channel), campaign or channel id
//   format     json (default) | csv
//   tz         the UTC offset of dates and of the times in the answer: "+08:00", "Z" (default)

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "sync/profile_store/attribution_query.hpp"

namespace kiosk_edge {

struct AudienceQuery {
  std::string after_text = "48h";  // as given, canonical ("48h", "2d", "90m")
  std::int64_t after_ms = 48 * 3'600'000;
  std::int64_t from_ms = 0;
  std::int64_t to_ms = 0;  // exclusive
  std::optional<std::string> store;
  std::optional<std::string> campaign;
  std::optional<std::string> channel;
  ReportFormat format = ReportFormat::kJson;
  int utc_offset_minutes = 0;
};

// Reads a query string (an empty one asks for the defaults); `now_ms` is the default `to`.
// kInvalidArgument whose message starts with the parameter at fault and ": " ("after: must be
// ..."); unknown and repeated parameters are refused too.
Result<AudienceQuery> ParseAudienceQuery(std::string_view query_string, std::int64_t now_ms);

// The query as one canonical query string (every parameter but format, times in RFC 3339): what
// the audit of exports records as the filter.
std::string AudienceFilterText(const AudienceQuery& query);

}  // namespace kiosk_edge
