#include "common/pii_seal.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/crypto.hpp"

namespace kiosk_edge {
namespace {

class PiiSealTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto hq = GenerateX25519KeyPair();
    ASSERT_TRUE(hq) << hq.error().message();
    hq_ = *hq;
  }

  std::string Seal(std::string_view plaintext, std::string_view context) {
    auto sealed = SealForHq(hq_.public_key, plaintext, context);
    EXPECT_TRUE(sealed) << sealed.error().message();
    return sealed ? *sealed : std::string();
  }

  void ExpectRefused(std::string_view private_key, std::string_view sealed,
                     std::string_view context, const std::string& what) {
    auto opened = OpenSealed(private_key, sealed, context);
    ASSERT_FALSE(opened) << what << " opened";
    EXPECT_EQ(opened.error().kind(), ErrorKind::kInvalidArgument) << what;
  }

  X25519KeyPair hq_;
};

TEST_F(PiiSealTest, SealedValuesOpenWithHqsKeyAndContext) {
  for (std::string_view plaintext :
       {std::string_view("\xe5\xbc\xa0\xe4\xbc\x9f"),  // 张伟
        std::string_view("+8613800138000"), std::string_view(""), std::string_view("a\0b", 3)}) {
    const std::string sealed = Seal(plaintext, "signup.name");
    EXPECT_EQ(sealed.rfind("S1.", 0), 0u);
    auto opened = OpenSealed(hq_.private_key, sealed, "signup.name");
    ASSERT_TRUE(opened) << opened.error().message();
    EXPECT_EQ(*opened, plaintext);
  }
}

TEST_F(PiiSealTest, SealedTextIsJsonAndUrlSafe) {
  const std::string sealed = Seal("\xe5\xbc\xa0\xe4\xbc\x9f", "signup.name");
  EXPECT_EQ(sealed.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                     "0123456789-_."),
            std::string::npos)
      << sealed;
  // Prefix, then 32 + 12 + 6 + 16 bytes in base64url without padding.
  EXPECT_EQ(sealed.size(), 3 + (66 * 4 + 2) / 3);
}

TEST_F(PiiSealTest, WrongPrivateKeyFails) {
  const std::string sealed = Seal("+8613800138000", "signup.phone");
  auto stranger = GenerateX25519KeyPair();
  ASSERT_TRUE(stranger);
  ExpectRefused(stranger->private_key, sealed, "signup.phone", "stranger's key");
  auto opened = OpenSealed(stranger->private_key, sealed, "signup.phone");
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().message(), "authentication failed");
  ExpectRefused(hq_.private_key.substr(1), sealed, "signup.phone", "short key");
}

TEST_F(PiiSealTest, WrongContextFails) {
  const std::string sealed = Seal("+8613800138000", "signup.phone");
  ExpectRefused(hq_.private_key, sealed, "signup.name", "other field");
  ExpectRefused(hq_.private_key, sealed, "", "no context");
  ExpectRefused(hq_.private_key, sealed, "signup.phone ", "context with a space");
  EXPECT_TRUE(OpenSealed(hq_.private_key, sealed, "signup.phone"));
}

TEST_F(PiiSealTest, EverySingleBitFlipOfTheSealedBlobFails) {
  const std::string sealed = Seal("\xe5\xbc\xa0\xe4\xbc\x9f", "signup.name");
  auto blob = Base64UrlDecode(std::string_view(sealed).substr(3));
  ASSERT_TRUE(blob);
  for (std::size_t bit = 0; bit < blob->size() * 8; ++bit) {
    std::string flipped = *blob;
    flipped[bit / 8] = static_cast<char>(flipped[bit / 8] ^ (1 << (bit % 8)));
    ExpectRefused(hq_.private_key, "S1." + Base64UrlEncode(flipped), "signup.name",
                  "bit " + std::to_string(bit));
  }
}

TEST_F(PiiSealTest, TruncatedOrMalformedSealedTextFails) {
  const std::string sealed = Seal("+8613800138000", "signup.phone");
  for (std::size_t length = 0; length < sealed.size(); ++length) {
    ExpectRefused(hq_.private_key, sealed.substr(0, length), "signup.phone",
                  "truncated to " + std::to_string(length));
  }
  ExpectRefused(hq_.private_key, "S2." + sealed.substr(3), "signup.phone", "unknown version");
  ExpectRefused(hq_.private_key, sealed.substr(3), "signup.phone", "no prefix");
  ExpectRefused(hq_.private_key, sealed + "=", "signup.phone", "padding");
  ExpectRefused(hq_.private_key, sealed + "AAAA", "signup.phone", "extended");
  ExpectRefused(hq_.private_key, std::string(200'000, 'A'), "signup.phone", "huge");
}

TEST_F(PiiSealTest, TwoSealsOfTheSameTextDiffer) {
  std::set<std::string> seen;
  for (int i = 0; i < 20; ++i) seen.insert(Seal("+8613800138000", "signup.phone"));
  EXPECT_EQ(seen.size(), 20u);
}

TEST_F(PiiSealTest, SealedTextRevealsNeitherPlaintextNorItsEncodings) {
  const std::string phone = "+8613800138000";
  const std::string name = "\xe5\xbc\xa0\xe4\xbc\x9f";
  for (const std::string& plaintext : {phone, name}) {
    const std::string sealed = Seal(plaintext, "signup.contact");
    EXPECT_EQ(sealed.find(plaintext), std::string::npos);
    EXPECT_EQ(sealed.find("13800138000"), std::string::npos);
    EXPECT_EQ(sealed.find(HexEncode(plaintext)), std::string::npos);
    EXPECT_EQ(sealed.find(Base64UrlEncode(plaintext)), std::string::npos);
    EXPECT_EQ(sealed.find(Base32Encode(plaintext)), std::string::npos);
  }
}

TEST_F(PiiSealTest, SealRefusesBadHqKeysAndOversizedValues) {
  EXPECT_FALSE(SealForHq(hq_.public_key.substr(0, 31), "x", "c"));
  EXPECT_FALSE(SealForHq(std::string(32, '\0'), "x", "c"));  // small order: a known secret
  EXPECT_FALSE(SealForHq(hq_.public_key, std::string(kMaxSealedPlaintext + 1, 'x'), "c"));
  const std::string largest(kMaxSealedPlaintext, 'x');
  auto sealed = SealForHq(hq_.public_key, largest, "c");
  ASSERT_TRUE(sealed);
  EXPECT_EQ(*OpenSealed(hq_.private_key, *sealed, "c"), largest);
}

TEST_F(PiiSealTest, SealedOpenerOpensManyValuesWithTheKeyLoadedOnce) {
  auto opener = SealedOpener::Create(hq_.private_key);
  ASSERT_TRUE(opener) << opener.error().message();
  EXPECT_EQ(opener->public_key(), hq_.public_key);
  const std::string phone = Seal("+8613800138000", "signup.phone");
  const std::string name = Seal("\xe5\xbc\xa0\xe4\xbc\x9f", "signup.name");
  for (int use = 0; use < 3; ++use) {
    EXPECT_EQ(*opener->Open(phone, "signup.phone"), "+8613800138000");
    EXPECT_EQ(*opener->Open(name, "signup.name"), "\xe5\xbc\xa0\xe4\xbc\x9f");
  }
  // It refuses exactly what OpenSealed refuses, with the same messages.
  auto wrong_context = opener->Open(phone, "signup.name");
  ASSERT_FALSE(wrong_context);
  EXPECT_EQ(wrong_context.error().message(), "authentication failed");
  auto truncated = opener->Open(phone.substr(0, 20), "signup.phone");
  ASSERT_FALSE(truncated);
  EXPECT_EQ(truncated.error().message(), "malformed sealed value");
  auto stranger = GenerateX25519KeyPair();
  ASSERT_TRUE(stranger);
  auto strangers_opener = SealedOpener::Create(stranger->private_key);
  ASSERT_TRUE(strangers_opener);
  auto refused = strangers_opener->Open(phone, "signup.phone");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind(), ErrorKind::kInvalidArgument);
  auto short_key = SealedOpener::Create(hq_.private_key.substr(1));
  ASSERT_FALSE(short_key);
  EXPECT_EQ(short_key.error().kind(), ErrorKind::kInvalidArgument);
}

TEST_F(PiiSealTest, SealedOpenerOpensOnSeveralThreadsAtOnce) {
  auto opener = SealedOpener::Create(hq_.private_key);
  ASSERT_TRUE(opener);
  std::vector<std::string> plaintexts, sealed;
  for (int i = 0; i < 64; ++i) {
    plaintexts.push_back("+86138001380" + std::to_string(10 + i));
    sealed.push_back(Seal(plaintexts.back(), "signup.phone"));
  }
  std::vector<std::string> opened(sealed.size());
  const auto open_every_other = [&](std::size_t first) {
    for (std::size_t i = first; i < sealed.size(); i += 2) {
      auto value = opener->Open(sealed[i], "signup.phone");
      opened[i] = value ? *value : "failed: " + value.error().message();
    }
  };
  std::thread other(open_every_other, 1);
  open_every_other(0);
  other.join();
  EXPECT_EQ(opened, plaintexts);
}

// ---- BlindIndexer ----

TEST(BlindIndexerTest, StableForSameKeyValueAndPurpose) {
  auto indexer = BlindIndexer::Create(std::string(32, 'k'));
  ASSERT_TRUE(indexer);
  const std::string index = indexer->Index("+8613800138000", "phone");
  EXPECT_EQ(index, indexer->Index("+8613800138000", "phone"));
  EXPECT_EQ(index.size(), 52u);
  EXPECT_EQ(index.find("13800138000"), std::string::npos);
  auto again = BlindIndexer::Create(std::string(32, 'k'));
  EXPECT_EQ(again->Index("+8613800138000", "phone"), index);
  // Base32 of HMAC-SHA256(key, "phone\0+8613800138000"): the documented construction.
  EXPECT_EQ(index, Base32Encode(
                       HmacSha256(std::string(32, 'k'), std::string("phone\0+8613800138000", 20))));
}

TEST(BlindIndexerTest, DiffersAcrossKeysPurposesAndValues) {
  auto a = BlindIndexer::Create(std::string(32, 'k'));
  auto b = BlindIndexer::Create(std::string(32, 'l'));
  ASSERT_TRUE(a && b);
  const std::string index = a->Index("+8613800138000", "phone");
  EXPECT_NE(b->Index("+8613800138000", "phone"), index);
  EXPECT_NE(a->Index("+8613800138000", "email"), index);
  EXPECT_NE(a->Index("+8613800138001", "phone"), index);
  // The separator keeps (purpose, value) pairs apart: "ph" + "one..." is not "phone" + "...".
  EXPECT_NE(a->Index("one+8613800138000", "ph"), index);
}

TEST(BlindIndexerTest, IsKeyedNotAPlainHash) {
  auto indexer = BlindIndexer::Create(std::string(32, 'k'));
  ASSERT_TRUE(indexer);
  // An unkeyed construction would match HMAC under an empty key (or any known key).
  EXPECT_NE(indexer->Index("+8613800138000", "phone"),
            Base32Encode(HmacSha256("", std::string("phone\0+8613800138000", 20))));
  EXPECT_FALSE(BlindIndexer::Create(std::string(31, 'k')));
}

}  // namespace
}  // namespace kiosk_edge
