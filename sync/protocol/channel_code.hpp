#pragma once

// The MAC of a channel code (DESIGN.md section 5), shared by the two ends that make codes: kiosks
// (agent/channel_token.hpp issues and verifies them) and HQ (profile-store prints codes for
// posters under the fleet's channel keys, which every kiosk verifies after sync).
//
//   token = CHANNEL_ID "." KEY_ID MAC
//   MAC   = Base32(first 10 bytes of HMAC-SHA256(key, "kiosk-edge channel v1\0" CHANNEL_ID))
//
// The caller checks CHANNEL_ID (1..32 of [A-Z0-9-]) and KEY_ID ([A-Z2-7]) first.

#include <cstddef>
#include <string>
#include <string_view>

namespace kiosk_edge {

// Characters of MAC in a token: 80 bits of HMAC in base32.
inline constexpr std::size_t kChannelMacChars = 16;

// The MAC part of a token (kChannelMacChars characters of [A-Z2-7]). `secret` is key material.
std::string ChannelCodeMac(std::string_view secret, std::string_view channel_id);

// CHANNEL_ID "." KEY_ID MAC.
std::string ChannelCodeToken(std::string_view channel_id, char key_id, std::string_view secret);

}  // namespace kiosk_edge
