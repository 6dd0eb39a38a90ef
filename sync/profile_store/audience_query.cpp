#include "sync/profile_store/audience_query.hpp"

#include <charconv>

#include "common/strings.hpp"
#include "sync/profile_store/report_query.hpp"
#include "sync/profile_store/report_time.hpp"

namespace kiosk_edge {
namespace {

constexpr std::string_view kParameters[] = {"after",    "from",    "to",     "store",
                                            "campaign", "channel", "format", "tz"};
constexpr std::int64_t kMsPerMinute = 60'000;
constexpr std::int64_t kMaxAfterMs = kMaxWindowDays * kMsPerDay;

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
  if (ms < kMsPerMinute || ms > kMaxAfterMs) return std::nullopt;
  return ms;
}

}  // namespace

Result<AudienceQuery> ParseAudienceQuery(std::string_view query_string, std::int64_t now_ms) {
  auto basics = ReadReportBasics(query_string, kParameters, now_ms);
  if (!basics) return basics.error();
  const ReportParameters& parameters = basics->parameters;
  const ReportWindow& window = basics->window;
  const auto value = [&parameters](std::string_view name) { return parameters.Get(name); };

  AudienceQuery query;
  if (auto after = value("after")) {
    const auto ms = ParseAfter(*after);
    if (!ms) {
      return BadParameter(
          "after",
          "must be a number followed by h (hours), d (days) or m (minutes), such as 48h, "
          "2d or 90m; 1 minute to 366 days");
    }
    query.after_ms = *ms;
    query.after_text = std::string(*after);
  }
  query.from_ms = window.from_ms;
  query.to_ms = window.to_ms;
  query.utc_offset_minutes = window.utc_offset_minutes;
  query.format = basics->format;
  const std::pair<std::string_view, std::optional<std::string>*> filters[] = {
      {"store", &query.store}, {"campaign", &query.campaign}, {"channel", &query.channel}};
  for (const auto& [name, field] : filters) {
    auto filter = ReadReportFilter(parameters, name);
    if (!filter) return filter.error();
    *field = std::move(*filter);
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
