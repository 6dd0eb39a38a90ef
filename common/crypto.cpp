// The OpenSSL 3.0 adapter for crypto.hpp (X.509 is tls_certs*.cpp).
#include "common/crypto.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "common/openssl_ptr.hpp"

namespace kiosk_edge {
namespace {

// OpenSSL treats a null pointer as "no value" in places where we mean "zero bytes"; an empty
// string_view may have a null data(), so hand OpenSSL this instead.
const unsigned char kNoBytes[1] = {0};

const unsigned char* Bytes(std::string_view s) {
  return s.empty() ? kNoBytes : reinterpret_cast<const unsigned char*>(s.data());
}
unsigned char* MutableBytes(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }
// For OSSL_PARAM, whose octet strings are declared non-const although OpenSSL only reads them.
void* ParamBytes(std::string_view s) { return const_cast<unsigned char*>(Bytes(s)); }

// AES-GCM lengths go through OpenSSL's int API; PII and tokens are far smaller than this.
constexpr std::size_t kMaxAeadInput = std::size_t{1} << 30;

Error InvalidArgument(std::string message) {
  return Error(ErrorKind::kInvalidArgument, std::move(message));
}

// Algorithms fetched once per process rather than looked up by name on every use, which OpenSSL 3
// does for implicit fetches. Kept for the life of the process (null if unavailable).
EVP_KDF* FetchedHkdf() {
  static EVP_KDF* const kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  return kdf;
}
EVP_CIPHER* FetchedAes256Gcm() {
  static EVP_CIPHER* const cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  return cipher;
}

Result<OpenSslPtr<EVP_PKEY>> LoadX25519PrivateKey(std::string_view private_key) {
  if (private_key.size() != kX25519KeySize) {
    return InvalidArgument("X25519 private key must be 32 bytes");
  }
  OpenSslPtr<EVP_PKEY> key(EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr,
                                                        Bytes(private_key), private_key.size()));
  if (!key) return Error(ErrorKind::kInternal, "X25519: cannot load private key");
  return key;
}

Result<std::string> RawPublicKey(EVP_PKEY* key) {
  std::string out(kX25519KeySize, '\0');
  std::size_t length = out.size();
  if (EVP_PKEY_get_raw_public_key(key, MutableBytes(out), &length) != 1 ||
      length != kX25519KeySize) {
    return Error(ErrorKind::kInternal, "X25519: cannot read public key");
  }
  return out;
}

}  // namespace

std::string Sha256(std::string_view data) {
  std::string digest(kSha256Size, '\0');
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), MutableBytes(digest), &length, EVP_sha256(), nullptr) !=
          1 ||
      length != kSha256Size) {
    std::fputs("kiosk-edge: fatal: SHA-256 unavailable in OpenSSL\n", stderr);
    std::abort();
  }
  return digest;
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  std::string mac(kSha256Size, '\0');
  std::size_t length = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, Bytes(key), key.size(), Bytes(data),
                data.size(), MutableBytes(mac), mac.size(), &length) == nullptr ||
      length != kSha256Size) {
    // Only an out-of-memory or a broken OpenSSL install gets here; a wrong MAC must never be
    // returned, and callers have no sensible way to continue without one.
    std::fputs("kiosk-edge: fatal: HMAC-SHA256 unavailable in OpenSSL\n", stderr);
    std::abort();
  }
  return mac;
}

bool ConstantTimeEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(Bytes(a), Bytes(b), a.size()) == 0;
}

Result<std::string> HkdfSha256(std::string_view secret, std::string_view salt,
                               std::string_view info, std::size_t length) {
  if (secret.empty()) return InvalidArgument("HKDF: empty secret");
  if (length == 0 || length > 255 * kSha256Size) {
    return InvalidArgument("HKDF: output length must be 1..8160 bytes");
  }
  EVP_KDF* kdf = FetchedHkdf();
  if (kdf == nullptr) return Error(ErrorKind::kInternal, "HKDF unavailable in OpenSSL");
  OpenSslPtr<EVP_KDF_CTX> ctx(EVP_KDF_CTX_new(kdf));
  if (!ctx) return Error(ErrorKind::kInternal, "HKDF: out of memory");

  char digest[] = "SHA256";
  OSSL_PARAM params[5];
  OSSL_PARAM* p = params;
  *p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
  *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, ParamBytes(secret), secret.size());
  // Omitted parameters take RFC 5869's defaults (zero salt, empty info).
  if (!salt.empty()) {
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, ParamBytes(salt), salt.size());
  }
  if (!info.empty()) {
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, ParamBytes(info), info.size());
  }
  *p = OSSL_PARAM_construct_end();

  std::string out(length, '\0');
  if (EVP_KDF_derive(ctx.get(), MutableBytes(out), out.size(), params) != 1) {
    return Error(ErrorKind::kInternal, "HKDF derivation failed");
  }
  return out;
}

void SecureWipe(std::string& secret) {
  if (!secret.empty()) OPENSSL_cleanse(secret.data(), secret.size());
}

Result<std::string> RandomBytes(std::size_t n) {
  if (n > static_cast<std::size_t>(INT_MAX)) return InvalidArgument("RandomBytes: too many");
  std::string out(n, '\0');
  if (n > 0 && RAND_bytes(MutableBytes(out), static_cast<int>(n)) != 1) {
    return Error(ErrorKind::kIo, "RAND_bytes failed: no entropy available");
  }
  return out;
}

Result<X25519KeyPair> GenerateX25519KeyPair() {
  OpenSslPtr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_X25519, nullptr));
  EVP_PKEY* raw_key = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_keygen(ctx.get(), &raw_key) != 1) {
    return Error(ErrorKind::kIo, "X25519 key generation failed");
  }
  OpenSslPtr<EVP_PKEY> key(raw_key);
  X25519KeyPair pair{std::string(kX25519KeySize, '\0'), {}};
  std::size_t length = pair.private_key.size();
  if (EVP_PKEY_get_raw_private_key(key.get(), MutableBytes(pair.private_key), &length) != 1 ||
      length != kX25519KeySize) {
    return Error(ErrorKind::kInternal, "X25519: cannot read private key");
  }
  auto public_key = RawPublicKey(key.get());
  if (!public_key) return public_key.error();
  pair.public_key = std::move(*public_key);
  return pair;
}

Result<std::string> X25519PublicKey(std::string_view private_key) {
  auto key = LoadX25519PrivateKey(private_key);
  if (!key) return key.error();
  return RawPublicKey(key->get());
}

namespace {

// The agreement itself, with a loaded private key: one scalar multiplication.
Result<std::string> SharedSecretWith(EVP_PKEY* key, std::string_view peer_public_key) {
  if (peer_public_key.size() != kX25519KeySize) {
    return InvalidArgument("X25519 peer public key must be 32 bytes");
  }
  OpenSslPtr<EVP_PKEY> peer(EVP_PKEY_new_raw_public_key(
      EVP_PKEY_X25519, nullptr, Bytes(peer_public_key), peer_public_key.size()));
  if (!peer) return InvalidArgument("X25519: unusable peer public key");
  OpenSslPtr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new(key, nullptr));
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) != 1) {
    return InvalidArgument("X25519: unusable peer public key");
  }
  std::string secret(kX25519KeySize, '\0');
  std::size_t length = secret.size();
  // OpenSSL fails the derivation itself when the result is all zero (a small-order peer key).
  if (EVP_PKEY_derive(ctx.get(), MutableBytes(secret), &length) != 1 || length != kX25519KeySize ||
      ConstantTimeEqual(secret, std::string(kX25519KeySize, '\0'))) {
    return InvalidArgument("X25519: peer public key has small order");
  }
  return secret;
}

}  // namespace

Result<std::string> X25519SharedSecret(std::string_view private_key,
                                       std::string_view peer_public_key) {
  auto key = LoadX25519PrivateKey(private_key);
  if (!key) return key.error();
  return SharedSecretWith(key->get(), peer_public_key);
}

struct X25519PrivateKey::Loaded {
  OpenSslPtr<EVP_PKEY> key;  // OpenSSL cleanses the private half when it frees it
};

X25519PrivateKey::X25519PrivateKey(std::unique_ptr<Loaded> loaded, std::string public_key)
    : loaded_(std::move(loaded)), public_key_(std::move(public_key)) {}
X25519PrivateKey::X25519PrivateKey(X25519PrivateKey&&) noexcept = default;
X25519PrivateKey& X25519PrivateKey::operator=(X25519PrivateKey&&) noexcept = default;
X25519PrivateKey::~X25519PrivateKey() = default;

Result<X25519PrivateKey> X25519PrivateKey::Load(std::string_view private_key) {
  auto key = LoadX25519PrivateKey(private_key);
  if (!key) return key.error();
  auto public_key = RawPublicKey(key->get());
  if (!public_key) return public_key.error();
  return X25519PrivateKey(std::make_unique<Loaded>(Loaded{std::move(*key)}),
                          std::move(*public_key));
}

Result<std::string> X25519PrivateKey::SharedSecret(std::string_view peer_public_key) const {
  // EVP_PKEY_CTX_new takes its own reference: concurrent agreements share the key read-only.
  return SharedSecretWith(loaded_->key.get(), peer_public_key);
}

// ---- Ed25519 ----

namespace {

Result<OpenSslPtr<EVP_PKEY>> Ed25519PrivateKeyObject(std::string_view private_key) {
  if (private_key.size() != kEd25519KeySize) {
    return InvalidArgument("Ed25519 private key must be 32 bytes");
  }
  OpenSslPtr<EVP_PKEY> key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                                        Bytes(private_key), private_key.size()));
  if (!key) return Error(ErrorKind::kInternal, "Ed25519: cannot load private key");
  return key;
}

Result<std::string> RawEd25519PublicKey(EVP_PKEY* key) {
  std::string out(kEd25519KeySize, '\0');
  std::size_t length = out.size();
  if (EVP_PKEY_get_raw_public_key(key, MutableBytes(out), &length) != 1 ||
      length != kEd25519KeySize) {
    return Error(ErrorKind::kInternal, "Ed25519: cannot read public key");
  }
  return out;
}

Result<std::string> RawEd25519PrivateKey(EVP_PKEY* key) {
  std::string out(kEd25519KeySize, '\0');
  std::size_t length = out.size();
  if (EVP_PKEY_get_raw_private_key(key, MutableBytes(out), &length) != 1 ||
      length != kEd25519KeySize) {
    return Error(ErrorKind::kInternal, "Ed25519: cannot read private key");
  }
  return out;
}

}  // namespace

Result<Ed25519KeyPair> GenerateEd25519KeyPair() {
  OpenSslPtr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr));
  EVP_PKEY* raw_key = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_keygen(ctx.get(), &raw_key) != 1) {
    return Error(ErrorKind::kIo, "Ed25519 key generation failed");
  }
  OpenSslPtr<EVP_PKEY> key(raw_key);
  auto private_key = RawEd25519PrivateKey(key.get());
  if (!private_key) return private_key.error();
  auto public_key = RawEd25519PublicKey(key.get());
  if (!public_key) return public_key.error();
  return Ed25519KeyPair{std::move(*private_key), std::move(*public_key)};
}

Result<std::string> Ed25519PublicKey(std::string_view private_key) {
  auto key = Ed25519PrivateKeyObject(private_key);
  if (!key) return key.error();
  return RawEd25519PublicKey(key->get());
}

Result<std::string> Ed25519Sign(std::string_view private_key, std::string_view message) {
  auto key = Ed25519PrivateKeyObject(private_key);
  if (!key) return key.error();
  OpenSslPtr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
  std::string signature(kEd25519SignatureSize, '\0');
  std::size_t length = signature.size();
  // Ed25519 hashes internally: no digest, one-shot EVP_DigestSign.
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key->get()) != 1 ||
      EVP_DigestSign(ctx.get(), MutableBytes(signature), &length, Bytes(message), message.size()) !=
          1 ||
      length != kEd25519SignatureSize) {
    return Error(ErrorKind::kInternal, "Ed25519 signing failed");
  }
  return signature;
}

bool Ed25519Verify(std::string_view public_key, std::string_view message,
                   std::string_view signature) {
  if (public_key.size() != kEd25519KeySize || signature.size() != kEd25519SignatureSize) {
    return false;
  }
  OpenSslPtr<EVP_PKEY> key(
      EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, Bytes(public_key), public_key.size()));
  OpenSslPtr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
  return key && ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) == 1 &&
         EVP_DigestVerify(ctx.get(), Bytes(signature), signature.size(), Bytes(message),
                          message.size()) == 1;
}

Result<std::string> Ed25519PrivateKeyToPem(std::string_view private_key) {
  auto key = Ed25519PrivateKeyObject(private_key);
  if (!key) return key.error();
  OpenSslPtr<BIO> bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key->get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return Error(ErrorKind::kInternal, "Ed25519: cannot write PEM");
  }
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  std::string pem(data, static_cast<std::size_t>(size));
  (void)BIO_reset(bio.get());  // a memory BIO reset clears its buffer
  return pem;
}

Result<std::string> Ed25519PrivateKeyFromPem(std::string_view pem) {
  if (pem.size() > 16 * 1024) return InvalidArgument("Ed25519 PEM: too large");
  OpenSslPtr<BIO> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return Error(ErrorKind::kInternal, "Ed25519 PEM: out of memory");
  OpenSslPtr<EVP_PKEY> key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return InvalidArgument("not a PEM private key");
  if (EVP_PKEY_get_id(key.get()) != EVP_PKEY_ED25519) {
    return InvalidArgument("PEM private key is not an Ed25519 key");
  }
  return RawEd25519PrivateKey(key.get());
}

// ---- Password hashing ----

Result<std::string> Scrypt(std::string_view password, std::string_view salt, int log2_n, int r,
                           int p, std::size_t length) {
  constexpr std::uint64_t kMaxMemory = std::uint64_t{256} << 20;
  if (log2_n < 1 || log2_n > 30 || r < 1 || p < 1 || length == 0 || length > 1024) {
    return InvalidArgument("scrypt: parameters out of range");
  }
  std::string out(length, '\0');
  if (EVP_PBE_scrypt(reinterpret_cast<const char*>(Bytes(password)), password.size(), Bytes(salt),
                     salt.size(), std::uint64_t{1} << log2_n, static_cast<std::uint64_t>(r),
                     static_cast<std::uint64_t>(p), kMaxMemory, MutableBytes(out),
                     out.size()) != 1) {
    return InvalidArgument("scrypt: parameters refused (memory above 256 MiB?)");
  }
  return out;
}

Result<std::string> Aes256GcmSeal(std::string_view key, std::string_view nonce12,
                                  std::string_view plaintext, std::string_view aad) {
  if (key.size() != kAes256KeySize) return InvalidArgument("AES-256-GCM key must be 32 bytes");
  if (nonce12.size() != kAesGcmNonceSize) return InvalidArgument("AES-GCM nonce must be 12 bytes");
  if (plaintext.size() > kMaxAeadInput || aad.size() > kMaxAeadInput) {
    return InvalidArgument("AES-GCM input too large");
  }
  OpenSslPtr<EVP_CIPHER_CTX> ctx(EVP_CIPHER_CTX_new());
  int length = 0;
  // The default GCM IV length is the 12 bytes we require.
  if (!ctx || FetchedAes256Gcm() == nullptr ||
      EVP_EncryptInit_ex(ctx.get(), FetchedAes256Gcm(), nullptr, Bytes(key), Bytes(nonce12)) != 1 ||
      (!aad.empty() && EVP_EncryptUpdate(ctx.get(), nullptr, &length, Bytes(aad),
                                         static_cast<int>(aad.size())) != 1)) {
    return Error(ErrorKind::kInternal, "AES-GCM encryption setup failed");
  }
  std::string out(plaintext.size() + kAesGcmTagSize, '\0');
  int written = 0;
  if (!plaintext.empty() &&
      EVP_EncryptUpdate(ctx.get(), MutableBytes(out), &written, Bytes(plaintext),
                        static_cast<int>(plaintext.size())) != 1) {
    return Error(ErrorKind::kInternal, "AES-GCM encryption failed");
  }
  if (EVP_EncryptFinal_ex(ctx.get(), MutableBytes(out) + written, &length) != 1 ||
      static_cast<std::size_t>(written + length) != plaintext.size() ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kAesGcmTagSize),
                          MutableBytes(out) + plaintext.size()) != 1) {
    return Error(ErrorKind::kInternal, "AES-GCM encryption failed");
  }
  return out;
}

Result<std::string> Aes256GcmOpen(std::string_view key, std::string_view nonce12,
                                  std::string_view sealed, std::string_view aad) {
  if (key.size() != kAes256KeySize) return InvalidArgument("AES-256-GCM key must be 32 bytes");
  if (nonce12.size() != kAesGcmNonceSize) return InvalidArgument("AES-GCM nonce must be 12 bytes");
  if (sealed.size() < kAesGcmTagSize) return InvalidArgument("authentication failed");
  if (sealed.size() > kMaxAeadInput || aad.size() > kMaxAeadInput) {
    return InvalidArgument("AES-GCM input too large");
  }
  const std::string_view ciphertext = sealed.substr(0, sealed.size() - kAesGcmTagSize);
  std::string tag(sealed.substr(ciphertext.size()));
  OpenSslPtr<EVP_CIPHER_CTX> ctx(EVP_CIPHER_CTX_new());
  int length = 0;
  if (!ctx || FetchedAes256Gcm() == nullptr ||
      EVP_DecryptInit_ex(ctx.get(), FetchedAes256Gcm(), nullptr, Bytes(key), Bytes(nonce12)) != 1 ||
      (!aad.empty() && EVP_DecryptUpdate(ctx.get(), nullptr, &length, Bytes(aad),
                                         static_cast<int>(aad.size())) != 1)) {
    return Error(ErrorKind::kInternal, "AES-GCM decryption setup failed");
  }
  std::string plaintext(ciphertext.size(), '\0');
  int written = 0;
  if (!ciphertext.empty() &&
      EVP_DecryptUpdate(ctx.get(), MutableBytes(plaintext), &written, Bytes(ciphertext),
                        static_cast<int>(ciphertext.size())) != 1) {
    return Error(ErrorKind::kInternal, "AES-GCM decryption failed");
  }
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(tag.size()),
                          MutableBytes(tag)) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), MutableBytes(plaintext) + written, &length) != 1) {
    // Whatever was decrypted is unauthenticated: wipe it rather than let it linger.
    OPENSSL_cleanse(plaintext.data(), plaintext.size());
    return InvalidArgument("authentication failed");
  }
  return plaintext;
}

// ---- Text encodings ----

namespace {

constexpr std::string_view kBase32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kBase64UrlAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Packs bytes into `bits`-wide symbols, most significant first; the last symbol is zero-padded.
std::string EncodeBits(std::string_view bytes, unsigned bits, std::string_view alphabet) {
  std::string out;
  out.reserve((bytes.size() * 8 + bits - 1) / bits);
  const std::uint32_t mask = (1u << bits) - 1;
  std::uint32_t buffer = 0;
  unsigned buffered = 0;
  for (char c : bytes) {
    buffer = (buffer << 8) | static_cast<unsigned char>(c);
    buffered += 8;
    while (buffered >= bits) {
      buffered -= bits;
      out.push_back(alphabet[(buffer >> buffered) & mask]);
    }
    buffer &= (1u << buffered) - 1;
  }
  if (buffered > 0) out.push_back(alphabet[(buffer << (bits - buffered)) & mask]);
  return out;
}

// The inverse of EncodeBits, refusing anything EncodeBits cannot produce: a symbol outside the
// alphabet, a whole symbol left over (an impossible length) or non-zero padding bits.
Result<std::string> DecodeBits(std::string_view text, unsigned bits, std::string_view alphabet,
                               std::string_view name) {
  std::string out;
  out.reserve(text.size() * bits / 8);
  std::uint32_t buffer = 0;
  unsigned buffered = 0;
  for (char c : text) {
    const std::size_t value = alphabet.find(c);
    if (value == std::string_view::npos) {
      return InvalidArgument(std::string(name) + ": character outside the alphabet");
    }
    buffer = (buffer << bits) | static_cast<std::uint32_t>(value);
    buffered += bits;
    if (buffered >= 8) {
      buffered -= 8;
      out.push_back(static_cast<char>((buffer >> buffered) & 0xFF));
      buffer &= (1u << buffered) - 1;
    }
  }
  if (buffered >= bits) return InvalidArgument(std::string(name) + ": impossible length");
  if (buffer != 0) return InvalidArgument(std::string(name) + ": non-zero trailing bits");
  return out;
}

}  // namespace

std::string Base32Encode(std::string_view bytes) { return EncodeBits(bytes, 5, kBase32Alphabet); }

Result<std::string> Base32Decode(std::string_view text) {
  return DecodeBits(text, 5, kBase32Alphabet, "base32");
}

bool IsBase32Char(char c) { return (c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7'); }

std::string Base64Encode(std::string_view bytes) {
  std::string text = EncodeBits(bytes, 6, kBase64Alphabet);
  text.append((4 - text.size() % 4) % 4, '=');
  return text;
}

std::string Base64UrlEncode(std::string_view bytes) {
  return EncodeBits(bytes, 6, kBase64UrlAlphabet);
}

Result<std::string> Base64UrlDecode(std::string_view text) {
  return DecodeBits(text, 6, kBase64UrlAlphabet, "base64url");
}

std::string HexEncode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(bytes.size() * 2);
  for (char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    hex.push_back(kDigits[b >> 4]);
    hex.push_back(kDigits[b & 0xF]);
  }
  return hex;
}

Result<std::string> HexDecode(std::string_view text) {
  if (text.size() % 2 != 0) return InvalidArgument("hex: odd length");
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size() / 2);
  for (std::size_t i = 0; i < text.size(); i += 2) {
    const int high = nibble(text[i]);
    const int low = nibble(text[i + 1]);
    if (high < 0 || low < 0) return InvalidArgument("hex: character outside 0-9a-fA-F");
    out.push_back(static_cast<char>((high << 4) | low));
  }
  return out;
}

}  // namespace kiosk_edge
