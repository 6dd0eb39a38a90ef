#include "common/pii_seal.hpp"

#include <cassert>
#include <initializer_list>
#include <vector>

namespace kiosk_edge {
namespace {

constexpr std::string_view kHkdfInfoPrefix = "kiosk-edge pii v1";
constexpr std::size_t kHeaderBytes = kX25519KeySize + kAesGcmNonceSize;
constexpr std::size_t kMaxSealedBytes = kHeaderBytes + kMaxSealedPlaintext + kAesGcmTagSize;
// Base64url of kMaxSealedBytes, rounded up, plus the prefix.
constexpr std::size_t kMaxSealedText = kSealedPrefix.size() + (kMaxSealedBytes * 4 + 2) / 3;

// The per-message AES key. Binding both public keys into the salt ties the key to this exact
// exchange (RFC 9180-style), and the context into the info separates fields.
Result<std::string> MessageKey(std::string_view shared_secret, std::string_view ephemeral_public,
                               std::string_view hq_public, std::string_view context) {
  std::string salt(ephemeral_public);
  salt.append(hq_public);
  std::string info(kHkdfInfoPrefix);
  info.append(context);
  return HkdfSha256(shared_secret, salt, info, kAes256KeySize);
}

// Wipes the given strings when the scope ends, whichever way it ends. Declare it after the
// strings it wipes, so that it runs before they are destroyed.
class WipeOnExit {
 public:
  explicit WipeOnExit(std::initializer_list<std::string*> secrets) : secrets_(secrets) {}
  WipeOnExit(const WipeOnExit&) = delete;
  WipeOnExit& operator=(const WipeOnExit&) = delete;
  ~WipeOnExit() {
    for (std::string* secret : secrets_) SecureWipe(*secret);
  }

 private:
  std::vector<std::string*> secrets_;
};

Error Malformed() { return Error(ErrorKind::kInvalidArgument, "malformed sealed value"); }

}  // namespace

Result<std::string> SealForHq(std::string_view hq_public_key, std::string_view plaintext,
                              std::string_view context) {
  if (hq_public_key.size() != kX25519KeySize) {
    return Error(ErrorKind::kInvalidArgument, "seal: HQ public key must be 32 bytes");
  }
  if (plaintext.size() > kMaxSealedPlaintext) {
    return Error(ErrorKind::kInvalidArgument, "seal: value too large");
  }
  std::string ephemeral_private, shared, key;
  const WipeOnExit wipe({&ephemeral_private, &shared, &key});
  auto ephemeral = GenerateX25519KeyPair();
  if (!ephemeral) return ephemeral.error().WithContext("seal");
  ephemeral_private = std::move(ephemeral->private_key);
  auto shared_or = X25519SharedSecret(ephemeral_private, hq_public_key);
  if (!shared_or) return shared_or.error().WithContext("seal: HQ public key");
  shared = std::move(*shared_or);
  auto key_or = MessageKey(shared, ephemeral->public_key, hq_public_key, context);
  if (!key_or) return key_or.error().WithContext("seal");
  key = std::move(*key_or);
  auto nonce = RandomBytes(kAesGcmNonceSize);
  if (!nonce) return nonce.error().WithContext("seal");
  auto ciphertext = Aes256GcmSeal(key, *nonce, plaintext, context);
  if (!ciphertext) return ciphertext.error().WithContext("seal");

  std::string blob = std::move(ephemeral->public_key);
  blob.append(*nonce).append(*ciphertext);
  std::string sealed(kSealedPrefix);
  sealed.append(Base64UrlEncode(blob));
  return sealed;
}

Result<SealedOpener> SealedOpener::Create(std::string_view hq_private_key) {
  if (hq_private_key.size() != kX25519KeySize) {
    return Error(ErrorKind::kInvalidArgument, "open sealed: private key must be 32 bytes");
  }
  auto key = X25519PrivateKey::Load(hq_private_key);
  if (!key) return key.error().WithContext("open sealed");
  return SealedOpener(std::move(*key));
}

Result<std::string> SealedOpener::Open(std::string_view sealed, std::string_view context) const {
  if (sealed.size() > kMaxSealedText || sealed.substr(0, kSealedPrefix.size()) != kSealedPrefix) {
    return Malformed();
  }
  auto blob = Base64UrlDecode(sealed.substr(kSealedPrefix.size()));
  if (!blob || blob->size() < kHeaderBytes + kAesGcmTagSize) return Malformed();
  const std::string_view bytes(*blob);
  const std::string_view ephemeral_public = bytes.substr(0, kX25519KeySize);
  const std::string_view nonce = bytes.substr(kX25519KeySize, kAesGcmNonceSize);
  const std::string_view ciphertext = bytes.substr(kHeaderBytes);

  std::string shared, key;
  const WipeOnExit wipe({&shared, &key});
  auto shared_or = key_.SharedSecret(ephemeral_public);
  // A small-order ephemeral key can only come from tampering.
  if (!shared_or) return Error(ErrorKind::kInvalidArgument, "authentication failed");
  shared = std::move(*shared_or);
  auto key_or = MessageKey(shared, ephemeral_public, key_.public_key(), context);
  if (!key_or) return key_or.error().WithContext("open sealed");
  key = std::move(*key_or);
  return Aes256GcmOpen(key, nonce, ciphertext, context);
}

Result<std::string> OpenSealed(std::string_view hq_private_key, std::string_view sealed,
                               std::string_view context) {
  auto opener = SealedOpener::Create(hq_private_key);
  if (!opener) return opener.error();
  return opener->Open(sealed, context);
}

Result<BlindIndexer> BlindIndexer::Create(std::string key) {
  if (key.size() < kMinBlindIndexKeySize) {
    return Error(ErrorKind::kInvalidArgument, "blind index key shorter than 32 bytes");
  }
  return BlindIndexer(std::move(key));
}

std::string BlindIndexer::Index(std::string_view normalized_value, std::string_view purpose) const {
  assert(purpose.find('\0') == std::string_view::npos);
  std::string message(purpose);
  message.push_back('\0');
  message.append(normalized_value);
  return Base32Encode(HmacSha256(key_, message));
}

}  // namespace kiosk_edge
