#pragma once

#include <boost/asio/thread_pool.hpp>
#include <memory>
#include <optional>

#include "agent/agent_config.hpp"
#include "agent/hq_config_keeper.hpp"
#include "agent/shopper_routes.hpp"

namespace kiosk_edge {

// Owns what the shopper's routes use (keys, codecs, channels, guards) and the ShopperServices
// that point at it. Built once at start; lives as long as the HTTP server.
class ShopperState {
 public:
  // Loads or creates the kiosk's keys, loads the channels from the journal, applies HQ's saved
  // config bundle (if any), then defines the configured channels or, on a kiosk that has none
  // yet, the demo channels.
  static Result<std::unique_ptr<ShopperState>> Build(const AgentConfig& config,
                                                     const std::string& kiosk_id, Journal& journal,
                                                     boost::asio::thread_pool& blocking_pool);

  // Codes point at `base_url` (known only once the server has bound its port).
  void SetPublicBaseUrl(std::string base_url) { services_.public_base_url = std::move(base_url); }
  const ShopperServices& services() const { return services_; }
  // The vouchers this kiosk accepts; the counter shares it.
  TrustStore& trust() { return *trust_; }
  // Applies HQ's config bundles to the channels, keys and trust list above.
  HqConfigKeeper& hq_config() { return *hq_config_; }
  // New personal data is sealed for `hq_public_key` (X25519, 32 bytes) from now on: the key of
  // the HQ the kiosk enrolled with while running, until that HQ's bundle names one.
  void SealFor(const std::string& hq_public_key) {
    if (*hq_public_key_->Current() != hq_public_key) hq_public_key_->Replace(hq_public_key);
  }

 private:
  ShopperState() = default;

  std::optional<ChannelCodecHolder> channel_codes_;
  std::optional<SharedSnapshot<std::string>> hq_public_key_;
  std::optional<PresenceCodec> presence_codes_;
  std::optional<BlindIndexer> blind_index_;
  std::optional<CsrfGuard> csrf_;
  std::optional<RateLimiter> per_device_;
  std::optional<RateLimiter> per_address_;
  std::optional<TrustStore> trust_;
  VoucherIssuer vouchers_{};
  ChannelRegistry channels_;
  std::optional<HqConfigKeeper> hq_config_;
  ShopperServices services_{};
};

}  // namespace kiosk_edge
