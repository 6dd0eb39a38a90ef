#include "common/gzip.hpp"

#include <gtest/gtest.h>

#include <string>

#include "common/crypto.hpp"

namespace kiosk_edge {
namespace {

std::string Json(std::size_t events) {
  std::string text = "[";
  for (std::size_t i = 0; i < events; ++i) {
    if (i > 0) text += ',';
    text += R"({"seq":)" + std::to_string(i) + R"(,"type":"scan","payload":"{\"device\":\"ab\"}"})";
  }
  return text + "]";
}

TEST(GzipTest, RoundTripsTextBinaryAndEmptyInput) {
  auto random = RandomBytes(300'000);  // incompressible, spans several zlib chunks
  ASSERT_TRUE(random);
  for (const std::string& original :
       {std::string(), std::string("a"), Json(5'000), *random, std::string(3, '\0')}) {
    auto packed = Gzip(original);
    ASSERT_TRUE(packed) << packed.error().message();
    auto unpacked = Gunzip(*packed, original.size());
    ASSERT_TRUE(unpacked) << unpacked.error().message();
    EXPECT_EQ(*unpacked, original);
  }
}

TEST(GzipTest, WritesAStandardGzipMemberThatCompressesJson) {
  const std::string json = Json(2'000);
  auto packed = Gzip(json, 9);
  ASSERT_TRUE(packed);
  ASSERT_GE(packed->size(), 18u);
  EXPECT_EQ(static_cast<unsigned char>((*packed)[0]), 0x1f) << "gzip magic";
  EXPECT_EQ(static_cast<unsigned char>((*packed)[1]), 0x8b) << "gzip magic";
  EXPECT_LT(packed->size() * 5, json.size()) << "JSON batches should shrink several-fold";
}

TEST(GzipTest, RefusesLevelsOutsideZlibsRange) {
  EXPECT_FALSE(Gzip("x", -1));
  EXPECT_FALSE(Gzip("x", 10));
  EXPECT_TRUE(Gzip("x", 0));
}

TEST(GzipTest, OutputExactlyAtTheLimitIsAcceptedOneByteMoreIsNot) {
  const std::string original(1000, 'z');
  auto packed = Gzip(original);
  ASSERT_TRUE(packed);
  EXPECT_TRUE(Gunzip(*packed, 1000));
  auto over = Gunzip(*packed, 999);
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().kind(), ErrorKind::kInvalidArgument);
  EXPECT_NE(over.error().message().find("more than 999 bytes"), std::string::npos)
      << over.error().message();
}

TEST(GzipTest, ABombIsStoppedAtTheLimit) {
  // 64 MiB of zeros packs into about 64 KiB; the limit stops inflating long before the end.
  const std::string zeros(64 * 1024 * 1024, '\0');
  auto packed = Gzip(zeros, 9);
  ASSERT_TRUE(packed);
  EXPECT_LT(packed->size(), 100'000u);
  auto bomb = Gunzip(*packed, 1024 * 1024);
  ASSERT_FALSE(bomb);
  EXPECT_NE(bomb.error().message().find("more than 1048576 bytes"), std::string::npos);
}

TEST(GzipTest, RefusesTruncatedInputAtEveryLength) {
  auto packed = Gzip(Json(50));
  ASSERT_TRUE(packed);
  for (std::size_t length = 0; length < packed->size(); ++length) {
    auto cut = Gunzip(std::string_view(*packed).substr(0, length), 1 << 20);
    ASSERT_FALSE(cut) << "accepted a member cut to " << length << " bytes";
    EXPECT_EQ(cut.error().kind(), ErrorKind::kInvalidArgument);
  }
}

TEST(GzipTest, RefusesCorruptDataAndBadChecksums) {
  const std::string original = Json(50);
  auto packed = Gzip(original);
  ASSERT_TRUE(packed);
  // Flip one byte in the header, in the deflate data, in the CRC and in the length trailer.
  for (std::size_t at : {std::size_t{0}, std::size_t{2}, packed->size() / 2, packed->size() - 6,
                         packed->size() - 1}) {
    std::string bad = *packed;
    bad[at] = static_cast<char>(bad[at] ^ 0x41);
    auto unpacked = Gunzip(bad, 1 << 20);
    EXPECT_FALSE(unpacked && *unpacked == original) << "flipped byte " << at;
    EXPECT_FALSE(unpacked) << "flipped byte " << at << " still inflated";
  }
  EXPECT_FALSE(Gunzip("not gzip at all", 1 << 20));
}

TEST(GzipTest, RefusesTrailingBytesAndASecondMember) {
  auto packed = Gzip("hello");
  ASSERT_TRUE(packed);
  auto trailing = Gunzip(*packed + "x", 1 << 20);
  ASSERT_FALSE(trailing);
  EXPECT_NE(trailing.error().message().find("trailing data"), std::string::npos)
      << trailing.error().message();
  EXPECT_FALSE(Gunzip(*packed + *packed, 1 << 20));
}

}  // namespace
}  // namespace kiosk_edge
