#include "sync/profile_store/identity.hpp"

#include <algorithm>

#include "common/crypto.hpp"

namespace kiosk_edge {

Result<HqIdentity> HqIdentity::Create(std::string pii_private_key, std::string index_key) {
  if (pii_private_key.size() != kX25519KeySize) {
    return Error(ErrorKind::kInvalidArgument, "HQ personal-data key must be 32 bytes (X25519)");
  }
  auto public_key = X25519PublicKey(pii_private_key);
  if (!public_key) return public_key.error().WithContext("HQ personal-data key");
  auto indexer = BlindIndexer::Create(std::move(index_key));
  if (!indexer) return indexer.error().WithContext("HQ index key");
  return HqIdentity(std::move(pii_private_key), std::move(*public_key), std::move(*indexer));
}

HqIdentity::~HqIdentity() { SecureWipe(private_key_); }

std::string HqIdentity::ProfileKey(std::string_view e164) const {
  return indexer_.Index(e164, "phone");
}

Result<std::string> HqIdentity::ProfileKeyOfSealedPhone(std::string_view sealed_phone) const {
  auto phone = OpenSealed(private_key_, sealed_phone, kSignupPhoneContext);
  if (!phone) return phone.error().WithContext("sealed phone");
  const bool valid = IsE164(*phone);
  std::string key = valid ? ProfileKey(*phone) : std::string();
  SecureWipe(*phone);
  if (!valid) return Error(ErrorKind::kInvalidArgument, "sealed phone: not an E.164 number");
  return key;
}

bool IsE164(std::string_view text) {
  return text.size() >= 8 && text.size() <= 16 && text[0] == '+' && text[1] != '0' &&
         std::all_of(text.begin() + 1, text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace kiosk_edge
