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

bool RateLimiter::Allow(std::string_view key) {
  const auto now = clock_.MonotonicNow();
  std::lock_guard lock(mutex_);
  auto found = windows_.find(key);
  if (found == windows_.end()) {
    if (windows_.size() >= max_keys_) MakeRoom(now);
    found = windows_.emplace(std::string(key), Window{now, 0}).first;
  } else if (now - found->second.start >= window_) {
    found->second = Window{now, 0};
  }
  return ++found->second.count <= limit_;
}

void RateLimiter::MakeRoom(std::chrono::steady_clock::time_point now) {
  std::erase_if(windows_, [&](const auto& entry) { return now - entry.second.start >= window_; });
  if (windows_.size() < max_keys_) return;
  auto oldest = windows_.begin();
  for (auto it = windows_.begin(); it != windows_.end(); ++it) {
    if (it->second.start < oldest->second.start) oldest = it;
  }
  windows_.erase(oldest);
}

}  // namespace kiosk_edge
