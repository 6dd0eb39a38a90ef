#pragma once

// The attribution report as GET /v1/attribution answers it (docs/attribution.md):
//
// JSON: {"query": {from, to, group_by, model, tz, lookback_days, format}, "generated_at",
//        "columns": [<grouping>, "name", "scans", ...],
//        "rows": [{<grouping>: "EL3-POSTER-V2", "name": "...", "scans": 3, ...}],
//        "totals": {"scans": ..., ...}}   (the figures only)
// CSV (RFC 4180, CRLF line ends): a header row, then one line per row; no totals line.
//
// The first column is named after the grouping (channel, path, store, campaign, day); "name"
// follows for group_by=channel only. Rates have four decimals, rounded half up; medians are in
// seconds, exact. A rate whose denominator is 0, and a median without a sample, is null in JSON
// and an empty field in CSV. Text fields that a spreadsheet would run as a formula (starting with
// = + - @, tab or CR) get a leading apostrophe in CSV.

#include <optional>
#include <string>

#include "sync/profile_store/attribution.hpp"

namespace kiosk_edge {

std::string AttributionJson(const AttributionReport& report);
std::string AttributionCsv(const AttributionReport& report);

// numerator / denominator with four decimals, rounded half up ("0.6667"); nothing when the
// denominator is 0.
std::optional<std::string> RateText(std::int64_t numerator, std::int64_t denominator);

// One CSV field (RFC 4180): quoted when it holds a comma, a quote, CR or LF.
std::string CsvField(std::string_view text);
// CsvField of a text a spreadsheet must not take for a formula: a leading apostrophe when it
// starts with = + - @, tab or CR.
std::string CsvText(std::string_view text);

}  // namespace kiosk_edge
