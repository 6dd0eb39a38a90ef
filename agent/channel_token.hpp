#pragma once

// Channel codes (DESIGN.md section 5): the QR code on a poster, flyer or counter card is the URL
// `BASE/C/<token>`, and the token names the placement's channel and proves it was issued by us:
//
//   token      = CHANNEL_ID "." KEY_ID MAC
//   CHANNEL_ID = 1..32 of [A-Z0-9-]
//   KEY_ID     = 1 of [A-Z2-7]: which token key signed it, so keys can rotate
//   MAC        = Base32(first 10 bytes of HMAC-SHA256(key, "kiosk-edge channel v1\0" CHANNEL_ID))
//
// Everything is upper case, digits or one of "-./:", so "HTTP://HOST/C/<token>" fits a QR code's
// alphanumeric mode (smaller codes). A forged or altered token is refused; the caller still shows
// a landing page but records the scan as invalid and attributes it to no channel.
//
// Keys: before enrollment a kiosk signs with its own key ('A', kiosk_secrets.hpp). Once HQ's
// config bundle arrives it signs with HQ's signing key, so a code printed anywhere in the fleet
// verifies on every kiosk, and keeps its own key as a verifying-only key so that the codes it
// printed before enrollment keep working. The codec in force is held in a ChannelCodecHolder and
// swapped whole when HQ's keys change.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/shared_snapshot.hpp"
#include "common/error.hpp"
#include "sync/protocol/channel_code.hpp"  // the MAC, shared with HQ

namespace kiosk_edge {

inline constexpr std::size_t kMaxChannelIdLength = 32;
inline constexpr std::size_t kMinTokenKeySecretSize = 32;

// A key that signs or verifies channel tokens. The secret is key material: never log it.
struct TokenKey {
  char id = 'A';       // [A-Z2-7]
  std::string secret;  // at least kMinTokenKeySecretSize bytes
  // When the key stopped signing. Tokens under it are still accepted until retired_at + overlap
  // (the posters already printed stay valid while they are replaced). Unset: not retired.
  std::optional<std::int64_t> retired_at_unix_s;
};

// True when `channel_id` is 1..32 characters of [A-Z0-9-].
bool IsValidChannelId(std::string_view channel_id);

// Issues and verifies channel tokens under a set of keys. Immutable after Create, so one instance
// may be shared by any number of threads.
class ChannelTokenCodec {
 public:
  // `keys` holds the current signing key (`signing_key_id`, which must not be retired) and the
  // older keys still accepted. kInvalidArgument for an empty set, a duplicate or malformed key
  // id, a secret shorter than 32 bytes, an unknown or retired signing key, or an overlap or a
  // retirement time outside 0..1e11 seconds.
  static Result<ChannelTokenCodec> Create(std::vector<TokenKey> keys, char signing_key_id,
                                          std::chrono::seconds overlap);

  // The token (not the URL) for `channel_id`, signed with the signing key. kInvalidArgument when
  // the id is not 1..32 of [A-Z0-9-] (lower case is refused rather than silently changed, so the
  // id Verify returns is always the one issued).
  Result<std::string> Issue(std::string_view channel_id) const;

  // The channel id the token names, if the token is genuine and its key still accepted at `now`.
  // Lower-case input is accepted (some phones lower-case URLs) by upper-casing it first.
  // Otherwise kInvalidArgument with a short machine-readable reason as the whole message:
  //   "malformed"   not of the token grammar above
  //   "unknown key" KEY_ID names no key of this codec
  //   "bad mac"     forged or altered (compared in constant time)
  //   "key retired" genuine, but its key's overlap after retirement has passed
  Result<std::string> Verify(std::string_view token,
                             std::chrono::system_clock::time_point now) const;

 private:
  ChannelTokenCodec(std::vector<TokenKey> keys, char signing_key_id, std::chrono::seconds overlap)
      : keys_(std::move(keys)), signing_key_id_(signing_key_id), overlap_(overlap) {}

  const TokenKey* FindKey(char id) const;

  std::vector<TokenKey> keys_;
  char signing_key_id_;
  std::chrono::seconds overlap_;
};

// The codec in force on a running kiosk; HqConfigKeeper replaces it when HQ's keys change.
using ChannelCodecHolder = SharedSnapshot<ChannelTokenCodec>;

}  // namespace kiosk_edge
