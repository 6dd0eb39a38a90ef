#pragma once

// HQ's channel-code keys (DESIGN.md section 5): the fleet's keys for the codes on posters, flyers
// and counter cards. The config bundle carries them to every kiosk, so a code HQ prints (or any
// kiosk prints after sync) verifies on every kiosk. Kept in the state folder as channel-keys.json
// (0600), made at first start; key material is never logged:
//
//   {"signing_key_id": "C",
//    "keys": [{"id": "B", "secret": "<hex>", "created_at_s": 1800000000,
//              "retired_at_s": 1800500000},
//             {"id": "C", "secret": "<hex>", "created_at_s": 1800500000, "retired_at_s": null}]}
//
// Rotation (`profile-store rotate-channel-key`) adds a key that signs new codes from then on and
// retires the one that signed before: codes printed under a retired key stay valid for
// kHqChannelKeyOverlap after its retirement (the kiosks' own overlap, agent/hq_config_keeper.hpp),
// so posters can be replaced meanwhile; after that the key leaves the bundle, and the file at the
// next rotation. Withdrawal (`profile-store withdraw-channel-key`) ends a retired key's overlap at
// once, for a key a stolen kiosk holds: the key leaves the file and the bundle, and kiosks refuse
// its codes from their next pull. A running profile-store reads the file for every bundle it
// makes, so a rotation or a withdrawal reaches kiosks at their next config pull. With several
// instances, every instance must see the same file (the state folder is shared, like the CA).
//
// Key ids are B..Z then 2..7: 'A' is the id every kiosk gives its own key before enrollment
// (agent/kiosk_secrets.hpp), which it keeps for the codes it printed alone.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "sync/protocol/config_bundle.hpp"

namespace kiosk_edge {

inline constexpr std::chrono::seconds kHqChannelKeyOverlap{90 * 24 * 3600};

struct HqChannelKey {
  char id = 'B';
  std::string secret;  // 32 bytes
  std::int64_t created_at_s = 0;
  std::optional<std::int64_t> retired_at_s;  // Unix s; unset: not retired
};

struct HqChannelKeys {
  std::vector<HqChannelKey> keys;  // oldest first
  char signing_key_id = '\0';      // one of `keys`, not retired
};

// Reads `state_dir`/channel-keys.json. kNotFound when it does not exist; kCorrupt when it is not
// a valid key set (named by file, never showing a secret).
Result<HqChannelKeys> LoadChannelKeys(const std::filesystem::path& state_dir);

// LoadChannelKeys, or a new key set of one signing key written at `now_s` when there is none.
Result<HqChannelKeys> LoadOrCreateChannelKeys(const std::filesystem::path& state_dir,
                                              std::int64_t now_s);

// Adds a new signing key, retires the key that signed until now at `now_s`, forgets keys whose
// overlap ended, and writes the file atomically; the new key set. kConflict when every key id is
// still in use (31 rotations within one overlap). Concurrent rotations are not serialised: run
// one at a time.
Result<HqChannelKeys> RotateChannelKey(const std::filesystem::path& state_dir, std::int64_t now_s);

// Forgets the retired key `id` before its overlap ends and writes the file atomically; the key set
// left. kNotFound when no key in the file has that id or its overlap has ended (it has left the
// bundle already); kConflict for the signing key (rotate first, then withdraw it).
Result<HqChannelKeys> WithdrawChannelKey(const std::filesystem::path& state_dir, char id,
                                         std::int64_t now_s);

// The keys kiosks get at `now_s`: every key whose overlap has not ended, oldest first.
std::vector<BundleTokenKey> KeysForBundle(const HqChannelKeys& keys, std::int64_t now_s);

// The token of `channel_id`'s code ("<CHANNEL>.<KEY><MAC>") under the signing key.
// kInvalidArgument for an id that is not 1..32 of [A-Z0-9-].
Result<std::string> IssueChannelCode(const HqChannelKeys& keys, std::string_view channel_id);

}  // namespace kiosk_edge
