#pragma once

// The config bundle kiosks pull from GET /v1/sync/config (DESIGN.md section 6): HQ's channels
// (from its config file), the channel-code keys (hq_channel_keys.hpp), HQ's sealing key, the
// trusted kiosks' voucher keys, revoked kiosks, revoked vouchers, the revoked kiosks' vouchers HQ
// still honours, the vouchers already redeemed, and the erased events the kiosk must scrub.
//
// Its version lives in the store, not in the process: the store keeps the version and a digest of
// the content it was given for, and gives a new, higher version only when the content changes
// (StoreBackend::BundleVersionFor). So every profile-store instance sharing a database answers the
// same version for the same content, a restart changes nothing, and a kiosk's If-None-Match hits
// on any instance. Instances must therefore make the same content: the same [channels] config and
// the same channel-keys.json (a shared state folder).

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "sync/profile_store/hq_channel_keys.hpp"
#include "sync/profile_store/identity.hpp"
#include "sync/profile_store/store_backend.hpp"
#include "sync/protocol/config_bundle.hpp"

namespace kiosk_edge {

// A revoked voucher (after the expiry its issue told HQ) and a redeemed one (after the expiry in
// the ledger) leave the bundle this long after they expire by HQ's clock, so that a kiosk whose
// clock is behind HQ's still refuses them meanwhile.
inline constexpr std::int64_t kExpiredVoucherGraceS = 7 * 86'400;

// The channel keys as they are now: profile-store reads channel-keys.json every time, because
// `rotate-channel-key` runs in another process. Called on the blocking pool.
using ChannelKeySource = std::function<Result<HqChannelKeys>()>;

class BundleMaker {
 public:
  // `channels` (validated, as the config holds them) go into every bundle; the redeemed vouchers
  // of kiosks that read them in pages span at most `redeemed_page_positions` ledger positions.
  BundleMaker(std::vector<BundleChannel> channels, ChannelKeySource channel_keys,
              std::int64_t redeemed_page_positions = kRedeemedPagePositions);

  // The bundle `kiosk_id` gets now, with its version from `store`: what every kiosk gets, and of
  // the erased events only its own (a fleet's erasures would outgrow kMaxBundleListItems), and the
  // honoured vouchers unless the kiosk holds the list with digest `honoured_held`. For a
  // kiosk with the redeemed-delta feature (`redeemed_held` set; through 0 when it holds none), the
  // redeemed vouchers are a page after `redeemed_held` (RedeemedVouchers::since) when HQ's ledger
  // holds its voucher at its position, else the first page (a kiosk that holds none, or one ahead
  // of a database restored from a backup). Without the feature, the whole list. The version is
  // the fleet's: it changes when any kiosk's erased events or the ledger's end do, whatever page
  // the kiosk gets. Blocks: run it off the I/O thread. Thread-safe.
  Result<ConfigBundle> Current(StoreBackend& store, const HqIdentity& identity, const Clock& clock,
                               std::string_view kiosk_id,
                               const std::optional<RedeemedPosition>& redeemed_held = std::nullopt,
                               std::string_view honoured_held = "");

 private:
  // The honoured vouchers as of one day's expiry and the revoked kiosks' cutoffs (`key`), and
  // their digest. They change only when those do (their issues all reached HQ before the
  // revocation), so the list is read again only then, not at every pull; a database restored
  // from a backup shows at the next day's list.
  struct HonouredList {
    std::string key;
    std::string digest;
    std::map<std::string, HonouredVouchers> kiosks;
  };
  // The list for `kiosks` (the registry as read for this bundle) at `now_s`; null when no kiosk
  // is honoured.
  Result<std::shared_ptr<const HonouredList>> Honoured(StoreBackend& store,
                                                       const std::vector<KioskRecord>& kiosks,
                                                       std::int64_t now_s);

  const std::vector<BundleChannel> channels_;
  const ChannelKeySource channel_keys_;
  const std::int64_t redeemed_page_positions_;
  std::mutex honoured_mutex_;
  std::shared_ptr<const HonouredList> honoured_;  // the latest list read
};

// True when a kiosk that asks If-None-Match `if_none_match` and holds the redeemed vouchers
// through `redeemed_held` (nullopt: a kiosk that reads whole lists) learns nothing from `bundle`,
// so HQ answers 304: the same version, and the list's end the kiosk holds. A kiosk that is
// still paging through the list holds the same version but not the end.
bool KioskHoldsBundle(const ConfigBundle& bundle, std::optional<std::string_view> if_none_match,
                      const std::optional<RedeemedPosition>& redeemed_held);

// A digest of a bundle's content, 64 lower-case hex digits: all of it but its version, its erased
// events, which `erased_event_count` (every kiosk's, StoreBackend::ErasedEventCount) stands for,
// its redeemed vouchers, which the ledger's end stands for (a page's end would give kiosks on
// different pages different versions; expiry alone changes nothing a kiosk must learn: it drops
// expired vouchers itself), and its honoured vouchers, which honoured_digest stands for.
Result<std::string> BundleContentDigest(const ConfigBundle& bundle, std::int64_t erased_event_count,
                                        const RedeemedPosition& ledger_end);

}  // namespace kiosk_edge
