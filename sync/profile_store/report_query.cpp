#include "sync/profile_store/report_query.hpp"

#include <algorithm>

#include "common/strings.hpp"
#include "sync/profile_store/report_time.hpp"

namespace kiosk_edge {
namespace {

Result<std::int64_t> ReadTime(std::string_view parameter, std::string_view text,
                              int offset_minutes) {
  const auto ms = ParseReportTime(text, offset_minutes);
  if (!ms) {
    return BadParameter(
        parameter, "must be a date (2027-01-15) or an RFC 3339 time (2027-01-15T08:00:00+08:00)");
  }
  if (*ms < kEarliestReportMs || *ms > kLatestReportMs) {
    return BadParameter(parameter, "must be between 2000-01-01 and 2199-12-31");
  }
  return *ms;
}

}  // namespace

Error BadParameter(std::string_view parameter, std::string_view rule) {
  return Error(ErrorKind::kInvalidArgument, StrCat(parameter, ": ", rule));
}

Result<ReportParameters> ReportParameters::Parse(std::string_view query_string,
                                                 std::span<const std::string_view> known) {
  auto fields = ParseFormUrlEncoded(query_string, known.size());
  if (!fields) return BadParameter("query", fields.error().message());
  for (std::size_t i = 0; i < fields->size(); ++i) {
    const std::string& name = (*fields)[i].first;
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      std::string names;
      for (std::string_view parameter : known)
        names += StrCat(names.empty() ? "" : ", ", parameter);
      return BadParameter(name.size() <= 32 ? std::string_view(name) : "query",
                          StrCat("unknown parameter (known: ", names, ")"));
    }
    for (std::size_t j = 0; j < i; ++j) {
      if ((*fields)[j].first == name) return BadParameter(name, "given more than once");
    }
  }
  return ReportParameters(std::move(*fields));
}

std::optional<std::string_view> ReportParameters::Get(std::string_view name) const {
  return FindField(fields_, name);
}

Result<ReportWindow> ReadReportWindow(const ReportParameters& parameters, std::int64_t now_ms) {
  ReportWindow window;
  if (auto tz = parameters.Get("tz")) {
    const auto offset = ParseUtcOffset(*tz);
    if (!offset) return BadParameter("tz", "must be a UTC offset such as +08:00, -05:30 or Z");
    window.utc_offset_minutes = *offset;
  }
  window.to_ms = now_ms;
  if (auto to = parameters.Get("to")) {
    auto ms = ReadTime("to", *to, window.utc_offset_minutes);
    if (!ms) return ms.error();
    window.to_ms = *ms;
  }
  window.from_ms = window.to_ms - 30 * kMsPerDay;
  if (auto from = parameters.Get("from")) {
    auto ms = ReadTime("from", *from, window.utc_offset_minutes);
    if (!ms) return ms.error();
    window.from_ms = *ms;
  }
  if (window.from_ms >= window.to_ms) return BadParameter("from", "must be before to");
  if (window.to_ms - window.from_ms > kMaxWindowDays * kMsPerDay) {
    return BadParameter("to", "the window from..to must be at most 366 days");
  }
  return window;
}

Result<ReportFormat> ReadReportFormat(const ReportParameters& parameters) {
  const auto format = parameters.Get("format");
  if (!format || *format == "json") return ReportFormat::kJson;
  if (*format == "csv") return ReportFormat::kCsv;
  return BadParameter("format", "must be json or csv");
}

Result<ReportBasics> ReadReportBasics(std::string_view query_string,
                                      std::span<const std::string_view> known,
                                      std::int64_t now_ms) {
  auto parameters = ReportParameters::Parse(query_string, known);
  if (!parameters) return parameters.error();
  const auto window = ReadReportWindow(*parameters, now_ms);
  if (!window) return window.error();
  const auto format = ReadReportFormat(*parameters);
  if (!format) return format.error();
  return ReportBasics{std::move(*parameters), *window, *format};
}

Result<std::optional<std::string>> ReadReportFilter(const ReportParameters& parameters,
                                                    std::string_view name) {
  const auto text = parameters.Get(name);
  if (!text) return std::optional<std::string>();
  if (text->empty() || text->size() > 64) return BadParameter(name, "must be 1-64 bytes");
  return std::optional<std::string>(*text);
}

}  // namespace kiosk_edge
