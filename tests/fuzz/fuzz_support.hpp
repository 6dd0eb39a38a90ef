#pragma once

// What the fuzz targets and the seed generator share: the fixed keys the checked-in seeds are
// signed with (so valid seeds reach the code behind signature checks), and FUZZ_CHECK for the
// properties a target asserts besides "no crash". Test keys only: they sign nothing real.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "agent/channel_token.hpp"

// Aborts (a crash libFuzzer reports, with the input saved) when a property does not hold.
#define FUZZ_CHECK(condition)                                                                 \
  do {                                                                                        \
    if (!(condition)) {                                                                       \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                           \
    }                                                                                         \
  } while (false)

namespace kiosk_edge::fuzz {

// The bytes libFuzzer hands over, as text.
inline std::string_view AsText(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Channel-code keys: 'A' signs, 'B' was retired at kChannelKeyBRetiredAt and is accepted for
// kChannelKeyOverlap after that.
inline constexpr std::int64_t kChannelKeyBRetiredAt = 1'800'000'000;
inline constexpr std::chrono::seconds kChannelKeyOverlap{30 * 24 * 3600};

inline std::vector<TokenKey> ChannelKeys() {
  return {{'A', "fuzz channel key A, 32+ bytes long", std::nullopt},
          {'B', "fuzz channel key B, 32+ bytes long", kChannelKeyBRetiredAt}};
}

// The Ed25519 private key (32 bytes) of the kiosk that signs the voucher seeds.
inline constexpr std::string_view kVoucherDeviceKey = "fuzz voucher device key 32 bytes";
static_assert(kVoucherDeviceKey.size() == 32);

}  // namespace kiosk_edge::fuzz
