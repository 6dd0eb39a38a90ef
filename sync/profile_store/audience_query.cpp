#include "sync/profile_store/audience_query.hpp"

#include <charconv>
#include <map>

#include "common/http_forms.hpp"
#include "common/strings.hpp"
#include "sync/profile_store/report_time.hpp"

namespace kiosk_edge {
namespace {

constexpr std::string_view kParameters[] = {"after",    "from",    "to",     "store",
                                            "campaign", "channel", "format", "tz"};
constexpr std::int64_t kMsPerMinute = 60'000;
constexpr std::int64_t kMaxWindowMs = kMaxWindowDays * kMsPerDay;

Error Bad(std::string_view parameter, std::string_view rule) {
  return Error(ErrorKind::kInvalidArgument, StrCat(parameter, ": ", rule));
}

// "48h", "2d", "90m" in ms; nothing for anything else or outside 1 minute .. 366 days.
std::optional<std::int64_t> ParseAfter(std::string_view text) {
  if (text.size() < 2) return std::nullopt;
  std::int64_t unit_ms = 0;
  switch (text.back()) {
    case 'm':
      unit_ms = kMsPerMinute;
      break;
    case 'h':
      unit_ms = 60 * kMsPerMinute;
      break;
    case 'd':
      unit_ms = kMsPerDay;
      break;
    default:
      return std::nullopt;
  }
  const std::string_view digits = text.substr(0, text.size() - 1);
  if (digits.size() > 6 || digits[0] == '0') return std::nullopt;
  std::int64_t count = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), count);
  if (error != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  const std::int64_t ms = count * unit_ms;
  if (ms < kMsPerMinute || ms > kMaxWindowMs) return std::nullopt;
  return ms;
}

Result<std::int64_t> ReadTime(std::string_view parameter, std::string_view text,
                              int offset_minutes) {
  const auto ms = ParseReportTime(text, offset_minutes);
  if (!ms) {
    return Bad(parameter,
               "must be a date (2027-01-15) or an RFC 3339 time (2027-01-15T08:00:00+08:00)");
  }
  if (*ms < kEarliestReportMs || *ms > kLatestReportMs) {
    return Bad(parameter, "must be between 2000-01-01 and 2199-12-31");
  }
  return *ms;
}

Result<std::string> ReadFilter(std::string_view parameter, std::string_view text) {
  if (text.empty() || text.size() > 64) return Bad(parameter, "must be 1-64 bytes");
  return std::string(text);
}

}  // namespace

Result<AudienceQuery> ParseAudienceQuery(std::string_view query_string, std::int64_t now_ms) {
  auto fields = ParseFormUrlEncoded(query_string, std::size(kParameters));
  if (!fields) return Bad("query", fields.error().message());
  std::map<std::string_view, std::string_view> given;
  for (const auto& [name, value] : *fields) {
    bool known = false;
    for (std::string_view parameter : kParameters) known = known || parameter == name;
    if (!known) {
      return Bad(name.size() <= 32 ? std::string_view(name) : "query",
                 "unknown parameter (known: after, from, to, store, campaign, channel, format, "
                 "tz)");
    }
    if (!given.emplace(name, value).second) return Bad(name, "given more than once");
  }
  const auto value = [&given](std::string_view name) -> std::optional<std::string_view> {
    const auto found = given.find(name);
    if (found == given.end()) return std::nullopt;
    return found->second;
  };

  AudienceQuery query;
  if (auto after = value("after")) {
    const auto ms = ParseAfter(*after);
    if (!ms) {
      return Bad("after",
                 "must be a number followed by h (hours), d (days) or m (minutes), such as 48h, "
                 "2d or 90m; 1 minute to 366 days");
    }
    query.after_ms = *ms;
    query.after_text = std::string(*after);
  }
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
  if (query.to_ms - query.from_ms > kMaxWindowMs) {
    return Bad("to", "the window from..to must be at most 366 days");
  }
  const std::pair<std::string_view, std::optional<std::string>*> filters[] = {
      {"store", &query.store}, {"campaign", &query.campaign}, {"channel", &query.channel}};
  for (const auto& [name, field] : filters) {
    if (auto text = value(name)) {
      auto filter = ReadFilter(name, *text);
      if (!filter) return filter.error();
      *field = std::move(*filter);
    }
  }
  if (auto format = value("format")) {
    if (*format == "csv") {
      query.format = ReportFormat::kCsv;
    } else if (*format != "json") {
      return Bad("format", "must be json or csv");
    }
  }
  return query;
}

std::string AudienceFilterText(const AudienceQuery& query) {
  std::string text =
      StrCat("after=", UrlEncode(query.after_text),
             "&from=", UrlEncode(FormatReportTime(query.from_ms, query.utc_offset_minutes)),
             "&to=", UrlEncode(FormatReportTime(query.to_ms, query.utc_offset_minutes)));
  const std::pair<std::string_view, const std::optional<std::string>*> filters[] = {
      {"store", &query.store}, {"campaign", &query.campaign}, {"channel", &query.channel}};
  for (const auto& [name, field] : filters) {
    if (*field) text += StrCat("&", name, "=", UrlEncode(**field));
  }
  return text;
}

}  // namespace kiosk_edge
