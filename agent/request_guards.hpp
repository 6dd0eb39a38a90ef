#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

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

}  // namespace kiosk_edge
