#include "common/crypto.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/hex.hpp"

namespace kiosk_edge {
namespace {

using testing::Hex;

std::string FlipBit(std::string s, std::size_t bit) {
  s[bit / 8] = static_cast<char>(s[bit / 8] ^ (1 << (bit % 8)));
  return s;
}

// ---- HMAC-SHA256: RFC 4231 section 4 ----

TEST(CryptoTest, HmacSha256MatchesRfc4231) {
  struct Case {
    std::string key, data, mac_hex;
  };
  const std::vector<Case> cases = {
      {std::string(20, '\x0b'), "Hi There",
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {"Jefe", "what do ya want for nothing?",
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {std::string(20, '\xaa'), std::string(50, '\xdd'),
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
      {Hex("0102030405060708090a0b0c0d0e0f10111213141516171819"), std::string(50, '\xcd'),
       "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
      {std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First",
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      {std::string(131, '\xaa'),
       "This is a test using a larger than block-size key and a larger than block-size data. The "
       "key needs to be hashed before being used by the HMAC algorithm.",
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(HexEncode(HmacSha256(cases[i].key, cases[i].data)), cases[i].mac_hex) << "case " << i;
  }
  // Test case 5: the RFC gives only the first 128 bits.
  EXPECT_EQ(HexEncode(HmacSha256(std::string(20, '\x0c'), "Test With Truncation").substr(0, 16)),
            "a3b6167473100ee06e0c796c2955552b");
}

TEST(CryptoTest, HmacSha256AcceptsEmptyKeyAndData) {
  EXPECT_EQ(HexEncode(HmacSha256("", "")),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(CryptoTest, ConstantTimeEqualComparesWholeStrings) {
  EXPECT_TRUE(ConstantTimeEqual("", ""));
  EXPECT_TRUE(ConstantTimeEqual(std::string("a\0b", 3), std::string("a\0b", 3)));
  EXPECT_FALSE(ConstantTimeEqual(std::string("a\0b", 3), std::string("a\0c", 3)));
  EXPECT_FALSE(ConstantTimeEqual("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEqual("abc", "ab"));
  EXPECT_FALSE(ConstantTimeEqual("", "a"));
}

// ---- HKDF-SHA256: RFC 5869 appendix A ----

TEST(CryptoTest, HkdfSha256MatchesRfc5869TestCase1) {
  auto okm = HkdfSha256(std::string(22, '\x0b'), Hex("000102030405060708090a0b0c"),
                        Hex("f0f1f2f3f4f5f6f7f8f9"), 42);
  ASSERT_TRUE(okm) << okm.error().message();
  EXPECT_EQ(HexEncode(*okm),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}

TEST(CryptoTest, HkdfSha256MatchesRfc5869TestCase3WithEmptySaltAndInfo) {
  auto okm = HkdfSha256(std::string(22, '\x0b'), "", "", 42);
  ASSERT_TRUE(okm) << okm.error().message();
  EXPECT_EQ(HexEncode(*okm),
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
}

TEST(CryptoTest, HkdfSha256RefusesImpossibleRequests) {
  EXPECT_FALSE(HkdfSha256("", "salt", "info", 32));
  EXPECT_FALSE(HkdfSha256("secret", "salt", "info", 0));
  EXPECT_FALSE(HkdfSha256("secret", "salt", "info", 255 * 32 + 1));
  EXPECT_TRUE(HkdfSha256("secret", "salt", "info", 255 * 32));
}

TEST(CryptoTest, RandomBytesHaveTheLengthAskedAndDiffer) {
  auto a = RandomBytes(32);
  auto b = RandomBytes(32);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->size(), 32u);
  EXPECT_NE(*a, *b);
  EXPECT_EQ(RandomBytes(0)->size(), 0u);
}

// ---- X25519: RFC 7748 section 6.1 ----

TEST(CryptoTest, X25519MatchesRfc7748) {
  const std::string alice_private =
      Hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  const std::string bob_private =
      Hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
  auto alice_public = X25519PublicKey(alice_private);
  auto bob_public = X25519PublicKey(bob_private);
  ASSERT_TRUE(alice_public && bob_public);
  EXPECT_EQ(HexEncode(*alice_public),
            "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  EXPECT_EQ(HexEncode(*bob_public),
            "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
  const std::string expected = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
  auto alice_shared = X25519SharedSecret(alice_private, *bob_public);
  auto bob_shared = X25519SharedSecret(bob_private, *alice_public);
  ASSERT_TRUE(alice_shared && bob_shared);
  EXPECT_EQ(HexEncode(*alice_shared), expected);
  EXPECT_EQ(HexEncode(*bob_shared), expected);
}

TEST(CryptoTest, GeneratedX25519KeyPairsAgree) {
  auto a = GenerateX25519KeyPair();
  auto b = GenerateX25519KeyPair();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->private_key.size(), 32u);
  EXPECT_EQ(a->public_key.size(), 32u);
  EXPECT_NE(a->private_key, b->private_key);
  EXPECT_EQ(*X25519PublicKey(a->private_key), a->public_key);
  EXPECT_EQ(*X25519SharedSecret(a->private_key, b->public_key),
            *X25519SharedSecret(b->private_key, a->public_key));
}

TEST(CryptoTest, X25519RefusesSmallOrderPeerKeysAndWrongSizes) {
  auto pair = GenerateX25519KeyPair();
  ASSERT_TRUE(pair);
  // 0 and 1 are points of small order: every private key gives the all-zero shared secret.
  const std::string zero(32, '\0');
  std::string one(32, '\0');
  one[0] = 1;
  for (const std::string& peer : {zero, one}) {
    auto shared = X25519SharedSecret(pair->private_key, peer);
    ASSERT_FALSE(shared);
    EXPECT_EQ(shared.error().kind(), ErrorKind::kInvalidArgument);
  }
  EXPECT_FALSE(X25519SharedSecret(pair->private_key, pair->public_key.substr(0, 31)));
  EXPECT_FALSE(X25519SharedSecret(pair->private_key.substr(1), pair->public_key));
  EXPECT_FALSE(X25519PublicKey(std::string(33, 'k')));
}

TEST(CryptoTest, LoadedX25519PrivateKeyMatchesRfc7748AndRefusesWhatTheFunctionsRefuse) {
  auto alice = X25519PrivateKey::Load(
      Hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
  ASSERT_TRUE(alice) << alice.error().message();
  EXPECT_EQ(HexEncode(alice->public_key()),
            "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  const std::string bob_public =
      Hex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
  for (int use = 0; use < 3; ++use) {  // the loaded key serves many agreements
    auto shared = alice->SharedSecret(bob_public);
    ASSERT_TRUE(shared) << shared.error().message();
    EXPECT_EQ(HexEncode(*shared),
              "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
  }
  std::string one(32, '\0');
  one[0] = 1;
  for (const std::string& peer : {std::string(32, '\0'), one, bob_public.substr(0, 31)}) {
    auto shared = alice->SharedSecret(peer);
    ASSERT_FALSE(shared);
    EXPECT_EQ(shared.error().kind(), ErrorKind::kInvalidArgument);
  }
  auto moved = std::move(*alice);
  EXPECT_EQ(HexEncode(*moved.SharedSecret(bob_public)),
            "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
  EXPECT_FALSE(X25519PrivateKey::Load(std::string(31, 'k')));
}

// ---- AES-256-GCM ----

TEST(CryptoTest, Aes256GcmMatchesGcmSpecTestCase14) {
  // McGrew & Viega, "The Galois/Counter Mode of Operation", test case 14.
  auto sealed =
      Aes256GcmSeal(std::string(32, '\0'), std::string(12, '\0'), std::string(16, '\0'), "");
  ASSERT_TRUE(sealed) << sealed.error().message();
  EXPECT_EQ(HexEncode(*sealed), "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919");
}

class AesGcmTamperTest : public ::testing::Test {
 protected:
  const std::string key_ = Hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
  const std::string nonce_ = Hex("cafebabefacedbaddecaf888");
  const std::string plaintext_ = "name=Zhang Wei;phone=+8613800000000";
  const std::string aad_ = "signup.contact";
  std::string sealed_;

  void SetUp() override {
    auto sealed = Aes256GcmSeal(key_, nonce_, plaintext_, aad_);
    ASSERT_TRUE(sealed) << sealed.error().message();
    sealed_ = *sealed;
  }

  void ExpectRefused(std::string_view key, std::string_view nonce, std::string_view sealed,
                     std::string_view aad, const std::string& what) {
    auto opened = Aes256GcmOpen(key, nonce, sealed, aad);
    ASSERT_FALSE(opened) << what << " was accepted";
    EXPECT_EQ(opened.error().kind(), ErrorKind::kInvalidArgument) << what;
  }
};

TEST_F(AesGcmTamperTest, RoundTripsAndHidesThePlaintext) {
  EXPECT_EQ(sealed_.size(), plaintext_.size() + kAesGcmTagSize);
  EXPECT_EQ(sealed_.find("Zhang"), std::string::npos);
  auto opened = Aes256GcmOpen(key_, nonce_, sealed_, aad_);
  ASSERT_TRUE(opened) << opened.error().message();
  EXPECT_EQ(*opened, plaintext_);
  auto empty = Aes256GcmSeal(key_, nonce_, "", "");
  ASSERT_TRUE(empty);
  EXPECT_EQ(*Aes256GcmOpen(key_, nonce_, *empty, ""), "");
}

TEST_F(AesGcmTamperTest, EveryCiphertextAndTagBitFlipIsRefused) {
  for (std::size_t bit = 0; bit < sealed_.size() * 8; ++bit) {
    ExpectRefused(key_, nonce_, FlipBit(sealed_, bit), aad_, "sealed bit " + std::to_string(bit));
  }
  auto opened = Aes256GcmOpen(key_, nonce_, FlipBit(sealed_, 0), aad_);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().message(), "authentication failed");
}

TEST_F(AesGcmTamperTest, EveryAadNonceAndKeyBitFlipIsRefused) {
  for (std::size_t bit = 0; bit < aad_.size() * 8; ++bit) {
    ExpectRefused(key_, nonce_, sealed_, FlipBit(aad_, bit), "aad bit " + std::to_string(bit));
  }
  for (std::size_t bit = 0; bit < nonce_.size() * 8; ++bit) {
    ExpectRefused(key_, FlipBit(nonce_, bit), sealed_, aad_, "nonce bit " + std::to_string(bit));
  }
  for (std::size_t bit = 0; bit < key_.size() * 8; ++bit) {
    ExpectRefused(FlipBit(key_, bit), nonce_, sealed_, aad_, "key bit " + std::to_string(bit));
  }
}

TEST_F(AesGcmTamperTest, TruncatedExtendedOrMissingAadIsRefused) {
  ExpectRefused(key_, nonce_, sealed_.substr(0, sealed_.size() - 1), aad_, "truncated");
  ExpectRefused(key_, nonce_, sealed_.substr(0, kAesGcmTagSize - 1), aad_, "shorter than a tag");
  ExpectRefused(key_, nonce_, "", aad_, "empty");
  ExpectRefused(key_, nonce_, sealed_ + '\0', aad_, "extended");
  ExpectRefused(key_, nonce_, sealed_, "", "aad dropped");
  ExpectRefused(key_, nonce_, sealed_, aad_ + "x", "aad extended");
}

TEST_F(AesGcmTamperTest, WrongKeyOrNonceSizesAreRefused) {
  EXPECT_FALSE(Aes256GcmSeal(key_.substr(0, 16), nonce_, plaintext_, aad_));
  EXPECT_FALSE(Aes256GcmSeal(key_, nonce_.substr(0, 8), plaintext_, aad_));
  EXPECT_FALSE(Aes256GcmOpen(key_.substr(0, 16), nonce_, sealed_, aad_));
  EXPECT_FALSE(Aes256GcmOpen(key_, nonce_ + "1234", sealed_, aad_));
}

// ---- Encodings ----

TEST(CryptoTest, Base32MatchesRfc4648Vectors) {
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"", ""},
      {"f", "MY"},
      {"fo", "MZXQ"},
      {"foo", "MZXW6"},
      {"foob", "MZXW6YQ"},
      {"fooba", "MZXW6YTB"},
      {"foobar", "MZXW6YTBOI"},
  };
  for (const auto& [bytes, text] : vectors) {
    EXPECT_EQ(Base32Encode(bytes), text);
    auto decoded = Base32Decode(text);
    ASSERT_TRUE(decoded) << text << ": " << decoded.error().message();
    EXPECT_EQ(*decoded, bytes);
  }
}

TEST(CryptoTest, Base32RefusesNonCanonicalText) {
  for (std::string_view text : {"my", "My", "MY======", "MY=", "M", "MZX", "MZXW6Y", "MZ", "MZXR",
                                "M1", "M8", "M0", "MY ", " MY", "MZXW6YTBO"}) {
    auto decoded = Base32Decode(text);
    EXPECT_FALSE(decoded) << "accepted \"" << text << "\"";
    if (!decoded) {
      EXPECT_EQ(decoded.error().kind(), ErrorKind::kInvalidArgument);
    }
  }
}

// Each byte string has exactly one accepted base32 text: check every string of 1..3 characters.
TEST(CryptoTest, Base32AcceptsExactlyOneTextPerByteString) {
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::vector<std::string> texts = {""};
  for (std::size_t length = 1; length <= 3; ++length) {
    std::vector<std::string> longer;
    std::size_t accepted = 0;
    for (const std::string& prefix : texts) {
      for (char c : alphabet) {
        std::string text = prefix + c;
        if (auto decoded = Base32Decode(text)) {
          ++accepted;
          EXPECT_EQ(Base32Encode(*decoded), text);
        }
        longer.push_back(std::move(text));
      }
    }
    // Two characters carry one byte; one and three characters are impossible lengths.
    EXPECT_EQ(accepted, length == 2 ? 256u : 0u) << "length " << length;
    texts = std::move(longer);
  }
}

TEST(CryptoTest, Base32RoundTripsEveryByteValue) {
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  for (std::size_t length = 0; length <= all.size(); length += 7) {
    const std::string bytes = all.substr(all.size() - length);
    EXPECT_EQ(*Base32Decode(Base32Encode(bytes)), bytes);
  }
}

TEST(CryptoTest, Base64UrlMatchesRfc4648AndRefusesNonCanonicalText) {
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},          {"foo", "Zm9v"},
      {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}, {"\xfb\xff", "-_8"},
  };
  for (const auto& [bytes, text] : vectors) {
    EXPECT_EQ(Base64UrlEncode(bytes), text);
    auto decoded = Base64UrlDecode(text);
    ASSERT_TRUE(decoded) << text;
    EXPECT_EQ(*decoded, bytes);
  }
  for (std::string_view text : {"Zg==", "Zh", "Z", "Zm9vY", "+/8", "Zm9v YmFy", "Zm9\n"}) {
    EXPECT_FALSE(Base64UrlDecode(text)) << "accepted \"" << text << "\"";
  }
}

TEST(CryptoTest, Base64MatchesRfc4648WithPadding) {
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
      {"\xfb\xff", "+/8="},
  };
  for (const auto& [bytes, text] : vectors) EXPECT_EQ(Base64Encode(bytes), text);
}

TEST(CryptoTest, Sha256MatchesFips180Vectors) {
  EXPECT_EQ(HexEncode(Sha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(HexEncode(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(CryptoTest, HexRoundTripsAndRefusesBadText) {
  EXPECT_EQ(HexEncode(std::string("\x00\x7f\x80\xff", 4)), "007f80ff");
  EXPECT_EQ(*HexDecode("007F80fF"), std::string("\x00\x7f\x80\xff", 4));
  EXPECT_FALSE(HexDecode("abc"));
  EXPECT_FALSE(HexDecode("zz"));
  EXPECT_FALSE(HexDecode("0x12"));
}

}  // namespace
}  // namespace kiosk_edge
