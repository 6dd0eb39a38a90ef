#include "sync/profile_store/attribution_query.hpp"

#include <charconv>
#include <optional>

#include "common/strings.hpp"
#include "sync/profile_store/report_query.hpp"

namespace kiosk_edge {
namespace {

constexpr std::string_view kParameters[] = {
    "from", "to", "group_by", "model", "format", "tz", "lookback_days", "store", "campaign"};
std::optional<int> SmallNumber(std::string_view text, int min, int max) {
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || value < min ||
      value > max) {
    return std::nullopt;
  }
  return value;
}

Result<void> ReadGrouping(std::string_view text, AttributionQuery& query) {
  static constexpr std::pair<std::string_view, AttributionGrouping> kNames[] = {
      {"channel", AttributionGrouping::kChannel},
      {"store", AttributionGrouping::kStore},
      {"campaign", AttributionGrouping::kCampaign},
      {"day", AttributionGrouping::kDay}};
  for (const auto& [name, grouping] : kNames) {
    if (text == name) {
      query.group_by = grouping;
      return {};
    }
  }
  if (text.starts_with("path:")) {
    if (auto levels = SmallNumber(text.substr(5), 1, kMaxPathLevels)) {
      query.group_by = AttributionGrouping::kPath;
      query.path_levels = *levels;
      return {};
    }
  }
  return BadParameter("group_by", "must be channel, path:N (N = 1..8), store, campaign or day");
}

}  // namespace

Result<AttributionQuery> ParseAttributionQuery(std::string_view query_string, std::int64_t now_ms) {
  auto basics = ReadReportBasics(query_string, kParameters, now_ms);
  if (!basics) return basics.error();
  const ReportParameters& parameters = basics->parameters;
  const ReportWindow& window = basics->window;
  const auto value = [&parameters](std::string_view name) { return parameters.Get(name); };

  AttributionQuery query;
  query.from_ms = window.from_ms;
  query.to_ms = window.to_ms;
  query.utc_offset_minutes = window.utc_offset_minutes;
  query.format = basics->format;
  if (auto grouping = value("group_by")) {
    if (auto read = ReadGrouping(*grouping, query); !read) return read.error();
  }
  if (auto model = value("model")) {
    if (*model == "first_touch") {
      query.model = AttributionModel::kFirstTouch;
    } else if (*model != "last_touch") {
      return BadParameter("model", "must be first_touch or last_touch");
    }
  }
  if (auto lookback = value("lookback_days")) {
    const auto days = SmallNumber(*lookback, 1, 365);
    if (!days) return BadParameter("lookback_days", "must be a whole number of days, 1..365");
    query.lookback_days = *days;
  }
  for (auto [name, field] : {std::pair{"store", &query.store}, {"campaign", &query.campaign}}) {
    auto filter = ReadReportFilter(parameters, name);
    if (!filter) return filter.error();
    *field = std::move(*filter);
  }
  return query;
}

std::string GroupingText(const AttributionQuery& query) {
  switch (query.group_by) {
    case AttributionGrouping::kChannel:
      return "channel";
    case AttributionGrouping::kPath:
      return StrCat("path:", query.path_levels);
    case AttributionGrouping::kStore:
      return "store";
    case AttributionGrouping::kCampaign:
      return "campaign";
    case AttributionGrouping::kDay:
      return "day";
  }
  return "channel";
}

std::string_view ModelText(AttributionModel model) {
  return model == AttributionModel::kFirstTouch ? "first_touch" : "last_touch";
}

std::string_view FormatText(ReportFormat format) {
  return format == ReportFormat::kCsv ? "csv" : "json";
}

}  // namespace kiosk_edge
