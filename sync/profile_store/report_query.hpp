#pragma once

// What HQ's report endpoints (GET /v1/attribution, GET /v1/audiences/...) read from their query
// strings the same way: the parameters themselves, the time window and the format. Errors are
// kInvalidArgument whose message starts with the parameter at fault and ": ".

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "common/http_forms.hpp"

namespace kiosk_edge {

enum class ReportFormat { kJson, kCsv };

inline constexpr std::int64_t kMaxWindowDays = 366;

// kInvalidArgument "<parameter>: <rule>".
Error BadParameter(std::string_view parameter, std::string_view rule);

// A decoded query string in which every parameter is one of `known`, given at most once.
class ReportParameters {
 public:
  // Refuses a malformed query string ("query: ..."), an unknown parameter (the message lists
  // `known`) and a repeated one.
  static Result<ReportParameters> Parse(std::string_view query_string,
                                        std::span<const std::string_view> known);
  // The value of `name`, if given.
  std::optional<std::string_view> Get(std::string_view name) const;

 private:
  explicit ReportParameters(FormFields fields) : fields_(std::move(fields)) {}
  FormFields fields_;
};

// [from_ms, to_ms) and the UTC offset dates are read at.
struct ReportWindow {
  std::int64_t from_ms = 0;
  std::int64_t to_ms = 0;
  int utc_offset_minutes = 0;
};

// tz (default Z), to (default `now_ms`) and from (default to - 30 days), each an ISO date
// (midnight at tz) or an RFC 3339 time; from before to, at most kMaxWindowDays apart.
Result<ReportWindow> ReadReportWindow(const ReportParameters& parameters, std::int64_t now_ms);

// format: json (the default) or csv.
Result<ReportFormat> ReadReportFormat(const ReportParameters& parameters);

// What every report query has: its parameters (each one of `known`), window and format.
struct ReportBasics {
  ReportParameters parameters;
  ReportWindow window;
  ReportFormat format;
};
Result<ReportBasics> ReadReportBasics(std::string_view query_string,
                                      std::span<const std::string_view> known, std::int64_t now_ms);

// The filter `name` (store, campaign, channel), if given: 1-64 bytes.
Result<std::optional<std::string>> ReadReportFilter(const ReportParameters& parameters,
                                                    std::string_view name);

}  // namespace kiosk_edge
