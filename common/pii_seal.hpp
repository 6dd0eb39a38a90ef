#pragma once

// Personal data on a kiosk (DESIGN.md section 8): a shopper's name and phone number never touch
// the kiosk's disk in plaintext. The kiosk seals each value for HQ, which alone holds the private
// key, and keeps only a keyed blind index of the phone number for duplicate detection. HQ
// (sync/profile_store) opens sealed phones in memory to key profiles by its own blind index.
// Shared by kiosk and HQ, so it lives in common/.
//
// Sealed format ("S1", an ECIES-style construction), text so it can sit in a JSON payload:
//
//   "S1." Base64Url(ephemeral_pub[32] || nonce[12] || ciphertext || tag[16])     (no padding)
//   shared = X25519(ephemeral_priv, hq_pub)
//   key    = HKDF-SHA256(shared, salt = ephemeral_pub || hq_pub,
//                        info = "kiosk-edge pii v1" || context, 32 bytes)
//   ciphertext || tag = AES-256-GCM(key, nonce, plaintext, aad = context)
//
// `context` names what the value is and where it belongs (for example "signup.phone"): a sealed
// value opens only under the context it was sealed with, so values cannot be swapped between
// fields unnoticed. Contexts are not secret and appear in no output.

#include <string>
#include <string_view>

#include "common/crypto.hpp"
#include "common/error.hpp"

namespace kiosk_edge {

inline constexpr std::string_view kSealedPrefix = "S1.";
// Bounds the work on both ends; personal data fields are far smaller.
inline constexpr std::size_t kMaxSealedPlaintext = 64 * 1024;

// Seals `plaintext` for the holder of the X25519 private key matching `hq_public_key` (32 raw
// bytes). Every call uses a fresh ephemeral key and nonce, so sealing the same text twice gives
// different outputs. kInvalidArgument for a bad key or a plaintext over kMaxSealedPlaintext;
// kIo when the CSPRNG fails.
Result<std::string> SealForHq(std::string_view hq_public_key, std::string_view plaintext,
                              std::string_view context);

// Opens values sealed by SealForHq with HQ's X25519 private key, loaded once: HQ keeps one for
// all the sealed values it opens. Each Open costs one X25519 agreement; loading the key (and
// deriving HQ's public key, which the key derivation binds) is paid once, in Create.
// Move-only; thread-safe (Open may run on several threads at once).
class SealedOpener {
 public:
  // `hq_private_key`: 32 bytes. kInvalidArgument otherwise.
  static Result<SealedOpener> Create(std::string_view hq_private_key);

  // kInvalidArgument "malformed sealed value" when `sealed` is not of the format above, and
  // "authentication failed" for the wrong key, the wrong context or any alteration. No partial
  // plaintext is ever returned.
  Result<std::string> Open(std::string_view sealed, std::string_view context) const;

  // HQ's public key (32 bytes): what kiosks seal for.
  const std::string& public_key() const { return key_.public_key(); }

 private:
  explicit SealedOpener(X25519PrivateKey key) : key_(std::move(key)) {}

  X25519PrivateKey key_;
};

// One-off SealedOpener::Create(hq_private_key) and Open (tests, tools); code that opens many
// values keeps a SealedOpener instead.
Result<std::string> OpenSealed(std::string_view hq_private_key, std::string_view sealed,
                               std::string_view context);

inline constexpr std::size_t kMinBlindIndexKeySize = 32;

// A blind index: a stable, keyed pseudonym of a normalised value (the phone number), so profiles
// can be matched and duplicates found without storing the value. It is a keyed HMAC and never a
// plain hash: the space of mobile numbers is small enough that a hash could be inverted by trying
// every number. Whoever holds the key can still do that, so the key is a secret like any other.
class BlindIndexer {
 public:
  // kInvalidArgument when `key` is shorter than kMinBlindIndexKeySize bytes.
  static Result<BlindIndexer> Create(std::string key);

  // Base32(HMAC-SHA256(key, purpose "\0" normalized_value)): 52 characters. Equal for equal
  // (key, purpose, value); unrelated across keys and purposes. `purpose` is a constant naming
  // the use ("phone"); it must not contain '\0', which separates it from the value.
  // The caller normalises the value first (the same number must always be spelled the same).
  std::string Index(std::string_view normalized_value, std::string_view purpose) const;

 private:
  explicit BlindIndexer(std::string key) : key_(std::move(key)) {}

  std::string key_;
};

}  // namespace kiosk_edge
