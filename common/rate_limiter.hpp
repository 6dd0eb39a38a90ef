#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.hpp"

namespace kiosk_edge {

// At most `limit` attempts per key in each fixed window, which starts at the key's first attempt;
// remembers at most `max_keys` keys (expired windows are dropped first, then the oldest).
// Thread-safe.
class RateLimiter {
 public:
  RateLimiter(std::size_t limit, std::chrono::seconds window, std::size_t max_keys,
              const Clock& clock)
      : limit_(limit), window_(window), max_keys_(max_keys), clock_(clock) {}

  // Counts an attempt; false when `key` is over its limit in the current window.
  bool Allow(std::string_view key);
  // Counts nothing: when `key` has used its whole limit in the current window, the time left
  // until that window ends (at least 1 s); else nothing.
  std::optional<std::chrono::seconds> Exhausted(std::string_view key);
  // Counts `cost` attempts when they fit in what is left of `key`'s limit in the current window,
  // and answers nothing; else counts none and answers the time left until that window ends (at
  // least 1 s). A `cost` above the whole limit never fits.
  std::optional<std::chrono::seconds> Charge(std::string_view key, std::size_t cost);
  // Takes back `cost` attempts of `key`'s current window (at most what it counted), for work that
  // was charged and then not done. A window that ended meanwhile is left alone.
  void Refund(std::string_view key, std::size_t cost);

 private:
  struct Window {
    std::chrono::steady_clock::time_point start;
    std::size_t count = 0;
  };
  void MakeRoom(std::chrono::steady_clock::time_point now);
  // `key`'s window at `now`, a new one when it had none or its window ended. Under mutex_.
  Window& CurrentWindow(std::string_view key, std::chrono::steady_clock::time_point now);

  const std::size_t limit_;
  const std::chrono::seconds window_;
  const std::size_t max_keys_;
  const Clock& clock_;
  std::mutex mutex_;
  std::map<std::string, Window, std::less<>> windows_;
};

}  // namespace kiosk_edge
