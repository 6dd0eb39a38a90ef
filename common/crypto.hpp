#pragma once

// The cryptographic primitives the rest of kiosk-edge uses, and the text encodings that carry
// their output. This is the only header that fronts OpenSSL (in crypto.cpp); nothing here exposes
// an OpenSSL type. Byte strings are std::string / std::string_view holding raw, binary-safe bytes.
//
// Contracts shared by every function here:
// - Errors carry a short message that never contains key material or the data processed.
// - Keys are never logged; callers must not log them either.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace kiosk_edge {

inline constexpr std::size_t kSha256Size = 32;
inline constexpr std::size_t kX25519KeySize = 32;
inline constexpr std::size_t kAes256KeySize = 32;
inline constexpr std::size_t kAesGcmNonceSize = 12;
inline constexpr std::size_t kAesGcmTagSize = 16;
inline constexpr std::size_t kEd25519KeySize = 32;
inline constexpr std::size_t kEd25519SignatureSize = 64;

// ---- Hashing, MACs, key derivation, randomness ----

// SHA-256(data): 32 raw bytes. Aborts the process only if OpenSSL itself is broken, like
// HmacSha256.
std::string Sha256(std::string_view data);

// HMAC-SHA256(key, data): 32 raw bytes. Any key length is accepted (RFC 2104). Aborts the process
// only if OpenSSL itself is broken (allocation failure or a missing SHA-256), since no caller
// could carry on safely without its MAC.
std::string HmacSha256(std::string_view key, std::string_view data);

// True when `a` and `b` are equal. For equal lengths the time taken does not depend on where
// they differ (use it for every MAC or tag comparison); lengths are not treated as secret.
bool ConstantTimeEqual(std::string_view a, std::string_view b);

// HKDF-SHA256 (RFC 5869), extract and expand: `length` bytes (1..8160) from `secret` (non-empty).
// An empty `salt` means the RFC's default (32 zero bytes).
Result<std::string> HkdfSha256(std::string_view secret, std::string_view salt,
                               std::string_view info, std::size_t length);

// Overwrites `secret`'s bytes with zeros in a way the compiler may not optimise away; for key
// material that should not linger in freed memory.
void SecureWipe(std::string& secret);

// `n` bytes from the operating system's CSPRNG (OpenSSL RAND_bytes). kIo when no entropy.
Result<std::string> RandomBytes(std::size_t n);

// ---- X25519 key agreement (RFC 7748) ----

// Raw 32-byte keys, in RFC 7748's encoding.
struct X25519KeyPair {
  std::string private_key;
  std::string public_key;
};

// A fresh key pair from the CSPRNG.
Result<X25519KeyPair> GenerateX25519KeyPair();

// The public key belonging to `private_key` (32 bytes).
Result<std::string> X25519PublicKey(std::string_view private_key);

// The 32-byte shared secret X25519(private_key, peer_public_key). kInvalidArgument for keys that
// are not 32 bytes and for peer keys of small order (the all-zero shared secret), which would let
// a malicious peer force a known secret.
Result<std::string> X25519SharedSecret(std::string_view private_key,
                                       std::string_view peer_public_key);

// One X25519 private key, loaded once for many key agreements (HQ opening every sealed value).
// Loading a raw private key costs a scalar multiplication (OpenSSL derives its public key), as
// much as the agreement itself: a holder of a long-lived key keeps one of these instead of
// calling X25519PublicKey and X25519SharedSecret per message. Move-only; the key material is
// wiped when it is destroyed. Thread-safe: const methods may run on several threads at once.
class X25519PrivateKey {
 public:
  // kInvalidArgument when `private_key` is not 32 bytes.
  static Result<X25519PrivateKey> Load(std::string_view private_key);

  X25519PrivateKey(X25519PrivateKey&&) noexcept;
  X25519PrivateKey& operator=(X25519PrivateKey&&) noexcept;
  X25519PrivateKey(const X25519PrivateKey&) = delete;
  X25519PrivateKey& operator=(const X25519PrivateKey&) = delete;
  ~X25519PrivateKey();

  // The matching public key (32 bytes), computed once at Load.
  const std::string& public_key() const { return public_key_; }
  // As X25519SharedSecret(private key, peer_public_key), with the same errors.
  Result<std::string> SharedSecret(std::string_view peer_public_key) const;

 private:
  struct Loaded;  // the OpenSSL key object (crypto.cpp)
  X25519PrivateKey(std::unique_ptr<Loaded> loaded, std::string public_key);

  std::unique_ptr<Loaded> loaded_;
  std::string public_key_;
};

// ---- Ed25519 signatures (RFC 8032) ----

// Raw 32-byte keys: the private key is RFC 8032's seed, the public key its encoded point.
struct Ed25519KeyPair {
  std::string private_key;
  std::string public_key;
};

// A fresh key pair from the CSPRNG.
Result<Ed25519KeyPair> GenerateEd25519KeyPair();

// The public key belonging to `private_key` (32 bytes).
Result<std::string> Ed25519PublicKey(std::string_view private_key);

// The 64-byte signature of `message`. Deterministic (RFC 8032): the same key and message always
// give the same signature.
Result<std::string> Ed25519Sign(std::string_view private_key, std::string_view message);

// True only when `signature` is a valid signature of `message` under `public_key`; false for
// every malformed input (wrong sizes, a public key that is not a curve point). Never throws.
bool Ed25519Verify(std::string_view public_key, std::string_view message,
                   std::string_view signature);

// The private key as a PKCS#8 PEM block ("-----BEGIN PRIVATE KEY-----"), the form TLS libraries
// and `openssl pkey` read, and back. The PEM text is key material: keep it in 0600 files only.
Result<std::string> Ed25519PrivateKeyToPem(std::string_view private_key);
Result<std::string> Ed25519PrivateKeyFromPem(std::string_view pem);

// ---- Password hashing ----

// scrypt (RFC 7914) of `password` with `salt`: `length` bytes. Cost parameters: N = 2^log2_n
// (1..30), r, p >= 1; memory is about 128 * r * N bytes. kInvalidArgument for parameters OpenSSL
// refuses (including memory above 256 MiB).
Result<std::string> Scrypt(std::string_view password, std::string_view salt, int log2_n, int r,
                           int p, std::size_t length);

// ---- AES-256-GCM ----

// Encrypts `plaintext` under a 32-byte `key` and 12-byte `nonce12`, authenticating `aad` too.
// Returns ciphertext || 16-byte tag. A (key, nonce) pair must never be used twice.
Result<std::string> Aes256GcmSeal(std::string_view key, std::string_view nonce12,
                                  std::string_view plaintext, std::string_view aad);

// Reverses Aes256GcmSeal. Any change to the ciphertext, tag, aad, nonce or key gives
// kInvalidArgument "authentication failed" and no plaintext at all.
Result<std::string> Aes256GcmOpen(std::string_view key, std::string_view nonce12,
                                  std::string_view sealed, std::string_view aad);

// ---- Text encodings ----
// The base32 and base64url decoders are strict so that each byte string has exactly one accepted
// text form (a MAC or token compared as text cannot then be varied): they refuse characters
// outside the alphabet, padding, impossible lengths and non-zero unused trailing bits, with
// kInvalidArgument.

// RFC 4648 base32, alphabet A-Z2-7, upper case, no padding: "foobar" -> "MZXW6YTBOI".
std::string Base32Encode(std::string_view bytes);
// Accepts only what Base32Encode produces. Lower case is refused here; code that takes text a
// person or phone may have lower-cased (URLs) upper-cases it first, on purpose, at that boundary.
Result<std::string> Base32Decode(std::string_view text);
// True when `c` is in the base32 alphabet (A-Z, 2-7).
bool IsBase32Char(char c);

// RFC 4648 section 4 base64 (A-Z a-z 0-9 + /), padded with '=': what Content-Security-Policy
// hash sources are written in.
std::string Base64Encode(std::string_view bytes);

// RFC 4648 section 5 base64url (A-Z a-z 0-9 - _), no padding: JSON- and URL-safe.
std::string Base64UrlEncode(std::string_view bytes);
Result<std::string> Base64UrlDecode(std::string_view text);

// Lower-case hex. The decoder also accepts upper case (keys in configs, test vectors), so hex is
// not a canonical form; do not compare hex text where that matters.
std::string HexEncode(std::string_view bytes);
Result<std::string> HexDecode(std::string_view text);

}  // namespace kiosk_edge
