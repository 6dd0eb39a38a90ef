// Voucher tokens as a scanner types them (agent/voucher_token.hpp): ParseVoucherToken must take
// apart only well-formed tokens, and each voucher must have exactly one accepted token.

#include <cstddef>
#include <cstdint>

#include "agent/voucher_token.hpp"
#include "common/crypto.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace kiosk_edge::fuzz {
namespace {

const std::string& DevicePublicKey() {
  static const std::string key = Ed25519PublicKey(kVoucherDeviceKey).value();
  return key;
}

void CheckToken(std::string_view token) {
  const Result<ParsedVoucherToken> parsed = ParseVoucherToken(token);
  if (!parsed) {
    FUZZ_CHECK(parsed.error().kind() == ErrorKind::kInvalidArgument);
    return;
  }
  const Voucher& voucher = parsed->voucher;
  FUZZ_CHECK(ValidateVoucher(voucher).has_value());
  FUZZ_CHECK(parsed->signature.size() == kEd25519SignatureSize);
  const bool genuine = VerifyVoucherSignature(*parsed, DevicePublicKey());

  // Signing the parsed voucher again covers the same bytes (the payload is canonical)...
  const Result<std::string> resigned = SignVoucherToken(voucher, kVoucherDeviceKey);
  FUZZ_CHECK(resigned.has_value());
  const Result<ParsedVoucherToken> reparsed = ParseVoucherToken(*resigned);
  FUZZ_CHECK(reparsed && reparsed->signed_message == parsed->signed_message);
  FUZZ_CHECK(reparsed->voucher.id == voucher.id && reparsed->voucher.gift == voucher.gift);
  // ...and Ed25519 signatures are deterministic, so a genuine token is the one Sign makes.
  FUZZ_CHECK(genuine == (*resigned == token));
}

}  // namespace
}  // namespace kiosk_edge::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  kiosk_edge::fuzz::CheckToken(kiosk_edge::fuzz::AsText(data, size));
  return 0;
}
