#include "kiosk/qr/qr_code.hpp"

#include <gtest/gtest.h>

#include <string>

#include "kiosk/qr/qr_render.hpp"
#include "kiosk/scanner/qr_decoder.hpp"
#include "support/qr_encode.hpp"

namespace kiosk_edge {
namespace {

using testing::kChannelUrl;
using testing::MustEncode;

int VersionOf(const QrMatrix& qr) { return (qr.size - 17) / 4; }

TEST(EncodeQrTest, ShortTextIsVersionOne) {
  const QrMatrix qr = MustEncode("HELLO", QrErrorCorrection::kLow);
  EXPECT_EQ(qr.size, 21);
  EXPECT_EQ(qr.modules.size(), 21u * 21u);
}

TEST(EncodeQrTest, ModulesAreZeroOrOneWithFinderPatternsInThreeCorners) {
  const QrMatrix qr = MustEncode(kChannelUrl, QrErrorCorrection::kMedium);
  ASSERT_GT(qr.size, 0);
  for (std::uint8_t module : qr.modules) ASSERT_LE(module, 1);
  // A finder pattern is a 7x7 dark ring, a white ring and a dark 3x3 centre, at (0,0),
  // (size-7,0) and (0,size-7); this also pins down that 1 means dark.
  const auto expect_finder = [&](int left, int top) {
    for (int y = 0; y < 7; ++y) {
      for (int x = 0; x < 7; ++x) {
        const bool ring = x == 0 || y == 0 || x == 6 || y == 6;
        const bool centre = x >= 2 && x <= 4 && y >= 2 && y <= 4;
        EXPECT_EQ(qr.Dark(left + x, top + y), ring || centre)
            << "finder at (" << left << "," << top << ") module (" << x << "," << y << ")";
      }
    }
  };
  expect_finder(0, 0);
  expect_finder(qr.size - 7, 0);
  expect_finder(0, qr.size - 7);
}

TEST(EncodeQrTest, SizeGrowsWithTextInWholeVersions) {
  int previous_size = 0;
  for (std::size_t length : {1u, 20u, 60u, 150u, 400u, 1000u}) {
    const QrMatrix qr = MustEncode(std::string(length, 'x'), QrErrorCorrection::kMedium);
    EXPECT_EQ((qr.size - 17) % 4, 0) << length;
    EXPECT_GE(VersionOf(qr), 1);
    EXPECT_LE(VersionOf(qr), 40);
    EXPECT_GT(qr.size, previous_size) << "text of " << length << " bytes";
    previous_size = qr.size;
  }
}

TEST(EncodeQrTest, HigherErrorCorrectionNeverShrinksAndHighIsLargerThanLow) {
  const QrMatrix low = MustEncode(kChannelUrl, QrErrorCorrection::kLow);
  const QrMatrix medium = MustEncode(kChannelUrl, QrErrorCorrection::kMedium);
  const QrMatrix quartile = MustEncode(kChannelUrl, QrErrorCorrection::kQuartile);
  const QrMatrix high = MustEncode(kChannelUrl, QrErrorCorrection::kHigh);
  EXPECT_LE(low.size, medium.size);
  EXPECT_LE(medium.size, quartile.size);
  EXPECT_LE(quartile.size, high.size);
  EXPECT_LT(low.size, high.size);
  // Same text, different level: different symbols.
  EXPECT_NE(low.modules, high.modules);
}

TEST(EncodeQrTest, UpperCaseUrlUsesAlphanumericModeAndIsSmaller) {
  std::string lower(kChannelUrl);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (auto level : {QrErrorCorrection::kMedium, QrErrorCorrection::kQuartile}) {
    const QrMatrix upper_qr = MustEncode(kChannelUrl, level);
    const QrMatrix lower_qr = MustEncode(lower, level);
    EXPECT_LT(upper_qr.size, lower_qr.size) << "level " << static_cast<int>(level);
  }
  // 49 alphanumeric characters take 4 + 9 + 270 bits: version 3 (29 modules) at M.
  EXPECT_EQ(MustEncode(kChannelUrl, QrErrorCorrection::kMedium).size, 29);
}

TEST(EncodeQrTest, IsCaseSensitive) {
  const QrMatrix qr = MustEncode("https://Kiosk.Local/c/Mixed", QrErrorCorrection::kMedium);
  const auto texts = DecodeQrCodes(RasteriseQr(qr, 4));
  ASSERT_EQ(texts.size(), 1u);
  EXPECT_EQ(texts[0], "https://Kiosk.Local/c/Mixed");
}

TEST(EncodeQrTest, SameInputGivesSameSymbol) {
  EXPECT_EQ(MustEncode(kChannelUrl, QrErrorCorrection::kQuartile).modules,
            MustEncode(kChannelUrl, QrErrorCorrection::kQuartile).modules);
}

TEST(EncodeQrTest, RefusesEmptyText) {
  auto qr = EncodeQr("", QrErrorCorrection::kMedium);
  ASSERT_FALSE(qr);
  EXPECT_EQ(qr.error().kind(), ErrorKind::kInvalidArgument);
  EXPECT_NE(qr.error().message().find("empty"), std::string::npos) << qr.error().message();
}

TEST(EncodeQrTest, AcceptsTheLimitAndRefusesOneByteMore) {
  const std::string at_limit(kMaxQrTextBytes, 'A');  // alphanumeric: fits version 40 at L
  auto fits = EncodeQr(at_limit, QrErrorCorrection::kLow);
  ASSERT_TRUE(fits) << fits.error().message();
  EXPECT_LE(fits->size, 177);

  auto over = EncodeQr(at_limit + "A", QrErrorCorrection::kLow);
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().kind(), ErrorKind::kInvalidArgument);
  EXPECT_NE(over.error().message().find("2049"), std::string::npos) << over.error().message();
}

TEST(EncodeQrTest, RefusesTextTooLongForTheLevel) {
  // 2,000 8-bit bytes exceed version 40 at H (1,273 bytes) though they are within the limit.
  auto qr = EncodeQr(std::string(2000, 'x'), QrErrorCorrection::kHigh);
  ASSERT_FALSE(qr);
  EXPECT_EQ(qr.error().kind(), ErrorKind::kInvalidArgument);
  EXPECT_NE(qr.error().message().find("does not fit"), std::string::npos) << qr.error().message();
}

TEST(EncodeQrTest, RefusesEmbeddedNul) {
  auto qr = EncodeQr(std::string_view("abc\0def", 7), QrErrorCorrection::kMedium);
  ASSERT_FALSE(qr);
  EXPECT_EQ(qr.error().kind(), ErrorKind::kInvalidArgument);
}

TEST(EncodeQrTest, EncodesAViewThatIsNotNulTerminated) {
  const std::string buffer = "HTTP://KIOSK.LOCAL/C/ABCGARBAGE";
  const std::string_view view(buffer.data(), buffer.size() - 7);
  const auto texts = DecodeQrCodes(RasteriseQr(MustEncode(view, QrErrorCorrection::kMedium), 3));
  ASSERT_EQ(texts.size(), 1u);
  EXPECT_EQ(texts[0], "HTTP://KIOSK.LOCAL/C/ABC");
}

}  // namespace
}  // namespace kiosk_edge
