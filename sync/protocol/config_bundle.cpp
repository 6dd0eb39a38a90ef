#include "sync/protocol/config_bundle.hpp"

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <limits>
#include <set>

#include "common/crypto.hpp"
#include "common/strings.hpp"
#include "sync/protocol/erasure.hpp"
#include "sync/protocol/strict_json.hpp"
#include "sync/protocol/wire_grammar.hpp"

namespace kiosk_edge {
namespace {

using wire::StrictObject;

constexpr std::int64_t kMaxInt64 = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMaxWallMs = 100'000'000'000'000;
constexpr std::int64_t kMaxWallS = kMaxWallMs / 1000;
constexpr std::string_view kMedia[] = {"poster",       "elevator",     "flyer",
                                       "counter_card", "kiosk_screen", "online"};

constexpr std::string_view kChannelIdRule = "must be 1-32 characters of [A-Z0-9-]";
constexpr std::string_view kMediumRule =
    "must be one of poster, elevator, flyer, counter_card, kiosk_screen, online";
constexpr std::string_view kPathRule =
    "must be levels of 1-48 characters of [a-z0-9._-] separated by '/', at most 256 bytes";
constexpr std::string_view kKeyIdRule = "must be one character of [A-Z2-7]";
constexpr std::string_view kSecretRule = "must be 64-128 lower-case hex digits (32-64 bytes)";
constexpr std::string_view kPublicKeyRule = "must be 64 lower-case hex digits (32 bytes)";
constexpr std::string_view kKioskIdRule =
    "must be 1-64 characters of [A-Za-z0-9._-] starting with a letter or digit";
constexpr std::string_view kVoucherKeyRule =
    "must be \"<kiosk id>/<voucher id: 16 lower-case hex digits>\"";
constexpr std::string_view kSubjectRule = "must be 52 characters of [A-Z2-7] (an HQ subject id)";
constexpr std::string_view kErasedEventRule =
    "must be \"<kiosk id>/<incarnation>/<seq>\" (an event identity)";

bool IsErasedEventKey(std::string_view text) { return ParseErasedEventKey(text).has_value(); }

Error Invalid(std::string_view name, std::string_view problem) {
  return Error(ErrorKind::kInvalidArgument, StrCat(name, ": ", problem));
}

bool IsMedium(std::string_view text) {
  return std::find(std::begin(kMedia), std::end(kMedia), text) != std::end(kMedia);
}

bool IsPath(std::string_view path) {
  if (path.empty() || path.size() > 256) return false;
  std::size_t level = 0;
  for (char c : path) {
    if (c == '/') {
      if (level == 0) return false;
      level = 0;
    } else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                 c == '-') ||
               ++level > 48) {
      return false;
    }
  }
  return level > 0;
}

bool IsKeyId(char c) { return (c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7'); }

bool IsKeyIdText(std::string_view text) { return text.size() == 1 && IsKeyId(text[0]); }

bool IsSecretHex(std::string_view text) {
  return text.size() % 2 == 0 && text.size() >= 64 && text.size() <= 128 &&
         wire::IsLowerHex(text, text.size());
}

bool IsPublicKeyHex(std::string_view text) { return wire::IsLowerHex(text, 64); }

bool IsFreeText(std::string_view text, std::size_t max) {
  return !text.empty() && text.size() <= max && wire::HasNoControlCharacters(text);
}

Result<void> ValidateChannel(const BundleChannel& channel, const std::string& path) {
  const auto name = [&path](std::string_view key) { return StrCat(path, ".", key); };
  if (!wire::IsDefinedChannelId(channel.id)) return Invalid(name("id"), kChannelIdRule);
  if (!IsFreeText(channel.name, 120)) {
    return Invalid(name("name"), "must be 1-120 bytes without control characters");
  }
  if (!IsMedium(channel.medium)) return Invalid(name("medium"), kMediumRule);
  if (!IsPath(channel.path)) return Invalid(name("path"), kPathRule);
  if (!IsFreeText(channel.campaign, 64)) {
    return Invalid(name("campaign"), "must be 1-64 bytes without control characters");
  }
  if (!IsFreeText(channel.store, 64)) {
    return Invalid(name("store"), "must be 1-64 bytes without control characters");
  }
  for (const auto& [key, value] : {std::pair{"active_from_ms", channel.active_from_ms},
                                   std::pair{"active_until_ms", channel.active_until_ms}}) {
    if (value && (*value < 0 || *value > kMaxWallMs)) {
      return Invalid(name(key), StrCat("must be between 0 and ", kMaxWallMs));
    }
  }
  if (channel.active_from_ms && channel.active_until_ms &&
      *channel.active_until_ms <= *channel.active_from_ms) {
    return Invalid(name("active_until_ms"), "must be after active_from_ms");
  }
  return {};
}

// Refuses an item that breaks `accept` or repeats an earlier one.
Result<void> ValidateList(const std::vector<std::string>& items, std::string_view list,
                          bool (*accept)(std::string_view), std::string_view rule) {
  if (items.size() > kMaxBundleListItems) {
    return Invalid(list,
                   StrCat("has ", items.size(), " items; the limit is ", kMaxBundleListItems));
  }
  std::set<std::string_view> seen;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (!accept(items[i])) return Invalid(wire::ItemPath(list, i), rule);
    if (!seen.insert(items[i]).second) {
      return Invalid(wire::ItemPath(list, i), "repeats an earlier item");
    }
  }
  return {};
}

Result<void> ValidateRedeemed(const RedeemedVouchers& redeemed) {
  if (redeemed.through < 0) return Invalid("redeemed.through", "must be at least 0");
  if (redeemed.through == 0 ? !redeemed.through_key.empty()
                            : !wire::IsVoucherKey(redeemed.through_key)) {
    return Invalid("redeemed.through_key",
                   redeemed.through == 0 ? "must be absent with through 0" : kVoucherKeyRule);
  }
  if (redeemed.since && (*redeemed.since < 1 || *redeemed.since > redeemed.through)) {
    return Invalid("redeemed.since", "must be between 1 and redeemed.through");
  }
  if (redeemed.more && redeemed.through == 0) {
    return Invalid("redeemed.more", "a page ends at a ledger position: through must be at least 1");
  }
  const std::vector<RedeemedVoucher>& vouchers = redeemed.vouchers;
  if (vouchers.size() > kMaxBundleListItems) {
    return Invalid("redeemed.vouchers",
                   StrCat("has ", vouchers.size(), " items; the limit is ", kMaxBundleListItems));
  }
  std::set<std::string_view> seen;
  for (std::size_t i = 0; i < vouchers.size(); ++i) {
    const std::string path = wire::ItemPath("redeemed.vouchers", i);
    if (!wire::IsVoucherKey(vouchers[i].key)) return Invalid(StrCat(path, ".key"), kVoucherKeyRule);
    if (!seen.insert(vouchers[i].key).second) {
      return Invalid(StrCat(path, ".key"), "repeats an earlier voucher");
    }
    if (vouchers[i].expires_at_s < 0 || vouchers[i].expires_at_s > kUnknownRedeemedExpiry) {
      return Invalid(StrCat(path, ".expires_at_s"),
                     StrCat("must be between 0 and ", kUnknownRedeemedExpiry));
    }
  }
  return {};
}

boost::json::value OptionalInt(const std::optional<std::int64_t>& value) {
  return value ? boost::json::value(*value) : boost::json::value(nullptr);
}

boost::json::array StringArray(const std::vector<std::string>& items) {
  boost::json::array array;
  array.reserve(items.size());
  for (const std::string& item : items) array.emplace_back(item);
  return array;
}

// ---- Decoding ----

Result<BundleChannel> ReadChannel(const boost::json::value& value, const std::string& path) {
  if (!value.is_object()) return Invalid(path, "must be an object");
  StrictObject json(value.as_object(), path);
  BundleChannel channel;
  auto id = json.String("id", wire::IsDefinedChannelId, kChannelIdRule);
  if (!id) return id.error();
  channel.id = std::move(*id);
  auto name = json.Text("name", 1, 120);
  if (!name) return name.error();
  channel.name = std::move(*name);
  auto medium = json.String("medium", IsMedium, kMediumRule);
  if (!medium) return medium.error();
  channel.medium = std::move(*medium);
  auto channel_path = json.String("path", IsPath, kPathRule);
  if (!channel_path) return channel_path.error();
  channel.path = std::move(*channel_path);
  auto campaign = json.Text("campaign", 1, 64);
  if (!campaign) return campaign.error();
  channel.campaign = std::move(*campaign);
  auto store = json.Text("store", 1, 64);
  if (!store) return store.error();
  channel.store = std::move(*store);
  auto from = json.OptionalInt("active_from_ms", 0, kMaxWallMs);
  if (!from) return from.error();
  channel.active_from_ms = *from;
  auto until = json.OptionalInt("active_until_ms", 0, kMaxWallMs);
  if (!until) return until.error();
  channel.active_until_ms = *until;
  auto retired = json.Bool("retired");
  if (!retired) return retired.error();
  channel.retired = *retired;
  if (auto rest = json.NoOtherMembers(); !rest) return rest.error();
  return channel;
}

Result<BundleTokenKey> ReadTokenKey(const boost::json::value& value, const std::string& path) {
  if (!value.is_object()) return Invalid(path, "must be an object");
  StrictObject json(value.as_object(), path);
  BundleTokenKey key;
  auto id = json.String("id", IsKeyIdText, kKeyIdRule);
  if (!id) return id.error();
  key.id = (*id)[0];
  auto secret = json.String("secret", IsSecretHex, kSecretRule);
  if (!secret) return secret.error();
  auto bytes = HexDecode(*secret);
  if (!bytes) return json.Invalid("secret", kSecretRule);
  key.secret = std::move(*bytes);
  SecureWipe(*secret);
  auto retired = json.OptionalInt("retired_at_s", 0, kMaxWallS);
  if (!retired) return retired.error();
  key.retired_at_s = *retired;
  if (auto rest = json.NoOtherMembers(); !rest) return rest.error();
  return key;
}

Result<std::vector<std::string>> ReadStrings(StrictObject& json, std::string_view list) {
  auto array = json.Array(list, kMaxBundleListItems);
  if (!array) return array.error();
  std::vector<std::string> items;
  items.reserve((*array)->size());
  for (std::size_t i = 0; i < (*array)->size(); ++i) {
    const boost::json::value& item = (**array)[i];
    if (!item.is_string()) return Invalid(wire::ItemPath(list, i), "must be a string");
    items.emplace_back(item.as_string());
  }
  return items;
}

Result<RedeemedVoucher> ReadRedeemedVoucher(const boost::json::value& value,
                                            const std::string& path) {
  if (!value.is_object()) return Invalid(path, "must be an object");
  StrictObject json(value.as_object(), path);
  RedeemedVoucher voucher;
  auto key = json.String("key", wire::IsVoucherKey, kVoucherKeyRule);
  if (!key) return key.error();
  voucher.key = std::move(*key);
  auto expires = json.Int("expires_at_s", 0, kUnknownRedeemedExpiry);
  if (!expires) return expires.error();
  voucher.expires_at_s = *expires;
  if (auto rest = json.NoOtherMembers(); !rest) return rest.error();
  return voucher;
}

// "redeemed", or the first wire form "redeemed_vouchers": exactly one of them.
Result<RedeemedVouchers> ReadRedeemed(StrictObject& bundle_json) {
  RedeemedVouchers redeemed;
  auto object = bundle_json.OptionalObject("redeemed");
  if (!object) return object.error();
  if (*object == nullptr) {
    auto keys = ReadStrings(bundle_json, "redeemed_vouchers");
    if (!keys) return keys.error();  // neither: "redeemed_vouchers: missing"
    for (std::string& key : *keys) {
      redeemed.vouchers.push_back(RedeemedVoucher{std::move(key), kUnknownRedeemedExpiry});
    }
    return redeemed;
  }
  StrictObject json(**object, "redeemed");
  auto through = json.Int("through", 0, kMaxInt64);
  if (!through) return through.error();
  redeemed.through = *through;
  auto through_key = json.OptionalString("through_key", wire::IsVoucherKey, kVoucherKeyRule);
  if (!through_key) return through_key.error();
  redeemed.through_key = through_key->value_or("");
  auto since = json.OptionalInt("since", 1, kMaxInt64);
  if (!since) return since.error();
  redeemed.since = *since;
  auto vouchers = json.Array("vouchers", kMaxBundleListItems);
  if (!vouchers) return vouchers.error();
  redeemed.vouchers.reserve((*vouchers)->size());
  for (std::size_t i = 0; i < (*vouchers)->size(); ++i) {
    auto voucher = ReadRedeemedVoucher((**vouchers)[i], wire::ItemPath("redeemed.vouchers", i));
    if (!voucher) return voucher.error();
    redeemed.vouchers.push_back(std::move(*voucher));
  }
  auto more = json.OptionalBool("more", false);
  if (!more) return more.error();
  redeemed.more = *more;
  if (auto rest = json.NoOtherMembers(); !rest) return rest.error();
  return redeemed;  // "redeemed_vouchers" as well is refused as an unknown member
}

boost::json::value RedeemedJson(const RedeemedVouchers& redeemed) {
  boost::json::array vouchers;
  vouchers.reserve(redeemed.vouchers.size());
  for (const RedeemedVoucher& voucher : redeemed.vouchers) {
    vouchers.emplace_back(
        boost::json::object{{"key", voucher.key}, {"expires_at_s", voucher.expires_at_s}});
  }
  boost::json::object json{{"through", redeemed.through}};
  if (redeemed.through > 0) json["through_key"] = redeemed.through_key;
  if (redeemed.since) json["since"] = *redeemed.since;
  json["vouchers"] = std::move(vouchers);
  if (redeemed.more) json["more"] = true;
  return json;
}

}  // namespace

Result<void> ValidateConfigBundle(const ConfigBundle& bundle) {
  if (bundle.version < 1) return Invalid("version", "must be at least 1");
  if (bundle.channels.size() > kMaxBundleChannels) {
    return Invalid("channels", StrCat("has ", bundle.channels.size(), " items; the limit is ",
                                      kMaxBundleChannels));
  }
  std::set<std::string_view> channel_ids;
  for (std::size_t i = 0; i < bundle.channels.size(); ++i) {
    const std::string path = wire::ItemPath("channels", i);
    if (auto valid = ValidateChannel(bundle.channels[i], path); !valid) return valid.error();
    if (!channel_ids.insert(bundle.channels[i].id).second) {
      return Invalid(StrCat(path, ".id"), "repeats an earlier channel's id");
    }
  }
  if (bundle.channel_keys.size() > kMaxBundleChannelKeys) {
    return Invalid("channel_keys", StrCat("has ", bundle.channel_keys.size(),
                                          " items; the limit is ", kMaxBundleChannelKeys));
  }
  std::set<char> key_ids;
  for (std::size_t i = 0; i < bundle.channel_keys.size(); ++i) {
    const BundleTokenKey& key = bundle.channel_keys[i];
    const std::string path = wire::ItemPath("channel_keys", i);
    if (!IsKeyId(key.id)) return Invalid(StrCat(path, ".id"), kKeyIdRule);
    if (!key_ids.insert(key.id).second) {
      return Invalid(StrCat(path, ".id"), "repeats an earlier key's id");
    }
    if (key.secret.size() < 32 || key.secret.size() > 64) {
      return Invalid(StrCat(path, ".secret"), "must be 32-64 bytes");
    }
    if (key.retired_at_s && (*key.retired_at_s < 0 || *key.retired_at_s > kMaxWallS)) {
      return Invalid(StrCat(path, ".retired_at_s"), StrCat("must be between 0 and ", kMaxWallS));
    }
  }
  if (bundle.channel_keys.empty() != (bundle.signing_key_id == '\0')) {
    return Invalid("signing_key_id", bundle.channel_keys.empty()
                                         ? "must be absent when there are no channel keys"
                                         : "missing (which of channel_keys signs new codes)");
  }
  if (!bundle.channel_keys.empty()) {
    const auto signing = std::find_if(
        bundle.channel_keys.begin(), bundle.channel_keys.end(),
        [&bundle](const BundleTokenKey& key) { return key.id == bundle.signing_key_id; });
    if (signing == bundle.channel_keys.end()) {
      return Invalid("signing_key_id", "must name one of channel_keys");
    }
    if (signing->retired_at_s) return Invalid("signing_key_id", "must not name a retired key");
  }
  if (bundle.hq_public_key.size() != 32) return Invalid("hq_public_key", "must be 32 bytes");
  if (bundle.trusted_kiosks.size() > kMaxBundleListItems) {
    return Invalid("trusted_kiosks", StrCat("has ", bundle.trusted_kiosks.size(),
                                            " members; the limit is ", kMaxBundleListItems));
  }
  for (const auto& [kiosk_id, public_key] : bundle.trusted_kiosks) {
    if (!wire::IsKioskId(kiosk_id)) {
      return Invalid("trusted_kiosks", StrCat("member names ", kKioskIdRule));
    }
    if (public_key.size() != 32) {
      return Invalid(StrCat("trusted_kiosks.", kiosk_id), "must be 32 bytes");
    }
  }
  if (auto valid =
          ValidateList(bundle.revoked_kiosks, "revoked_kiosks", wire::IsKioskId, kKioskIdRule);
      !valid) {
    return valid.error();
  }
  if (auto valid = ValidateList(bundle.revoked_vouchers, "revoked_vouchers", wire::IsVoucherKey,
                                kVoucherKeyRule);
      !valid) {
    return valid.error();
  }
  if (auto valid = ValidateHonouredVouchers(bundle); !valid) return valid.error();
  if (auto valid = ValidateRedeemed(bundle.redeemed); !valid) return valid.error();
  if (auto valid =
          ValidateList(bundle.erased_subjects, "erased_subjects", wire::IsSubjectId, kSubjectRule);
      !valid) {
    return valid.error();
  }
  return ValidateList(bundle.erased_events, "erased_events", IsErasedEventKey, kErasedEventRule);
}

Result<std::string> EncodeConfigBundle(const ConfigBundle& bundle, ConfigBundleWire wire) {
  if (auto valid = ValidateConfigBundle(bundle); !valid) return valid.error();
  if (wire == ConfigBundleWire::kRedeemedKeys && bundle.redeemed.since) {
    return Invalid("redeemed.since", "cannot be sent as redeemed_vouchers (whole lists only)");
  }
  if (wire == ConfigBundleWire::kRedeemedKeys && bundle.redeemed.more) {
    return Invalid("redeemed.more", "cannot be sent as redeemed_vouchers (whole lists only)");
  }
  boost::json::array channels;
  for (const BundleChannel& channel : bundle.channels) {
    channels.emplace_back(
        boost::json::object{{"id", channel.id},
                            {"name", channel.name},
                            {"medium", channel.medium},
                            {"path", channel.path},
                            {"campaign", channel.campaign},
                            {"store", channel.store},
                            {"active_from_ms", OptionalInt(channel.active_from_ms)},
                            {"active_until_ms", OptionalInt(channel.active_until_ms)},
                            {"retired", channel.retired}});
  }
  boost::json::array keys;
  for (const BundleTokenKey& key : bundle.channel_keys) {
    keys.emplace_back(boost::json::object{{"id", std::string(1, key.id)},
                                          {"secret", HexEncode(key.secret)},
                                          {"retired_at_s", OptionalInt(key.retired_at_s)}});
  }
  boost::json::object trusted;
  for (const auto& [kiosk_id, public_key] : bundle.trusted_kiosks) {
    trusted[kiosk_id] = HexEncode(public_key);
  }
  boost::json::object json{{"version", bundle.version},
                           {"channels", std::move(channels)},
                           {"channel_keys", std::move(keys)},
                           {"hq_public_key", HexEncode(bundle.hq_public_key)},
                           {"trusted_kiosks", std::move(trusted)},
                           {"revoked_kiosks", StringArray(bundle.revoked_kiosks)},
                           {"revoked_vouchers", StringArray(bundle.revoked_vouchers)},
                           {"erased_subjects", StringArray(bundle.erased_subjects)}};
  if (wire == ConfigBundleWire::kRedeemed) {
    json["redeemed"] = RedeemedJson(bundle.redeemed);
  } else {
    boost::json::array redeemed_keys;
    for (const RedeemedVoucher& voucher : bundle.redeemed.vouchers) {
      redeemed_keys.emplace_back(voucher.key);
    }
    json["redeemed_vouchers"] = std::move(redeemed_keys);
  }
  if (bundle.signing_key_id != '\0') json["signing_key_id"] = std::string(1, bundle.signing_key_id);
  if (!bundle.honoured_vouchers.empty()) {
    json["honoured_vouchers"] = HonouredVouchersJson(bundle.honoured_vouchers);
  }
  if (!bundle.honoured_digest.empty()) json["honoured_digest"] = bundle.honoured_digest;
  if (!bundle.erased_events.empty()) json["erased_events"] = StringArray(bundle.erased_events);
  std::string text = boost::json::serialize(json);
  if (text.size() > kMaxConfigBundleBytes) {
    return Invalid("bundle", StrCat("is ", text.size(), " bytes of JSON; the limit is ",
                                    kMaxConfigBundleBytes));
  }
  return text;
}

Result<ConfigBundle> DecodeConfigBundle(std::string_view text) {
  if (text.size() > kMaxConfigBundleBytes) {
    return Invalid("bundle", StrCat("is ", text.size(), " bytes of JSON; the limit is ",
                                    kMaxConfigBundleBytes));
  }
  auto document = wire::ParseJsonObject(text, "bundle");
  if (!document) return document.error();
  StrictObject json(document->as_object(), "");
  ConfigBundle bundle;
  auto version = json.Int("version", 1, kMaxInt64);
  if (!version) return version.error();
  bundle.version = *version;

  auto channels = json.Array("channels", kMaxBundleChannels);
  if (!channels) return channels.error();
  for (std::size_t i = 0; i < (*channels)->size(); ++i) {
    auto channel = ReadChannel((**channels)[i], wire::ItemPath("channels", i));
    if (!channel) return channel.error();
    bundle.channels.push_back(std::move(*channel));
  }
  auto keys = json.Array("channel_keys", kMaxBundleChannelKeys);
  if (!keys) return keys.error();
  for (std::size_t i = 0; i < (*keys)->size(); ++i) {
    auto key = ReadTokenKey((**keys)[i], wire::ItemPath("channel_keys", i));
    if (!key) return key.error();
    bundle.channel_keys.push_back(std::move(*key));
  }
  auto signing = json.OptionalString("signing_key_id", IsKeyIdText, kKeyIdRule);
  if (!signing) return signing.error();
  if (*signing) bundle.signing_key_id = (**signing)[0];

  auto hq_key = json.String("hq_public_key", IsPublicKeyHex, kPublicKeyRule);
  if (!hq_key) return hq_key.error();
  bundle.hq_public_key = *HexDecode(*hq_key);

  auto trusted = json.Object("trusted_kiosks");
  if (!trusted) return trusted.error();
  if ((*trusted)->size() > kMaxBundleListItems) {
    return Invalid("trusted_kiosks", StrCat("has ", (*trusted)->size(), " members; the limit is ",
                                            kMaxBundleListItems));
  }
  for (const auto& member : **trusted) {
    if (!wire::IsKioskId(member.key())) {
      return Invalid("trusted_kiosks", StrCat("member names ", kKioskIdRule));
    }
    const std::string name = StrCat("trusted_kiosks.", std::string_view(member.key()));
    if (!member.value().is_string() || !IsPublicKeyHex(member.value().as_string())) {
      return Invalid(name, kPublicKeyRule);
    }
    bundle.trusted_kiosks[member.key()] = *HexDecode(member.value().as_string());
  }
  for (auto [list, name] : {std::pair{&bundle.revoked_kiosks, "revoked_kiosks"},
                            std::pair{&bundle.revoked_vouchers, "revoked_vouchers"},
                            std::pair{&bundle.erased_subjects, "erased_subjects"}}) {
    auto items = ReadStrings(json, name);
    if (!items) return items.error();
    *list = std::move(*items);
  }
  if (auto honoured = ReadHonouredVouchers(json, bundle); !honoured) return honoured.error();
  auto redeemed = ReadRedeemed(json);
  if (!redeemed) return redeemed.error();
  bundle.redeemed = std::move(*redeemed);
  auto erased_events = json.OptionalArray("erased_events", kMaxBundleListItems);
  if (!erased_events) return erased_events.error();
  for (std::size_t i = 0; *erased_events != nullptr && i < (*erased_events)->size(); ++i) {
    const boost::json::value& item = (**erased_events)[i];
    if (!item.is_string()) return Invalid(wire::ItemPath("erased_events", i), "must be a string");
    bundle.erased_events.emplace_back(item.as_string());
  }
  if (auto rest = json.NoOtherMembers(); !rest) return rest.error();
  if (auto valid = ValidateConfigBundle(bundle); !valid) return valid.error();
  if (auto verified = VerifyHonouredDigest(bundle); !verified) return verified.error();
  return bundle;
}

std::string ConfigBundleEtag(std::int64_t version) { return StrCat("\"v", version, "\""); }

std::optional<std::int64_t> ParseConfigBundleEtag(std::string_view etag) {
  if (etag.starts_with("W/")) etag.remove_prefix(2);
  if (etag.size() < 4 || !etag.starts_with("\"v") || !etag.ends_with('"')) return std::nullopt;
  const std::string_view digits = etag.substr(2, etag.size() - 3);
  if (digits.empty() || digits.front() == '0' ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  std::int64_t version = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), version);
  if (error != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return version;
}

}  // namespace kiosk_edge
