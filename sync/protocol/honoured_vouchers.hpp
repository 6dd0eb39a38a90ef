#pragma once

// The vouchers of revoked kiosks that HQ still honours: the config bundle's honoured_vouchers and
// honoured_digest (config_bundle.hpp, "Honoured vouchers"; docs/operations.md, "Revoke a stolen
// kiosk"). The bundle's codec calls the functions below for those members.

#include <boost/json/object.hpp>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "sync/protocol/strict_json.hpp"

namespace kiosk_edge {

struct ConfigBundle;

// The vouchers of one revoked kiosk that kiosks still accept.
struct HonouredVouchers {
  std::string public_key;  // the revoked kiosk's Ed25519 device key, 32 raw bytes
  // Voucher id (16 lower-case hex digits) -> HonouredVoucherDigest of what its issue told HQ; at
  // least one.
  std::map<std::string, std::string> vouchers;

  friend bool operator==(const HonouredVouchers&, const HonouredVouchers&) = default;
};

// What HQ knows of an honoured voucher from its issue, for the kiosk to compare with the token's
// own: the stolen key could sign a token with an honoured id and another gift, scope, store or
// expiry. 16 bytes of SHA-256 over the fields (each length-prefixed), as 32 lower-case hex digits.
// `scope` is "store" or "fleet"; `expires_at_s` Unix seconds.
std::string HonouredVoucherDigest(std::string_view kiosk_id, std::string_view voucher_id,
                                  std::string_view store, std::string_view scope,
                                  std::string_view gift, std::int64_t expires_at_s);

// SHA-256 of the honoured_vouchers member's JSON, as 64 lower-case hex digits; "" for an empty
// list.
std::string HonouredListDigest(const std::map<std::string, HonouredVouchers>& kiosks);

// The honoured_vouchers member.
boost::json::object HonouredVouchersJson(const std::map<std::string, HonouredVouchers>& kiosks);

// Reads the bundle's honoured_vouchers and honoured_digest members, if any, into `bundle`;
// kInvalidArgument naming the member. ValidateHonouredVouchers checks the rest.
Result<void> ReadHonouredVouchers(wire::StrictObject& bundle_json, ConfigBundle& bundle);

// The rules of config_bundle.hpp for honoured_vouchers and honoured_digest, but that the digest is
// the list's (VerifyHonouredDigest: the decoder's part); kInvalidArgument naming the member.
Result<void> ValidateHonouredVouchers(const ConfigBundle& bundle);

// kInvalidArgument when the bundle carries a list whose digest is not honoured_digest.
Result<void> VerifyHonouredDigest(const ConfigBundle& bundle);

}  // namespace kiosk_edge
