#include "sync/profile_store/unknown_credential_limit.hpp"

#include "common/log.hpp"

namespace kiosk_edge {
namespace {

constexpr std::size_t kAddressesRemembered = 20'000;

}  // namespace

UnknownCredentialLimit::UnknownCredentialLimit(std::size_t limit, const Clock& clock)
    : limit_(limit), failures_(limit, kWindow, kAddressesRemembered, clock) {}

std::optional<std::chrono::seconds> UnknownCredentialLimit::RetryAfter(std::string_view address) {
  if (limit_ == 0) return std::nullopt;
  return failures_.Exhausted(address);
}

void UnknownCredentialLimit::Count(std::string_view address) {
  if (limit_ == 0) return;
  // Allow is false only for a request that raced past RetryAfter: the first one logged already.
  if (failures_.Allow(address) && failures_.Exhausted(address)) {
    LogWarning("profile-store", limit_, " unknown credentials from ", address, " within ",
               kWindow.count(), " minutes: its credentials are refused until the ", kWindow.count(),
               " minutes end");
  }
}

}  // namespace kiosk_edge
