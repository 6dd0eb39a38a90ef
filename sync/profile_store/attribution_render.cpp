#include "sync/profile_store/attribution_render.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <cstdio>
#include <utility>
#include <vector>

#include "common/strings.hpp"
#include "sync/profile_store/report_time.hpp"

namespace kiosk_edge {
namespace {

// A figure's value as JSON text and as CSV text: a number, or null / an empty field.
using Cell = std::optional<std::string>;

// The figure columns, in order, with their values.
std::vector<std::pair<std::string_view, Cell>> FigureCells(const AttributionFigures& f) {
  const auto count = [](std::int64_t value) { return Cell(std::to_string(value)); };
  const auto median = [](const std::optional<MedianMs>& value) {
    return value ? Cell(value->SecondsText()) : Cell();
  };
  return {{"scans", count(f.scans)},
          {"unique_scanners", count(f.unique_scanners)},
          {"presence_verified_scans", count(f.presence_verified_scans)},
          {"invalid_scans", count(f.invalid_scans)},
          {"signups", count(f.signups)},
          {"vouchers_issued", count(f.vouchers_issued)},
          {"redemptions", count(f.redemptions)},
          {"scan_to_signup_rate", RateText(f.signups, f.unique_scanners)},
          {"signup_to_redemption_rate", RateText(f.redemptions, f.signups)},
          {"median_scan_to_signup_s", median(f.median_scan_to_signup)},
          {"median_signup_to_redemption_s", median(f.median_signup_to_redemption)}};
}

// The first column's name: the grouping without its path depth.
std::string_view GroupColumn(AttributionGrouping grouping) {
  switch (grouping) {
    case AttributionGrouping::kChannel:
      return "channel";
    case AttributionGrouping::kPath:
      return "path";
    case AttributionGrouping::kStore:
      return "store";
    case AttributionGrouping::kCampaign:
      return "campaign";
    case AttributionGrouping::kDay:
      return "day";
  }
  return "channel";
}

std::string JsonText(std::string_view text) {
  return boost::json::serialize(boost::json::string(text));
}

void AppendMember(std::string& out, std::string_view key, std::string_view json_value) {
  if (out.back() != '{') out += ',';
  out += JsonText(key);
  out += ':';
  out += json_value;
}

std::string FiguresJson(std::string_view group_column, const AttributionRow* row,
                        const AttributionFigures& figures) {
  std::string out = "{";
  if (row != nullptr) {
    AppendMember(out, group_column, JsonText(row->group));
    if (group_column == "channel") AppendMember(out, "name", JsonText(row->name));
  }
  for (const auto& [column, cell] : FigureCells(figures)) {
    AppendMember(out, column, cell ? *cell : "null");
  }
  return out + "}";
}

}  // namespace

std::string CsvText(std::string_view text) {
  if (!text.empty() && (text[0] == '=' || text[0] == '+' || text[0] == '-' || text[0] == '@' ||
                        text[0] == '\t' || text[0] == '\r')) {
    return CsvField(StrCat("'", text));
  }
  return CsvField(text);
}

std::optional<std::string> RateText(std::int64_t numerator, std::int64_t denominator) {
  if (denominator <= 0) return std::nullopt;
  const std::int64_t units = (numerator * 20000 + denominator) / (2 * denominator);  // of 0.0001
  char text[48];
  std::snprintf(text, sizeof text, "%lld.%04lld", static_cast<long long>(units / 10000),
                static_cast<long long>(units % 10000));
  return std::string(text);
}

std::string CsvField(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

std::string AttributionJson(const AttributionReport& report) {
  const AttributionQuery& query = report.query;
  std::string out = "{\"query\":{";
  AppendMember(out, "from", JsonText(FormatReportTime(query.from_ms, query.utc_offset_minutes)));
  AppendMember(out, "to", JsonText(FormatReportTime(query.to_ms, query.utc_offset_minutes)));
  AppendMember(out, "group_by", JsonText(GroupingText(query)));
  AppendMember(out, "model", JsonText(ModelText(query.model)));
  AppendMember(out, "tz", JsonText(FormatUtcOffset(query.utc_offset_minutes)));
  AppendMember(out, "lookback_days", std::to_string(query.lookback_days));
  AppendMember(out, "format", JsonText(FormatText(query.format)));
  if (query.store) AppendMember(out, "store", JsonText(*query.store));
  if (query.campaign) AppendMember(out, "campaign", JsonText(*query.campaign));
  out += '}';
  AppendMember(out, "generated_at", JsonText(FormatReportTime(report.generated_at_ms, 0)));
  const std::string_view group_column = GroupColumn(query.group_by);
  out += ",\"columns\":[";
  out += JsonText(group_column);
  if (group_column == "channel") out += ",\"name\"";
  for (const auto& [column, cell] : FigureCells(AttributionFigures{})) {
    out += ',';
    out += JsonText(column);
  }
  out += "],\"rows\":[";
  for (std::size_t i = 0; i < report.rows.size(); ++i) {
    if (i > 0) out += ',';
    out += FiguresJson(group_column, &report.rows[i], report.rows[i].figures);
  }
  out += "],";
  out += JsonText("totals");
  out += ':';
  out += FiguresJson(group_column, nullptr, report.totals);
  return out + "}\n";
}

std::string AttributionCsv(const AttributionReport& report) {
  const std::string_view group_column = GroupColumn(report.query.group_by);
  const bool named = report.query.group_by == AttributionGrouping::kChannel;
  std::string out(group_column);
  if (named) out += ",name";
  for (const auto& [column, cell] : FigureCells(AttributionFigures{})) {
    out += ',';
    out += column;
  }
  out += "\r\n";
  for (const AttributionRow& row : report.rows) {
    out += CsvText(row.group);
    if (named) out += ',' + CsvText(row.name);
    for (const auto& [column, cell] : FigureCells(row.figures)) {
      out += ',';
      if (cell) out += *cell;
    }
    out += "\r\n";
  }
  return out;
}

}  // namespace kiosk_edge
