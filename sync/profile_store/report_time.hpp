#pragma once

// Times in HQ's reports: RFC 3339 timestamps and ISO dates in, and out, at a fixed UTC offset
// (no daylight saving rules: retail HQs report in one zone, and "+08:00" says exactly which).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kiosk_edge {

inline constexpr std::int64_t kMsPerDay = 86'400'000;
// Reports cover 2000-01-01 .. 2199-12-31 (UTC); nothing a kiosk records falls outside.
inline constexpr std::int64_t kEarliestReportMs = 946'684'800'000;
inline constexpr std::int64_t kLatestReportMs = 7'258'118'400'000;

// "+08:00", "-05:30", "Z" (also "+00:00"), as minutes east of UTC (-23:59 .. +23:59); a space
// may stand for '+' (an unescaped '+' in a query string arrives as one).
std::optional<int> ParseUtcOffset(std::string_view text);
// "+08:00", or "Z" for 0.
std::string FormatUtcOffset(int minutes);

// Unix ms of "2027-01-15" (midnight at `offset_minutes`) or of an RFC 3339 date-time
// ("2027-01-15T08:30:00Z", "2027-01-15T08:30:00.250+08:00"; fractions below 1 ms are cut off;
// 't', 'z' and a space instead of 'T' are accepted). Nothing for anything else, impossible dates
// and times included.
std::optional<std::int64_t> ParseReportTime(std::string_view text, int offset_minutes);

// RFC 3339 at `offset_minutes`: "2027-01-15T08:30:00+08:00", with ".250" when the ms are not 0.
std::string FormatReportTime(std::int64_t unix_ms, int offset_minutes);

// The day `unix_ms` falls in at `offset_minutes`, as days since 1970-01-01, and back to text.
std::int64_t DayNumber(std::int64_t unix_ms, int offset_minutes);
std::string FormatDay(std::int64_t day_number);  // "2027-01-15"

}  // namespace kiosk_edge
