#include "agent/request_guards.hpp"

#include "common/crypto.hpp"
#include "common/strings.hpp"

namespace kiosk_edge {

std::int64_t CsrfGuard::CurrentHour() const {
  return std::chrono::duration_cast<std::chrono::hours>(clock_.WallNow().time_since_epoch())
      .count();
}

std::string CsrfGuard::TokenFor(std::string_view device_id, std::int64_t hour) const {
  const std::string mac = HmacSha256(key_, StrCat("csrf\n", device_id, "\n", hour));
  return StrCat(hour, ".", Base32Encode(std::string_view(mac).substr(0, 15)));
}

std::string CsrfGuard::Issue(std::string_view device_id) const {
  return TokenFor(device_id, CurrentHour());
}

bool CsrfGuard::Check(std::string_view device_id, std::string_view token) const {
  if (device_id.empty()) return false;
  const std::int64_t hour = CurrentHour();
  return ConstantTimeEqual(token, TokenFor(device_id, hour)) ||
         ConstantTimeEqual(token, TokenFor(device_id, hour - 1));
}

}  // namespace kiosk_edge
