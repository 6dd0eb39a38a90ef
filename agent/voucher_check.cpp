#include "agent/voucher_check.hpp"

#include "common/strings.hpp"

namespace kiosk_edge {

std::string_view ToString(VoucherRefusal refusal) {
  switch (refusal) {
    case VoucherRefusal::kNotAVoucher:
      return "not_a_voucher";
    case VoucherRefusal::kUnknownSigner:
      return "unknown_signer";
    case VoucherRefusal::kRevoked:
      return "revoked";
    case VoucherRefusal::kExpired:
      return "expired";
    case VoucherRefusal::kWrongStore:
      return "wrong_store";
    case VoucherRefusal::kAlreadyRedeemed:
      return "already_redeemed";
  }
  return "unknown";
}

VoucherCheck CheckVoucher(std::string_view token, const TrustList& trust,
                          std::string_view this_store, std::int64_t now_unix_s) {
  VoucherCheck check;
  auto parsed = ParseVoucherToken(token);
  if (!parsed) {
    check.refusal = VoucherRefusal::kNotAVoucher;
    check.detail = parsed.error().message();
    return check;
  }
  const Voucher& voucher = parsed->voucher;
  const auto trusted = trust.kiosk_keys.find(voucher.kiosk_id);
  const auto honoured = trust.honoured.find(voucher.kiosk_id);
  const std::string* public_key = nullptr;
  if (trusted != trust.kiosk_keys.end()) {
    public_key = &trusted->second;
  } else if (honoured != trust.honoured.end()) {
    public_key = &honoured->second.public_key;
  } else {
    check.refusal = VoucherRefusal::kUnknownSigner;
    check.detail = StrCat("kiosk ", voucher.kiosk_id, " is not on the trust list");
    return check;
  }
  if (!VerifyVoucherSignature(*parsed, *public_key)) {
    check.refusal = VoucherRefusal::kNotAVoucher;
    check.detail = "bad signature";
    return check;
  }
  // From here on the voucher is genuine: say which one it is.
  check.voucher = voucher;
  // A revoked kiosk's voucher passes when HQ honours this id with this content.
  const std::string* honoured_digest = nullptr;
  if (honoured != trust.honoured.end()) {
    const auto found = honoured->second.vouchers.find(voucher.id);
    if (found != honoured->second.vouchers.end()) honoured_digest = &found->second;
  }
  const bool honoured_by_hq =
      honoured_digest != nullptr &&
      *honoured_digest == HonouredVoucherDigest(voucher.kiosk_id, voucher.id, voucher.store_id,
                                                ToString(voucher.scope), voucher.gift,
                                                voucher.expires_at);
  if (trust.revoked_kiosks.contains(voucher.kiosk_id) && !honoured_by_hq) {
    check.refusal = VoucherRefusal::kRevoked;
    check.detail = StrCat("kiosk ", voucher.kiosk_id, " is revoked");
    if (honoured_digest != nullptr) {
      check.detail += "; HQ honours a voucher of this id with other content";
    }
  } else if (trust.revoked_vouchers.contains(StrCat(voucher.kiosk_id, "/", voucher.id))) {
    check.refusal = VoucherRefusal::kRevoked;
    check.detail = "voucher revoked";
  } else if (now_unix_s >= voucher.expires_at) {
    check.refusal = VoucherRefusal::kExpired;
  } else if (voucher.scope == VoucherScope::kStore && voucher.store_id != this_store) {
    check.refusal = VoucherRefusal::kWrongStore;
    check.detail = StrCat("issued for store ", voucher.store_id);
  } else if (trust.redeemed_elsewhere.contains(StrCat(voucher.kiosk_id, "/", voucher.id))) {
    check.refusal = VoucherRefusal::kAlreadyRedeemed;
    check.detail = "on HQ's list of redeemed vouchers";
  }
  return check;
}

std::string NormalizeScannedCode(std::string_view text) {
  const auto is_space = [](char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
  };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  std::string code(text);
  for (char& c : code) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return code;
}

}  // namespace kiosk_edge
