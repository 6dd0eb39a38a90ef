#pragma once

// HQ's limit on credentials it does not know, per network address: HQ API bearer tokens
// (hq_api_access.hpp) and enrollment tokens (store_routes.hpp). Once an address has sent `limit`
// of them within 10 minutes, HQ answers 429 to every request of its that carries such a
// credential until those 10 minutes end, before checking the credential: a flood then costs
// neither an HMAC nor a database look-up. The address is logged when it reaches the limit.
// Genuine credentials that are expired, used or out of scope do not count (their refusals are
// logged by name). `limit` 0 turns the limit off. Thread-safe.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string_view>

#include "common/clock.hpp"
#include "common/rate_limiter.hpp"

namespace kiosk_edge {

class UnknownCredentialLimit {
 public:
  static constexpr std::chrono::minutes kWindow{10};

  UnknownCredentialLimit(std::size_t limit, const Clock& clock);

  // When `address` is over its limit now: how long until it may send credentials again.
  std::optional<std::chrono::seconds> RetryAfter(std::string_view address);
  // Counts a credential HQ did not know, sent from `address`.
  void Count(std::string_view address);

 private:
  const std::size_t limit_;
  RateLimiter failures_;
};

}  // namespace kiosk_edge
