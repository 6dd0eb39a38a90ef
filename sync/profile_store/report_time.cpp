#include "sync/profile_store/report_time.hpp"

#include <chrono>
#include <cstdio>

namespace kiosk_edge {
namespace {

using std::chrono::day;
using std::chrono::month;
using std::chrono::sys_days;
using std::chrono::year;
using std::chrono::year_month_day;

constexpr std::int64_t kMsPerMinute = 60'000;

// The `count` digits at `text[at]` as a number, or -1.
int Digits(std::string_view text, std::size_t at, std::size_t count) {
  if (at + count > text.size()) return -1;
  int value = 0;
  for (std::size_t i = at; i < at + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return -1;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

// Floor division: days before 1970 stay whole days.
std::int64_t FloorDiv(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

// Days since 1970-01-01 of "YYYY-MM-DD" at the start of `text`.
std::optional<std::int64_t> ParseDate(std::string_view text) {
  if (text.size() < 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  const int y = Digits(text, 0, 4), m = Digits(text, 5, 2), d = Digits(text, 8, 2);
  if (y < 0 || m < 0 || d < 0) return std::nullopt;
  const year_month_day date{year(y), month(static_cast<unsigned>(m)),
                            day(static_cast<unsigned>(d))};
  if (!date.ok()) return std::nullopt;
  return sys_days(date).time_since_epoch().count();
}

}  // namespace

std::optional<int> ParseUtcOffset(std::string_view text) {
  if (text == "Z" || text == "z") return 0;
  if (text.size() != 6 || text[3] != ':') return std::nullopt;
  const char sign = text[0];
  if (sign != '+' && sign != '-' && sign != ' ') return std::nullopt;
  const int hours = Digits(text, 1, 2), minutes = Digits(text, 4, 2);
  if (hours < 0 || hours > 23 || minutes < 0 || minutes > 59) return std::nullopt;
  const int total = hours * 60 + minutes;
  return sign == '-' ? -total : total;
}

std::string FormatUtcOffset(int minutes) {
  if (minutes == 0) return "Z";
  const int magnitude = minutes < 0 ? -minutes : minutes;
  char text[24];
  std::snprintf(text, sizeof text, "%c%02d:%02d", minutes < 0 ? '-' : '+', magnitude / 60,
                magnitude % 60);
  return text;
}

std::optional<std::int64_t> ParseReportTime(std::string_view text, int offset_minutes) {
  const auto date = ParseDate(text);
  if (!date) return std::nullopt;
  if (text.size() == 10) return *date * kMsPerDay - offset_minutes * kMsPerMinute;
  // date-time: 'T' HH ':' MM ':' SS [. fraction] offset
  if (text.size() < 20 || (text[10] != 'T' && text[10] != 't' && text[10] != ' ') ||
      text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  const int hours = Digits(text, 11, 2), minutes = Digits(text, 14, 2),
            seconds = Digits(text, 17, 2);
  if (hours < 0 || hours > 23 || minutes < 0 || minutes > 59 || seconds < 0 || seconds > 59) {
    return std::nullopt;
  }
  std::size_t at = 19;
  std::int64_t millis = 0;
  if (text[at] == '.') {
    std::size_t digits = 0;
    for (++at; at < text.size() && text[at] >= '0' && text[at] <= '9'; ++at, ++digits) {
      if (digits < 3) millis = millis * 10 + (text[at] - '0');
    }
    if (digits == 0 || digits > 9) return std::nullopt;
    for (; digits < 3; ++digits) millis *= 10;
  }
  const auto offset = ParseUtcOffset(text.substr(at));
  if (!offset) return std::nullopt;
  return *date * kMsPerDay + ((hours * 60 + minutes - *offset) * 60 + seconds) * 1000LL + millis;
}

std::string FormatReportTime(std::int64_t unix_ms, int offset_minutes) {
  const std::int64_t local_ms = unix_ms + offset_minutes * kMsPerMinute;
  const std::int64_t days = FloorDiv(local_ms, kMsPerDay);
  const std::int64_t in_day = local_ms - days * kMsPerDay;
  const std::int64_t seconds = in_day / 1000, millis = in_day % 1000;
  std::string text = FormatDay(days);
  char clock[24];
  std::snprintf(clock, sizeof clock, "T%02lld:%02lld:%02lld",
                static_cast<long long>(seconds / 3600), static_cast<long long>(seconds / 60 % 60),
                static_cast<long long>(seconds % 60));
  text += clock;
  if (millis != 0) {
    std::snprintf(clock, sizeof clock, ".%03lld", static_cast<long long>(millis));
    text += clock;
  }
  return text + FormatUtcOffset(offset_minutes);
}

std::int64_t DayNumber(std::int64_t unix_ms, int offset_minutes) {
  return FloorDiv(unix_ms + offset_minutes * kMsPerMinute, kMsPerDay);
}

std::string FormatDay(std::int64_t day_number) {
  const year_month_day date{sys_days(std::chrono::days(day_number))};
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
  return text;
}

}  // namespace kiosk_edge
