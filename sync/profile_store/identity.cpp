#include "sync/profile_store/identity.hpp"

#include <algorithm>

#include "common/crypto.hpp"

namespace kiosk_edge {

Result<HqIdentity> HqIdentity::Create(std::string pii_private_key, std::string index_key) {
  if (pii_private_key.size() != kX25519KeySize) {
    return Error(ErrorKind::kInvalidArgument, "HQ personal-data key must be 32 bytes (X25519)");
  }
  auto opener = SealedOpener::Create(pii_private_key);
  SecureWipe(pii_private_key);  // the opener holds the key from here on
  if (!opener) return opener.error().WithContext("HQ personal-data key");
  auto indexer = BlindIndexer::Create(std::move(index_key));
  if (!indexer) return indexer.error().WithContext("HQ index key");
  return HqIdentity(std::move(*opener), std::move(*indexer));
}

std::string HqIdentity::ProfileKey(std::string_view e164) const {
  return indexer_.Index(e164, "phone");
}

Result<std::string> HqIdentity::ProfileKeyOfSealedPhone(std::string_view sealed_phone) const {
  auto phone = opener_.Open(sealed_phone, kSignupPhoneContext);
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
