#pragma once

// The versioned configuration HQ sends down to every kiosk (DESIGN.md section 6): channels, the
// channel-code keys, HQ's public key for sealing personal data, the fleet's voucher trust list,
// revocations, the vouchers already redeemed, and erasure requests. A kiosk applies a
// bundle whole or not at all, and keeps the last good one.
//
// On the wire it is one JSON object (byte strings in lower-case hex):
//
//   {"version": 7,
//    "channels": [{"id": "LOBBY-1", "name": "Lobby poster", "medium": "poster",
//                  "path": "north/greenwood/lobby", "campaign": "spring", "store": "store-1",
//                  "active_from_ms": 1800000000000, "active_until_ms": null, "retired": false}],
//    "channel_keys": [{"id": "B", "secret": "<hex, 32-64 bytes>", "retired_at_s": null}],
//    "signing_key_id": "B",
//    "hq_public_key": "<hex, 32 bytes>",
//    "trusted_kiosks": {"kiosk-1": "<hex, 32 bytes>"},
//    "revoked_kiosks": ["kiosk-9"],
//    "revoked_vouchers": ["kiosk-1/0123456789abcdef"],
//    "honoured_vouchers": {"kiosk-9": {"key": "<hex, 32 bytes>",
//                                      "vouchers": {"0123456789abcdef": "<hex, 16 bytes>"}}},
//    "honoured_digest": "<hex, 32 bytes>",
//    "redeemed": {"through": 42, "through_key": "kiosk-2/fedcba9876543210", "since": 40,
//                 "vouchers": [{"key": "kiosk-2/fedcba9876543210", "expires_at_s": 1800000000}]},
//    "erased_subjects": ["<52 base32 characters>"],
//    "erased_events": ["kiosk-1/9f2c0a/17"]}
//
// Erasure (sync/protocol/erasure.hpp). erased_subjects names HQ subject ids, i.e. profile keys
// (sync/profile_store/identity.hpp: the HMAC blind index of the phone under HQ's own key). A kiosk
// cannot match those to its journal: its own blind index uses a per-kiosk key, and HQ cannot
// compute it for a phone that kiosk never saw. So erasure reaches kiosks as event identities
// instead, which carry no personal data: erased_events lists the signup events HQ holds for an
// erased subject, as "<kiosk id>/<incarnation>/<seq>" (HQ sends each kiosk only its own), and
// the kiosk scrubs their personal members in its journal (and its claims holding their blind
// index). Events HQ receives
// after the erasure are scrubbed through the batch answer's "erased" seqs (batch.hpp). HQ keeps a
// tombstone per subject so that late events do not bring the shopper back. erased_events is
// omitted when empty, and HQ sends it only to kiosks announcing the erasure feature (older kiosks
// refuse unknown members); the version covers it either way.
//
// Redemptions (DESIGN.md section 6): of fleet-scope vouchers, and of store-scope ones, which
// another kiosk of the same store must refuse too. HQ numbers each voucher's first redemption
// with a ledger position, in commit order. "through" is the highest position the list covers, and
// "through_key" the voucher at it (absent with through 0). A bundle without "since" carries every
// redeemed voucher not yet expired. A bundle with "since" carries only the vouchers first
// redeemed after that position, and the kiosk adds them to the list it holds through "since". The
// kiosk asks for that form by sending `?redeemed_through=N&redeemed_through_key=K` (its through and
// through_key) with the kSyncFeatureRedeemedDelta feature; HQ sends the whole list instead when
// its ledger does not hold voucher K at position N (a database restored from an older backup gives
// positions again, to other vouchers, which the kiosk would miss; and a voucher whose issue
// corrected the expiry its redemption reported moves to a new position, so that kiosks past the
// old one learn the correction). So a redemption
// costs each kiosk one voucher of download, not the whole list. HQ sends a list of at most
// kRedeemedPagePositions ledger positions at a time, with "more": true when its ledger goes
// further; the kiosk then pulls again at once, from the page's end, until it holds the whole list.
// So no bundle grows with the ledger, and a kiosk that holds nothing yet gets HQ's channels and
// keys with its first page whatever the ledger's length; the list it keeps is not one bundle
// (agent/redeemed_list_store.hpp). The kiosk drops
// vouchers once they expire (a redeemed voucher's expiry is all it needs: an expired voucher is
// refused anyway). Kiosks that do not announce the feature get the full list in the first wire
// form, "redeemed_vouchers": ["kiosk-2/fedcba9876543210"] (ConfigBundleWire::kRedeemedKeys), which
// the decoder also reads (an older HQ, a kiosk's saved copy from before): it means through 0 and no
// expiry known.
//
// Honoured vouchers (docs/operations.md, "Revoke a stolen kiosk"). A revoked kiosk's device key
// leaves trusted_kiosks, so kiosks refuse every voucher it signed, genuine ones too. For the
// vouchers HQ received the issue of before the time an operator named (`profile-store
// honour-vouchers`), honoured_vouchers gives the revoked kiosk's device key, those voucher ids and
// a digest of what each issue told HQ: kiosks verify such a voucher with that key, compare its
// content with the digest, and accept it (every other check still applies); they refuse the
// kiosk's other vouchers as revoked. Each kiosk it names must be in revoked_kiosks and not in
// trusted_kiosks. honoured_digest is HonouredListDigest of the list. The list rarely changes, but
// the version does at every redemption in the fleet, so a kiosk names the digest of the list it
// holds (`?honoured_digest=`, kHonouredDigestParameter) and HQ then sends the digest alone: "the
// list you hold". Both are omitted when HQ honours none, and sent only to kiosks announcing
// kSyncFeatureHonouredVouchers (older kiosks refuse unknown members); the version covers the list
// either way.
//
// Every list refuses duplicates, and the decoder refuses unknown members; errors are
// kInvalidArgument naming the member ("channels[2].medium: ...").

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "sync/protocol/honoured_vouchers.hpp"

namespace kiosk_edge {

// At most this many bytes of bundle JSON, and items per list or map.
inline constexpr std::size_t kMaxConfigBundleBytes = 32 * 1024 * 1024;
inline constexpr std::size_t kMaxBundleListItems = 250'000;
inline constexpr std::size_t kMaxBundleChannels = 10'000;
inline constexpr std::size_t kMaxBundleChannelKeys = 32;
// A bundle's redeemed vouchers (kRedeemed form) span at most this many ledger positions, so at
// most this many vouchers: 6.5 MB of JSON.
inline constexpr std::int64_t kRedeemedPagePositions = 100'000;

// A placement with its own QR code; the same rules as agent/channels.hpp's Channel.
struct BundleChannel {
  std::string id;        // [A-Z0-9-]{1,32}
  std::string name;      // 1-120 bytes, no control characters
  std::string medium;    // poster, elevator, flyer, counter_card, kiosk_screen or online
  std::string path;      // levels of [a-z0-9._-]{1,48} separated by '/', at most 256 bytes
  std::string campaign;  // 1-64 bytes, no control characters
  std::string store;     // 1-64 bytes, no control characters
  std::optional<std::int64_t> active_from_ms;   // Unix ms; unset: always
  std::optional<std::int64_t> active_until_ms;  // Unix ms, exclusive, > active_from_ms
  bool retired = false;

  friend bool operator==(const BundleChannel&, const BundleChannel&) = default;
};

// A key for channel codes (agent/channel_token.hpp's TokenKey). Key material: never log it.
struct BundleTokenKey {
  char id = 'A';                             // [A-Z2-7]
  std::string secret;                        // 32-64 raw bytes (hex on the wire)
  std::optional<std::int64_t> retired_at_s;  // Unix s; unset: not retired

  friend bool operator==(const BundleTokenKey&, const BundleTokenKey&) = default;
};

// The sync feature (kSyncFeaturesHeader, sync/protocol/erasure.hpp) of kiosks that read
// "redeemed" and send `redeemed_through`.
inline constexpr std::string_view kSyncFeatureRedeemedDelta = "redeemed-delta";
// The sync feature of kiosks that read "honoured_vouchers", and the query parameter of
// GET /v1/sync/config naming the honoured_digest of the list the kiosk holds.
inline constexpr std::string_view kSyncFeatureHonouredVouchers = "honoured-vouchers";
inline constexpr std::string_view kHonouredDigestParameter = "honoured_digest";
// The query parameters of GET /v1/sync/config naming the kiosk's RedeemedPosition.
inline constexpr std::string_view kRedeemedThroughParameter = "redeemed_through";
inline constexpr std::string_view kRedeemedThroughKeyParameter = "redeemed_through_key";
// The expiry of a voucher from the first wire form, which does not tell it: kept until a full
// list replaces it.
inline constexpr std::int64_t kUnknownRedeemedExpiry = 100'000'000'000;  // year 5138, in Unix s

// A voucher redeemed somewhere in the fleet.
struct RedeemedVoucher {
  std::string key;                // "<kiosk id>/<voucher id>"
  std::int64_t expires_at_s = 0;  // Unix s, the voucher's own expiry

  friend bool operator==(const RedeemedVoucher&, const RedeemedVoucher&) = default;
};

// Where a list of redeemed vouchers ends: ledger position `through` (0: nothing yet), the
// position of voucher `through_key` ("" with through 0).
struct RedeemedPosition {
  std::int64_t through = 0;
  std::string through_key;

  friend bool operator==(const RedeemedPosition&, const RedeemedPosition&) = default;
};

// The fleet's redeemed vouchers, whole or as what changed since a position (see above).
struct RedeemedVouchers {
  std::int64_t through = 0;               // >= 0: the ledger position the list is complete through
  std::string through_key;                // the voucher at `through`; "" when through is 0
  std::optional<std::int64_t> since;      // set (1..through): `vouchers` add to the list held at it
  std::vector<RedeemedVoucher> vouchers;  // unique keys
  // HQ's ledger goes past `through`: the list is one page, and the kiosk pulls again at once for
  // the next (kRedeemed form only).
  bool more = false;

  RedeemedPosition end() const { return {through, through_key}; }
  friend bool operator==(const RedeemedVouchers&, const RedeemedVouchers&) = default;
};

struct ConfigBundle {
  std::int64_t version = 1;  // >= 1; a kiosk applies only versions newer than the one it has
  std::vector<BundleChannel> channels;
  std::vector<BundleTokenKey> channel_keys;
  // The key that signs new channel codes: one of channel_keys, not retired. Required when
  // channel_keys is not empty, '\0' (absent on the wire) when it is.
  char signing_key_id = '\0';
  std::string hq_public_key;  // X25519, 32 raw bytes: what kiosks seal personal data for
  std::map<std::string, std::string> trusted_kiosks;  // kiosk id -> Ed25519 public key (32 bytes)
  std::vector<std::string> revoked_kiosks;            // kiosk ids
  std::vector<std::string> revoked_vouchers;          // "<kiosk id>/<voucher id>"
  // Revoked kiosk id -> its vouchers kiosks accept; at most kMaxBundleListItems ids in all.
  std::map<std::string, HonouredVouchers> honoured_vouchers;
  // HonouredListDigest(honoured_vouchers) (the decoder checks it; computing it is the encoder's
  // caller's part); with an empty list, the digest of the list the kiosk holds (see above); ""
  // when HQ honours none.
  std::string honoured_digest;
  RedeemedVouchers redeemed;                 // both scopes
  std::vector<std::string> erased_subjects;  // HQ subject ids (see above)
  std::vector<std::string> erased_events;    // "<kiosk id>/<incarnation>/<seq>"

  friend bool operator==(const ConfigBundle&, const ConfigBundle&) = default;
};

// kInvalidArgument naming the first field that breaks a rule above.
Result<void> ValidateConfigBundle(const ConfigBundle& bundle);

// How the redeemed vouchers go on the wire (see above).
enum class ConfigBundleWire {
  kRedeemed,      // "redeemed", whole or since a position
  kRedeemedKeys,  // "redeemed_vouchers": whole lists only, for kiosks without the feature
};

// The bundle's JSON (validated first; kInvalidArgument over kMaxConfigBundleBytes, or for a
// list since a position in the kRedeemedKeys form).
Result<std::string> EncodeConfigBundle(const ConfigBundle& bundle,
                                       ConfigBundleWire wire = ConfigBundleWire::kRedeemed);
// Decodes and validates bundle JSON of at most kMaxConfigBundleBytes.
Result<ConfigBundle> DecodeConfigBundle(std::string_view json);

// The HTTP entity tag of a bundle version, quoted as HTTP wants it: 7 -> "\"v7\"".
std::string ConfigBundleEtag(std::int64_t version);
// The version an entity tag names (the exact form above, weak "W/" tags too); nullopt otherwise.
std::optional<std::int64_t> ParseConfigBundleEtag(std::string_view etag);

}  // namespace kiosk_edge
