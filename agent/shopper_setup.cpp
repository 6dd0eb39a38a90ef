#include "agent/shopper_setup.hpp"

#include "agent/kiosk_secrets.hpp"
#include "common/log.hpp"

namespace kiosk_edge {
namespace {

constexpr std::chrono::minutes kSignupWindow{10};
constexpr std::size_t kRateLimitKeys = 20'000;

// Records a channel_defined event for each of `channels` the registry does not already hold as
// it is, and applies it. Unchanged channels cost nothing at restart. Ids HQ defines are HQ's:
// the kiosk's own definitions of them are not applied.
Result<void> DefineChannels(const std::vector<Channel>& channels, Journal& journal,
                            ChannelRegistry& registry) {
  for (const Channel& channel : channels) {
    const auto known = registry.Find(channel.id);
    if (known && known->defined_by_hq) {
      LogWarning("agent", "channel ", channel.id,
                 " of the config is defined by HQ; HQ's definition applies");
      continue;
    }
    if (known && SameDefinition(channel, *known) && !known->retired) continue;
    EventDraft draft = ChannelDefinedEvent(channel);
    const std::string payload = draft.payload_json;
    auto seq = journal.Append(std::move(draft));
    if (!seq) return seq.error().WithContext("define channel " + channel.id);
    if (auto applied = registry.Apply("channel_defined", payload); !applied) return applied;
    LogInfo("agent", "defined channel ", channel.id, " (", channel.path, ")");
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<ShopperState>> ShopperState::Build(const AgentConfig& config,
                                                          const std::string& kiosk_id,
                                                          Journal& journal,
                                                          boost::asio::thread_pool& blocking_pool) {
  const std::optional<std::string> hq_key =
      config.hq_public_key_hex.empty() ? std::nullopt : std::optional(config.hq_public_key_hex);
  auto secrets = LoadOrCreateKioskSecrets(config.state_dir, hq_key);
  if (!secrets) return secrets.error().WithContext("kiosk keys");
  if (secrets->hq_key_is_demo) {
    LogWarning("agent",
               "no [hq] public_key configured: personal data is sealed for a demo HQ key "
               "kept in the state folder; fine for a demo, never for a real store");
  }

  std::unique_ptr<ShopperState> state(new ShopperState());
  // The kiosk's own key signs until HQ's keys arrive, and verifies after.
  const TokenKey own_channel_key{secrets->channel_key_id, secrets->channel_key, std::nullopt};
  auto channel_codes =
      ChannelTokenCodec::Create({own_channel_key}, own_channel_key.id, kChannelKeyOverlap);
  if (!channel_codes) return channel_codes.error().WithContext("channel codes");
  state->channel_codes_.emplace(std::move(*channel_codes));
  state->hq_public_key_.emplace(secrets->hq_public_key);
  auto presence_codes =
      PresenceCodec::Create(kiosk_id, secrets->presence_key, config.presence_step);
  if (!presence_codes) return presence_codes.error().WithContext("presence codes");
  state->presence_codes_.emplace(std::move(*presence_codes));
  auto blind_index = BlindIndexer::Create(secrets->blind_index_key);
  if (!blind_index) return blind_index.error().WithContext("blind index");
  state->blind_index_.emplace(std::move(*blind_index));
  state->csrf_.emplace(secrets->csrf_key, SystemClock());
  state->per_device_.emplace(config.signups_per_device, kSignupWindow, kRateLimitKeys,
                             SystemClock());
  state->per_address_.emplace(config.signups_per_address, kSignupWindow, kRateLimitKeys,
                              SystemClock());

  TrustList own_vouchers;
  own_vouchers.kiosk_keys.emplace(kiosk_id, secrets->device_key.public_key);
  state->trust_.emplace(std::move(own_vouchers));
  state->vouchers_ = VoucherIssuer{&journal, &SystemClock(),  config.vouchers,
                                   kiosk_id, config.store_id, secrets->device_key.private_key};

  if (auto loaded = state->channels_.Load(journal); !loaded) return loaded.error();
  // HQ's saved config first: its channels take their ids before the kiosk's own are defined.
  state->hq_config_.emplace(config.state_dir,
                            HqConfigTargets{&journal, &state->channels_, &*state->channel_codes_,
                                            &*state->hq_public_key_, &*state->trust_},
                            KioskOwnKeys{kiosk_id, secrets->device_key.public_key, own_channel_key},
                            SystemClock());
  if (auto saved = state->hq_config_->LoadSaved(); !saved) {
    LogWarning("sync", "HQ's saved config not applied: ", saved.error().message());
  }
  const bool demo = config.channels.empty() && state->channels_.All().empty();
  if (demo) LogInfo("agent", "no channels configured or defined yet: defining demo channels");
  if (auto defined = DefineChannels(demo ? DemoChannels(config.store_id) : config.channels, journal,
                                    state->channels_);
      !defined) {
    return defined.error();
  }

  ShopperServices& services = state->services_;
  services.journal = &journal;
  services.channels = &state->channels_;
  services.channel_codes = &*state->channel_codes_;
  services.presence_codes = &*state->presence_codes_;
  services.blind_index = &*state->blind_index_;
  services.csrf = &*state->csrf_;
  services.signup_limit_per_device = &*state->per_device_;
  services.signup_limit_per_address = &*state->per_address_;
  services.blocking_pool = &blocking_pool;
  services.clock = &SystemClock();
  services.hq_public_key = &*state->hq_public_key_;
  services.extra_country_codes = config.extra_country_codes;
  services.public_base_url = config.public_base_url;
  services.secure_cookies = CodesPointAtHttps(config);
  services.default_campaign = config.default_campaign;
  services.consent_text_version = config.consent_text_version;
  services.kiosk_channel_id = "KIOSK-SCREEN";
  services.store_id = config.store_id;
  services.vouchers = &state->vouchers_;
  services.trust = &*state->trust_;
  return state;
}

}  // namespace kiosk_edge
