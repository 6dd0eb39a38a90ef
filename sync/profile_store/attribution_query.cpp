#include "sync/profile_store/attribution_query.hpp"

#include <charconv>
#include <map>
#include <optional>

#include "common/http_forms.hpp"
#include "common/strings.hpp"
#include "sync/profile_store/report_time.hpp"

namespace kiosk_edge {
namespace {

constexpr std::string_view kParameters[] = {"from",   "to", "group_by",     "model",
                                            "format", "tz", "lookback_days"};
constexpr std::string_view kTimeRule =
    "must be a date (2027-01-15) or an RFC 3339 time (2027-01-15T08:00:00+08:00)";

Error Bad(std::string_view parameter, std::string_view rule) {
  return Error(ErrorKind::kInvalidArgument, StrCat(parameter, ": ", rule));
}

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
  return Bad("group_by", "must be channel, path:N (N = 1..8), store, campaign or day");
}

Result<std::int64_t> ReadTime(std::string_view parameter, std::string_view text,
                              int offset_minutes) {
  const auto ms = ParseReportTime(text, offset_minutes);
  if (!ms) return Bad(parameter, kTimeRule);
  if (*ms < kEarliestReportMs || *ms > kLatestReportMs) {
    return Bad(parameter, "must be between 2000-01-01 and 2199-12-31");
  }
  return *ms;
}

}  // namespace

Result<AttributionQuery> ParseAttributionQuery(std::string_view query_string, std::int64_t now_ms) {
  auto fields = ParseFormUrlEncoded(query_string, std::size(kParameters));
  if (!fields) return Bad("query", fields.error().message());
  std::map<std::string_view, std::string_view> given;
  for (const auto& [name, value] : *fields) {
    bool known = false;
    for (std::string_view parameter : kParameters) known = known || parameter == name;
    if (!known) {
      return Bad(name.size() <= 32 ? std::string_view(name) : "query",
                 "unknown parameter (known: from, to, group_by, model, format, tz, "
                 "lookback_days)");
    }
    if (!given.emplace(name, value).second) return Bad(name, "given more than once");
  }
  const auto value = [&given](std::string_view name) -> std::optional<std::string_view> {
    const auto found = given.find(name);
    if (found == given.end()) return std::nullopt;
    return found->second;
  };

  AttributionQuery query;
  if (auto tz = value("tz")) {
    const auto offset = ParseUtcOffset(*tz);
    if (!offset) return Bad("tz", "must be a UTC offset such as +08:00, -05:30 or Z");
    query.utc_offset_minutes = *offset;
  }
  query.to_ms = now_ms;
  if (auto to = value("to")) {
    auto ms = ReadTime("to", *to, query.utc_offset_minutes);
    if (!ms) return ms.error();
    query.to_ms = *ms;
  }
  query.from_ms = query.to_ms - 30 * kMsPerDay;
  if (auto from = value("from")) {
    auto ms = ReadTime("from", *from, query.utc_offset_minutes);
    if (!ms) return ms.error();
    query.from_ms = *ms;
  }
  if (query.from_ms >= query.to_ms) return Bad("from", "must be before to");
  if (query.to_ms - query.from_ms > kMaxWindowDays * kMsPerDay) {
    return Bad("to", "the window from..to must be at most 366 days");
  }
  if (auto grouping = value("group_by")) {
    if (auto read = ReadGrouping(*grouping, query); !read) return read.error();
  }
  if (auto model = value("model")) {
    if (*model == "first_touch") {
      query.model = AttributionModel::kFirstTouch;
    } else if (*model != "last_touch") {
      return Bad("model", "must be first_touch or last_touch");
    }
  }
  if (auto format = value("format")) {
    if (*format == "csv") {
      query.format = ReportFormat::kCsv;
    } else if (*format != "json") {
      return Bad("format", "must be json or csv");
    }
  }
  if (auto lookback = value("lookback_days")) {
    const auto days = SmallNumber(*lookback, 1, 365);
    if (!days) return Bad("lookback_days", "must be a whole number of days, 1..365");
    query.lookback_days = *days;
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
