// Ed25519 (RFC 8032) and scrypt (RFC 7914) from common/crypto.hpp.
#include <gtest/gtest.h>

#include <string>

#include "common/crypto.hpp"
#include "support/hex.hpp"

namespace kiosk_edge {
namespace {

using testing::Hex;

struct Rfc8032Case {
  std::string_view private_key, public_key, message, signature;
};
// RFC 8032 section 7.1, tests 1 and 2.
constexpr Rfc8032Case kRfc8032[] = {
    {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
     "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
    {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
     "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
};

TEST(Ed25519Test, MatchesRfc8032Vectors) {
  for (const Rfc8032Case& c : kRfc8032) {
    const std::string private_key = Hex(c.private_key);
    const std::string message = Hex(c.message);
    EXPECT_EQ(HexEncode(Ed25519PublicKey(private_key).value()), c.public_key);
    EXPECT_EQ(HexEncode(Ed25519Sign(private_key, message).value()), c.signature);
    EXPECT_TRUE(Ed25519Verify(Hex(c.public_key), message, Hex(c.signature)));
  }
}

TEST(Ed25519Test, RefusesAnyChangeToMessageSignatureOrKey) {
  const Ed25519KeyPair pair = GenerateEd25519KeyPair().value();
  const Ed25519KeyPair other = GenerateEd25519KeyPair().value();
  const std::string message = "voucher payload";
  const std::string signature = Ed25519Sign(pair.private_key, message).value();
  ASSERT_TRUE(Ed25519Verify(pair.public_key, message, signature));

  for (std::size_t bit = 0; bit < signature.size() * 8; ++bit) {
    std::string flipped = signature;
    flipped[bit / 8] = static_cast<char>(flipped[bit / 8] ^ (1 << (bit % 8)));
    EXPECT_FALSE(Ed25519Verify(pair.public_key, message, flipped)) << "signature bit " << bit;
  }
  EXPECT_FALSE(Ed25519Verify(pair.public_key, "voucher payloaD", signature));
  EXPECT_FALSE(Ed25519Verify(other.public_key, message, signature));
  EXPECT_FALSE(Ed25519Verify(pair.public_key, message, signature.substr(1)));
  EXPECT_FALSE(Ed25519Verify(pair.public_key.substr(1), message, signature));
  EXPECT_FALSE(Ed25519Verify(std::string(32, '\0'), message, std::string(64, '\0')));
}

TEST(Ed25519Test, GeneratedKeysDifferAndRoundTripThroughPem) {
  const Ed25519KeyPair a = GenerateEd25519KeyPair().value();
  const Ed25519KeyPair b = GenerateEd25519KeyPair().value();
  EXPECT_NE(a.private_key, b.private_key);
  EXPECT_EQ(Ed25519PublicKey(a.private_key).value(), a.public_key);

  const std::string pem = Ed25519PrivateKeyToPem(a.private_key).value();
  EXPECT_TRUE(pem.starts_with("-----BEGIN PRIVATE KEY-----\n")) << pem;
  EXPECT_EQ(Ed25519PrivateKeyFromPem(pem).value(), a.private_key);

  EXPECT_FALSE(Ed25519PrivateKeyFromPem("not pem"));
  EXPECT_FALSE(Ed25519PrivateKeyFromPem(pem.substr(0, pem.size() / 2)));
  EXPECT_FALSE(Ed25519Sign("short", "m"));
}

TEST(ScryptTest, MatchesRfc7914Vector) {
  // RFC 7914 section 12, the second vector (N = 1024, r = 8, p = 16).
  EXPECT_EQ(HexEncode(Scrypt("password", "NaCl", 10, 8, 16, 64).value()),
            "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
            "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640");
}

TEST(ScryptTest, RefusesParametersOutOfRange) {
  EXPECT_FALSE(Scrypt("pin", "salt", 0, 8, 1, 32));
  EXPECT_FALSE(Scrypt("pin", "salt", 31, 8, 1, 32));
  EXPECT_FALSE(Scrypt("pin", "salt", 14, 0, 1, 32));
  EXPECT_FALSE(Scrypt("pin", "salt", 22, 8, 1, 32));  // 512 MiB: over the memory cap
  EXPECT_TRUE(Scrypt("", "salt", 4, 8, 1, 32));
}

}  // namespace
}  // namespace kiosk_edge
