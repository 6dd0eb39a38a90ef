#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "common/clock.hpp"

namespace kiosk_edge {

// Stateless CSRF tokens for the signup form: an HMAC over the shopper's device cookie and the
// hour, valid for that hour and the next. Thread-safe.
class CsrfGuard {
 public:
  CsrfGuard(std::string key, const Clock& clock) : key_(std::move(key)), clock_(clock) {}
  std::string Issue(std::string_view device_id) const;
  bool Check(std::string_view device_id, std::string_view token) const;

 private:
  std::string TokenFor(std::string_view device_id, std::int64_t hour) const;
  std::int64_t CurrentHour() const;

  std::string key_;
  const Clock& clock_;
};

// At most `limit` attempts per key in each fixed window; remembers at most `max_keys` keys
// (expired windows are dropped first, then the oldest). Thread-safe.
class RateLimiter {
 public:
  RateLimiter(std::size_t limit, std::chrono::seconds window, std::size_t max_keys,
              const Clock& clock)
      : limit_(limit), window_(window), max_keys_(max_keys), clock_(clock) {}

  // Counts an attempt; false when `key` is over its limit in the current window.
  bool Allow(std::string_view key);

 private:
  struct Window {
    std::chrono::steady_clock::time_point start;
    std::size_t count = 0;
  };
  void MakeRoom(std::chrono::steady_clock::time_point now);

  const std::size_t limit_;
  const std::chrono::seconds window_;
  const std::size_t max_keys_;
  const Clock& clock_;
  std::mutex mutex_;
  std::map<std::string, Window, std::less<>> windows_;
};

}  // namespace kiosk_edge
