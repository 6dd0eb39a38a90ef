#pragma once

// Gift voucher tokens (DESIGN.md section 5): compact text a phone shows as a QR code and a USB
// scanner can type, signed by the issuing kiosk's Ed25519 device key:
//
//   token     = "V1." BASE32(payload || signature)          (upper case, no padding)
//   payload   = u8 1 (format) | voucher id (8 bytes) | u32 expires_at (Unix s, big-endian)
//             | u8 scope (1 store, 2 fleet) | str kiosk id | str store id | str gift
//   str       = u8 length | bytes (kiosk and store ids: 1..64 of [A-Za-z0-9._-]; gift: 1..64
//               bytes of UTF-8)
//   signature = Ed25519(device key, "kiosk-edge voucher v1\0" || payload), 64 bytes
//
// Parsing is strict so that each voucher has exactly one accepted token: the base32 decoder
// refuses non-canonical text, the payload has no trailing bytes, and every field is checked.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace kiosk_edge {

enum class VoucherScope : std::uint8_t {
  kStore = 1,  // redeemable only in the issuing store (decided offline by that store alone)
  kFleet = 2,  // redeemable in any store of the fleet
};
std::string_view ToString(VoucherScope scope);  // "store" / "fleet"

inline constexpr std::string_view kVoucherTokenPrefix = "V1.";
inline constexpr std::size_t kMaxVoucherTokenLength = 400;

struct Voucher {
  std::string id;        // 16 lower-case hex digits (8 random bytes), unique per issuing kiosk
  std::string kiosk_id;  // the issuing kiosk, whose device key signed the token
  std::string store_id;  // the store the issuing kiosk stands in
  VoucherScope scope = VoucherScope::kStore;
  std::string gift;             // what the clerk hands over ("Tote bag"), UTF-8
  std::int64_t expires_at = 0;  // Unix seconds; redeemable while now < expires_at
};

// kInvalidArgument naming the field when `voucher` cannot be put in a token.
Result<void> ValidateVoucher(const Voucher& voucher);

// The token for `voucher`, signed with the 32-byte Ed25519 `device_private_key`.
Result<std::string> SignVoucherToken(const Voucher& voucher, std::string_view device_private_key);

// A token taken apart. The signature is NOT checked here: VerifyVoucherSignature does that with
// the signer's public key from the trust list.
struct ParsedVoucherToken {
  Voucher voucher;
  std::string signed_message;  // what the signature covers
  std::string signature;       // 64 bytes
};

// kInvalidArgument with a short reason ("not a V1 token", "truncated", ...) for anything that is
// not a well-formed token. `token` is taken exactly: callers trim and upper-case scanner input.
Result<ParsedVoucherToken> ParseVoucherToken(std::string_view token);

// True when the token's signature verifies under `signer_public_key` (32 bytes).
bool VerifyVoucherSignature(const ParsedVoucherToken& token, std::string_view signer_public_key);

// A fresh random voucher id (16 hex digits).
Result<std::string> NewVoucherId();

}  // namespace kiosk_edge
