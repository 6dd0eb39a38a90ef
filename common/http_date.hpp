#pragma once

// HTTP's Date header (RFC 9110 section 5.6.7): the IMF-fixdate form, always in GMT,
// "Sun, 06 Nov 1994 08:49:37 GMT". Every response of common/http_server carries one; the sync
// client reads HQ's to tell how far the kiosk's clock is off.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace kiosk_edge {

// `at`, to the second below, as an IMF-fixdate. Years 0000..9999.
std::string FormatHttpDate(std::chrono::system_clock::time_point at);

// The time an IMF-fixdate names; nullopt for anything else: the obsolete RFC 850 and asctime
// forms, a weekday that does not match the date, an impossible date or time.
std::optional<std::chrono::system_clock::time_point> ParseHttpDate(std::string_view text);

}  // namespace kiosk_edge
