#include "common/rate_limiter.hpp"

#include <algorithm>

namespace kiosk_edge {

RateLimiter::Window& RateLimiter::CurrentWindow(std::string_view key,
                                                std::chrono::steady_clock::time_point now) {
  auto found = windows_.find(key);
  if (found == windows_.end()) {
    if (windows_.size() >= max_keys_) MakeRoom(now);
    found = windows_.emplace(std::string(key), Window{now, 0}).first;
  } else if (now - found->second.start >= window_) {
    found->second = Window{now, 0};
  }
  return found->second;
}

bool RateLimiter::Allow(std::string_view key) {
  const auto now = clock_.MonotonicNow();
  std::lock_guard lock(mutex_);
  return ++CurrentWindow(key, now).count <= limit_;
}

std::optional<std::chrono::seconds> RateLimiter::Charge(std::string_view key, std::size_t cost) {
  const auto now = clock_.MonotonicNow();
  std::lock_guard lock(mutex_);
  Window& window = CurrentWindow(key, now);
  if (cost <= limit_ - std::min(window.count, limit_)) {
    window.count += cost;
    return std::nullopt;
  }
  return std::chrono::ceil<std::chrono::seconds>(window.start + window_ - now);  // > 0
}

void RateLimiter::Refund(std::string_view key, std::size_t cost) {
  const auto now = clock_.MonotonicNow();
  std::lock_guard lock(mutex_);
  const auto found = windows_.find(key);
  if (found == windows_.end() || now - found->second.start >= window_) return;
  found->second.count -= std::min(cost, found->second.count);
}

std::optional<std::chrono::seconds> RateLimiter::Exhausted(std::string_view key) {
  const auto now = clock_.MonotonicNow();
  std::lock_guard lock(mutex_);
  const auto found = windows_.find(key);
  if (found == windows_.end() || found->second.count < limit_) return std::nullopt;
  const auto left = found->second.start + window_ - now;
  if (left <= std::chrono::steady_clock::duration::zero()) return std::nullopt;
  return std::chrono::ceil<std::chrono::seconds>(left);  // at least 1 s: `left` is positive
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
