#include "sync/protocol/honoured_vouchers.hpp"

#include <algorithm>
#include <boost/json/serialize.hpp>

#include "common/crypto.hpp"
#include "common/strings.hpp"
#include "sync/protocol/config_bundle.hpp"
#include "sync/protocol/wire_grammar.hpp"

namespace kiosk_edge {
namespace {

constexpr std::string_view kKioskIdRule =
    "must be 1-64 characters of [A-Za-z0-9._-] starting with a letter or digit";
constexpr std::string_view kPublicKeyRule = "must be 64 lower-case hex digits (32 bytes)";
constexpr std::string_view kVoucherIdRule = "must be 16 lower-case hex digits (a voucher id)";
constexpr std::string_view kDigestRule = "must be 32 lower-case hex digits (16 bytes)";
constexpr std::string_view kListDigestRule = "must be 64 lower-case hex digits (32 bytes)";

Error Invalid(std::string_view name, std::string_view problem) {
  return Error(ErrorKind::kInvalidArgument, StrCat(name, ": ", problem));
}

bool Is32ByteHex(std::string_view text) { return wire::IsLowerHex(text, 64); }

}  // namespace

std::string HonouredVoucherDigest(std::string_view kiosk_id, std::string_view voucher_id,
                                  std::string_view store, std::string_view scope,
                                  std::string_view gift, std::int64_t expires_at_s) {
  const std::string expiry = std::to_string(expires_at_s);
  std::string content = "kiosk-edge honoured voucher v1";
  for (const std::string_view field :
       {kiosk_id, voucher_id, store, scope, gift, std::string_view(expiry)}) {
    content += StrCat("\n", field.size(), ":", field);
  }
  return HexEncode(Sha256(content).substr(0, 16));
}

std::string HonouredListDigest(const std::map<std::string, HonouredVouchers>& kiosks) {
  if (kiosks.empty()) return "";
  return HexEncode(Sha256(boost::json::serialize(HonouredVouchersJson(kiosks))));
}

boost::json::object HonouredVouchersJson(const std::map<std::string, HonouredVouchers>& kiosks) {
  boost::json::object json;
  for (const auto& [kiosk_id, honoured] : kiosks) {
    boost::json::object vouchers;
    for (const auto& [voucher_id, digest] : honoured.vouchers) vouchers[voucher_id] = digest;
    json[kiosk_id] = boost::json::object{{"key", HexEncode(honoured.public_key)},
                                         {"vouchers", std::move(vouchers)}};
  }
  return json;
}

Result<void> ReadHonouredVouchers(wire::StrictObject& bundle_json, ConfigBundle& bundle) {
  auto digest = bundle_json.OptionalString("honoured_digest", Is32ByteHex, kListDigestRule);
  if (!digest) return digest.error();
  bundle.honoured_digest = digest->value_or("");
  auto object = bundle_json.OptionalObject("honoured_vouchers");
  if (!object) return object.error();
  if (*object == nullptr) return {};
  if ((*object)->size() > kMaxBundleListItems) {
    return Invalid("honoured_vouchers", StrCat("has ", (*object)->size(), " members; the limit is ",
                                               kMaxBundleListItems));
  }
  // Every limit of this member and its objects, before anything is copied.
  std::size_t ids = 0;
  for (const auto& member : **object) {
    const std::string path = StrCat("honoured_vouchers.", std::string_view(member.key()));
    if (!member.value().is_object()) return Invalid(path, "must be an object");
    const boost::json::value* vouchers = member.value().as_object().if_contains("vouchers");
    ids += vouchers != nullptr && vouchers->is_object() ? vouchers->as_object().size() : 0;
    if (ids > kMaxBundleListItems) {
      return Invalid("honoured_vouchers",
                     StrCat("has more than ", kMaxBundleListItems, " vouchers in all"));
    }
  }
  for (const auto& member : **object) {
    const std::string path = StrCat("honoured_vouchers.", std::string_view(member.key()));
    wire::StrictObject json(member.value().as_object(), path);
    HonouredVouchers honoured;
    auto key = json.String("key", Is32ByteHex, kPublicKeyRule);
    if (!key) return key.error();
    honoured.public_key = *HexDecode(*key);
    auto vouchers = json.Object("vouchers");
    if (!vouchers) return vouchers.error();
    for (const auto& voucher : **vouchers) {
      if (!voucher.value().is_string()) {
        return Invalid(StrCat(path, ".vouchers.", std::string_view(voucher.key())), kDigestRule);
      }
      honoured.vouchers.emplace(voucher.key(), voucher.value().as_string());
    }
    if (auto rest = json.NoOtherMembers(); !rest) return rest.error();
    bundle.honoured_vouchers.emplace(member.key(), std::move(honoured));
  }
  return {};
}

Result<void> ValidateHonouredVouchers(const ConfigBundle& bundle) {
  std::size_t ids = 0;
  for (const auto& [kiosk_id, honoured] : bundle.honoured_vouchers) {
    if (!wire::IsKioskId(kiosk_id)) {
      return Invalid("honoured_vouchers", StrCat("member names ", kKioskIdRule));
    }
    const std::string path = StrCat("honoured_vouchers.", kiosk_id);
    if (std::find(bundle.revoked_kiosks.begin(), bundle.revoked_kiosks.end(), kiosk_id) ==
            bundle.revoked_kiosks.end() ||
        bundle.trusted_kiosks.contains(kiosk_id)) {
      return Invalid(path, "must name a kiosk in revoked_kiosks and not in trusted_kiosks");
    }
    if (honoured.public_key.size() != 32) return Invalid(StrCat(path, ".key"), "must be 32 bytes");
    if (honoured.vouchers.empty()) return Invalid(StrCat(path, ".vouchers"), "must not be empty");
    ids += honoured.vouchers.size();
    if (ids > kMaxBundleListItems) {
      return Invalid("honoured_vouchers",
                     StrCat("has more than ", kMaxBundleListItems, " vouchers in all"));
    }
    for (const auto& [voucher_id, digest] : honoured.vouchers) {
      if (!wire::IsVoucherId(voucher_id)) {
        return Invalid(StrCat(path, ".vouchers"), StrCat("member names ", kVoucherIdRule));
      }
      if (!wire::IsLowerHex(digest, 32)) {
        return Invalid(StrCat(path, ".vouchers.", voucher_id), kDigestRule);
      }
    }
  }
  if (bundle.honoured_digest.empty() ? !bundle.honoured_vouchers.empty()
                                     : !Is32ByteHex(bundle.honoured_digest)) {
    return Invalid("honoured_digest", bundle.honoured_digest.empty()
                                          ? "missing (it goes with honoured_vouchers)"
                                          : kListDigestRule);
  }
  return {};
}

Result<void> VerifyHonouredDigest(const ConfigBundle& bundle) {
  if (!bundle.honoured_vouchers.empty() &&
      bundle.honoured_digest != HonouredListDigest(bundle.honoured_vouchers)) {
    return Invalid("honoured_digest", "is not the digest of honoured_vouchers");
  }
  return {};
}

}  // namespace kiosk_edge
