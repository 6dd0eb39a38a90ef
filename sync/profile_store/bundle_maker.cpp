#include "sync/profile_store/bundle_maker.hpp"

#include "common/crypto.hpp"
#include "common/strings.hpp"

namespace kiosk_edge {
namespace {

// Only separates this digest from other uses of HMAC-SHA256; the digest is not a secret.
constexpr std::string_view kDigestKey = "kiosk-edge config bundle content v1";

}  // namespace

Result<std::string> BundleContentDigest(const ConfigBundle& bundle, std::int64_t erased_event_count,
                                        const RedeemedPosition& ledger_end) {
  ConfigBundle content = bundle;
  content.version = 1;  // the same for every bundle: the digest covers the rest
  content.erased_events.clear();
  content.honoured_vouchers.clear();  // honoured_digest stands for them
  content.redeemed = RedeemedVouchers{ledger_end.through, ledger_end.through_key, std::nullopt, {}};
  auto text = EncodeConfigBundle(content);
  if (!text) return text.error();
  *text += StrCat("\nerased events: ", erased_event_count);
  std::string digest = HexEncode(HmacSha256(kDigestKey, *text));
  SecureWipe(*text);  // holds the channel keys
  return digest;
}

bool KioskHoldsBundle(const ConfigBundle& bundle, std::optional<std::string_view> if_none_match,
                      const std::optional<RedeemedPosition>& redeemed_held) {
  if (if_none_match != ConfigBundleEtag(bundle.version)) return false;
  return !redeemed_held || *redeemed_held == bundle.redeemed.end();
}

BundleMaker::BundleMaker(std::vector<BundleChannel> channels, ChannelKeySource channel_keys,
                         std::int64_t redeemed_page_positions)
    : channels_(std::move(channels)),
      channel_keys_(std::move(channel_keys)),
      redeemed_page_positions_(redeemed_page_positions) {}

Result<std::shared_ptr<const BundleMaker::HonouredList>> BundleMaker::Honoured(
    StoreBackend& store, const std::vector<KioskRecord>& kiosks, std::int64_t now_s) {
  // Expiry by whole days, so that every instance lists the same vouchers all day.
  const std::int64_t expired_by_s = (now_s - kExpiredVoucherGraceS) / 86'400 * 86'400;
  std::string key = StrCat("expired by ", expired_by_s);
  bool any = false;
  for (const KioskRecord& kiosk : kiosks) {
    if (kiosk.revoked && kiosk.honour_received_before_ms && !kiosk.device_public_key.empty()) {
      key += StrCat("\n", kiosk.kiosk_id, " ", *kiosk.honour_received_before_ms);
      any = true;
    }
  }
  if (!any) return std::shared_ptr<const HonouredList>();
  {
    std::lock_guard lock(honoured_mutex_);
    if (honoured_ && honoured_->key == key) return honoured_;
  }
  auto listed = store.HonouredVouchersOfRevokedKiosks(expired_by_s, kMaxBundleListItems);
  if (!listed) return listed.error().WithContext("honoured vouchers");
  auto list = std::make_shared<HonouredList>();
  list->key = std::move(key);
  list->digest = HonouredListDigest(*listed);
  list->kiosks = std::move(*listed);
  std::lock_guard lock(honoured_mutex_);
  honoured_ = list;
  return std::shared_ptr<const HonouredList>(std::move(list));
}

Result<ConfigBundle> BundleMaker::Current(StoreBackend& store, const HqIdentity& identity,
                                          const Clock& clock, std::string_view kiosk_id,
                                          const std::optional<RedeemedPosition>& redeemed_held,
                                          std::string_view honoured_held) {
  const std::int64_t now_s =
      std::chrono::duration_cast<std::chrono::seconds>(clock.WallNow().time_since_epoch()).count();
  auto kiosks = store.Kiosks();
  if (!kiosks) return kiosks.error();
  std::int64_t since = 0;  // 0: the whole list
  if (redeemed_held && redeemed_held->through > 0) {
    auto held_there = store.RedeemedVoucherAt(redeemed_held->through);
    if (!held_there) return held_there.error();
    if (*held_there == redeemed_held->through_key) since = redeemed_held->through;
  }
  const std::int64_t expired_by_s = now_s - kExpiredVoucherGraceS;
  // Kiosks without the redeemed-delta feature read whole lists only.
  auto redeemed = store.RedeemedVouchersAfter(
      since, expired_by_s, redeemed_held ? redeemed_page_positions_ : kWholeLedger);
  if (!redeemed) return redeemed.error();
  if (since > 0) redeemed->vouchers.since = since;
  auto revoked_vouchers = store.RevokedVouchers(expired_by_s);
  if (!revoked_vouchers) return revoked_vouchers.error();
  auto honoured = Honoured(store, *kiosks, now_s);
  if (!honoured) return honoured.error();
  auto erased_events = store.ErasedEventsOf(kiosk_id);
  if (!erased_events) return erased_events.error();
  auto erased_event_count = store.ErasedEventCount();
  if (!erased_event_count) return erased_event_count.error();
  auto keys = channel_keys_();
  if (!keys) return keys.error().WithContext("channel keys");

  ConfigBundle bundle;
  bundle.channels = channels_;
  bundle.channel_keys = KeysForBundle(*keys, now_s);
  bundle.signing_key_id = keys->signing_key_id;
  bundle.hq_public_key = identity.public_key();
  for (const KioskRecord& kiosk : *kiosks) {
    if (kiosk.revoked) {
      bundle.revoked_kiosks.push_back(kiosk.kiosk_id);
    } else if (!kiosk.device_public_key.empty()) {
      bundle.trusted_kiosks.emplace(kiosk.kiosk_id, kiosk.device_public_key);
    }
  }
  bundle.redeemed = std::move(redeemed->vouchers);
  bundle.revoked_vouchers = std::move(*revoked_vouchers);
  if (*honoured) {
    bundle.honoured_digest = (*honoured)->digest;
    // A kiosk holding this list gets the digest alone (config_bundle.hpp).
    if (honoured_held != bundle.honoured_digest) bundle.honoured_vouchers = (*honoured)->kiosks;
  }
  // erased_subjects stays empty: kiosks cannot match HQ's subject ids (config_bundle.hpp), so
  // HQ does not spread them; erased_events carries erasure to the kiosks.
  bundle.erased_events = std::move(*erased_events);

  auto digest = BundleContentDigest(bundle, *erased_event_count, redeemed->ledger_end);
  if (!digest) return digest.error().WithContext("config bundle");
  auto version = store.BundleVersionFor(*digest);
  if (!version) return version.error().WithContext("config bundle version");
  bundle.version = *version;
  return bundle;
}

}  // namespace kiosk_edge
