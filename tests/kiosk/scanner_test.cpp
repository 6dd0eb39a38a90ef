// The scanner pipeline's parts: frame conversions, the inverted-image retry, JPEG encoding, and
// `kioskctl decode` (its output format, escaping and exit status).
#include "kiosk/scanner/scanner.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "agent/kioskctl.hpp"
#include "agent/kioskctl_decode.hpp"
#include "kiosk/qr/qr_code.hpp"
#include "kiosk/qr/qr_render.hpp"
#include "kiosk/scanner/frame.hpp"
#include "kiosk/scanner/image_files.hpp"
#include "support/temp_dir.hpp"

namespace kiosk_edge {
namespace {

using testing::TempDir;

constexpr std::string_view kUrl = "HTTP://KIOSK.LOCAL/C/EL3-POSTER-V2.AFKDCC53CHMF72NRJ";

GreyImage RenderedCode(std::string_view text, int pixels_per_module = 4) {
  auto qr = EncodeQr(text, QrErrorCorrection::kMedium);
  EXPECT_TRUE(qr) << qr.error().message();
  return qr ? RasteriseQr(*qr, pixels_per_module) : GreyImage{};
}

TEST(ScannerTest, PlainStepReadsARenderedCode) {
  const ScanResult result = ScanFrame(RenderedCode(kUrl));
  EXPECT_EQ(result.texts, std::vector<std::string>{std::string(kUrl)});
  EXPECT_EQ(result.steps_tried, 1);
}

// A dark-mode wallet shows the code white on black. ZXing-C++ 1.4 has no tryInvert: only the
// pipeline's inverted retry reads it.
TEST(ScannerTest, InvertedCodeIsReadOnlyThanksToTheInvertedRetry) {
  const GreyImage inverted = InvertGrey(RenderedCode(kUrl));
  ASSERT_GT(inverted.width, 0);
  EXPECT_TRUE(DecodeQrCodes(inverted).empty());
  EXPECT_TRUE(ScanWithStep(inverted, ScanStep::kPlain).empty());

  std::vector<ScanStep> without_inverted;
  for (const ScanStep step : DefaultScanSteps()) {
    if (step != ScanStep::kInverted) without_inverted.push_back(step);
  }
  EXPECT_TRUE(ScanFrame(inverted, without_inverted).texts.empty());

  const ScanResult result = ScanFrame(inverted);
  EXPECT_EQ(result.texts, std::vector<std::string>{std::string(kUrl)});
  const auto steps = DefaultScanSteps();
  ASSERT_GE(result.steps_tried, 1);
  EXPECT_EQ(steps[static_cast<std::size_t>(result.steps_tried - 1)], ScanStep::kInverted);
}

TEST(ScannerTest, InvalidFramesReadNothing) {
  EXPECT_TRUE(ScanFrame(GreyImage{}).texts.empty());
  EXPECT_TRUE(ScanFrame(GreyImage{10, 10, std::vector<std::uint8_t>(50, 0)}).texts.empty());
  EXPECT_TRUE(ScanFrame(GreyImage{-1, 10, {}}).texts.empty());
}

TEST(FrameTest, RgbAndYuyvFramesBecomeGreyAndDecode) {
  const GreyImage grey = RenderedCode(kUrl);
  const auto w = static_cast<std::size_t>(grey.width);
  const auto h = static_cast<std::size_t>(grey.height);

  // RGB with a padded stride: a dark module in pure blue-ish ink still reads as dark.
  const std::size_t rgb_stride = w * 3 + 5;
  std::vector<std::uint8_t> rgb(rgb_stride * h, 0xAB);
  for (std::size_t y = 0; y < h; ++y) {
    for (std::size_t x = 0; x < w; ++x) {
      const std::uint8_t v = grey.pixels[y * w + x];
      std::uint8_t* p = &rgb[y * rgb_stride + x * 3];
      p[0] = v;
      p[1] = v;
      p[2] = v == 0 ? std::uint8_t{60} : v;
    }
  }
  const GreyImage from_rgb = RgbToGrey(rgb, grey.width, grey.height, rgb_stride);
  ASSERT_EQ(from_rgb.width, grey.width);
  EXPECT_EQ(from_rgb.pixels[0], 255);
  EXPECT_EQ(ScanFrame(from_rgb).texts, std::vector<std::string>{std::string(kUrl)});

  // YUYV: luma at the even bytes, chroma (here 128 and 90) at the odd ones.
  std::vector<std::uint8_t> yuyv(w * h * 2);
  for (std::size_t i = 0; i < w * h; ++i) {
    yuyv[i * 2] = grey.pixels[i];
    yuyv[i * 2 + 1] = i % 2 == 0 ? 128 : 90;
  }
  const GreyImage from_yuyv = YuyvToGrey(yuyv, grey.width, grey.height);
  EXPECT_EQ(from_yuyv.pixels, grey.pixels);
  EXPECT_EQ(ScanFrame(from_yuyv).texts, std::vector<std::string>{std::string(kUrl)});

  // Buffers too small for the size give an empty image.
  EXPECT_EQ(RgbToGrey(std::span(rgb).first(10), grey.width, grey.height).width, 0);
  EXPECT_EQ(YuyvToGrey(std::span(yuyv).first(10), grey.width, grey.height).width, 0);
}

TEST(FrameTest, RotateTurnsClockwise) {
  // 3 x 2:  1 2 3      turned clockwise (2 x 3):  4 1
  //         4 5 6                                 5 2
  //                                               6 3
  const GreyImage image{3, 2, {1, 2, 3, 4, 5, 6}};
  const GreyImage turned = RotateGrey(image, 1);
  EXPECT_EQ(turned.width, 2);
  EXPECT_EQ(turned.height, 3);
  EXPECT_EQ(turned.pixels, (std::vector<std::uint8_t>{4, 1, 5, 2, 6, 3}));
  EXPECT_EQ(RotateGrey(image, 2).pixels, (std::vector<std::uint8_t>{6, 5, 4, 3, 2, 1}));
  EXPECT_EQ(RotateGrey(image, 3).pixels, (std::vector<std::uint8_t>{3, 6, 2, 5, 1, 4}));
  EXPECT_EQ(RotateGrey(image, -1).pixels, RotateGrey(image, 3).pixels);
  EXPECT_EQ(RotateGrey(image, 4).pixels, image.pixels);
}

TEST(ImageFilesTest, RendersOwnPngAndRejectsOtherData) {
  auto qr = EncodeQr(kUrl, QrErrorCorrection::kQuartile);
  ASSERT_TRUE(qr);
  auto png = RenderPng(*qr, 3);
  ASSERT_TRUE(png) << png.error().message();
  auto image = DecodeImageBytes(*png);
  ASSERT_TRUE(image) << image.error().message();
  EXPECT_EQ(image->pixels, RasteriseQr(*qr, 3).pixels);
  EXPECT_FALSE(DecodeImageBytes("GIF89a....."));
  EXPECT_FALSE(DecodeImageBytes(std::string("\xff\xd8\xff\xe0 truncated", 15)));
  EXPECT_FALSE(DecodeImageBytes(png->substr(0, png->size() / 2)));
  EXPECT_FALSE(LoadImageFile("/nonexistent/kiosk-edge/none.png"));
}

// The counter page posts camera frames as JPEG; tests and benchmarks compress frames the same
// way. A JPEG of a code must still read, and bad arguments are refused, not clamped.
TEST(ImageFilesTest, EncodeJpegRoundTripsAndRefusesBadArguments) {
  const GreyImage code = RenderedCode(kUrl, 4);
  ASSERT_GT(code.width, 0);
  auto good = EncodeJpeg(code, 90);
  ASSERT_TRUE(good) << good.error().message();
  ASSERT_GE(good->size(), 4u);
  EXPECT_EQ(static_cast<unsigned char>((*good)[0]), 0xff);
  EXPECT_EQ(static_cast<unsigned char>((*good)[1]), 0xd8);
  auto decoded = DecodeImageBytes(*good);
  ASSERT_TRUE(decoded) << decoded.error().message();
  ASSERT_EQ(decoded->width, code.width);
  ASSERT_EQ(decoded->height, code.height);
  long difference = 0;
  for (std::size_t i = 0; i < code.pixels.size(); ++i) {
    difference += std::abs(int{decoded->pixels[i]} - int{code.pixels[i]});
  }
  EXPECT_LE(static_cast<double>(difference) / static_cast<double>(code.pixels.size()), 4.0);
  EXPECT_EQ(ScanFrame(*decoded).texts, std::vector<std::string>{std::string(kUrl)});

  // Lower quality, smaller file; still a JPEG that reads.
  auto poor = EncodeJpeg(code, 30);
  ASSERT_TRUE(poor) << poor.error().message();
  EXPECT_LT(poor->size(), good->size());
  auto poor_decoded = DecodeImageBytes(*poor);
  ASSERT_TRUE(poor_decoded);
  EXPECT_EQ(ScanFrame(*poor_decoded).texts, std::vector<std::string>{std::string(kUrl)});

  for (const int quality : {0, -5, 101}) {
    auto refused = EncodeJpeg(code, quality);
    ASSERT_FALSE(refused) << quality;
    EXPECT_EQ(refused.error().kind(), ErrorKind::kInvalidArgument);
  }
  auto empty = EncodeJpeg(GreyImage{}, 80);
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().kind(), ErrorKind::kInvalidArgument);
  auto short_buffer = EncodeJpeg(GreyImage{10, 10, std::vector<std::uint8_t>(50, 0)}, 80);
  ASSERT_FALSE(short_buffer);
  EXPECT_EQ(short_buffer.error().kind(), ErrorKind::kInvalidArgument);
}

TEST(KioskctlDecodeTest, EscapesBackslashNewlineReturnAndTab) {
  EXPECT_EQ(EscapeDecodedText("plain text"), "plain text");
  EXPECT_EQ(EscapeDecodedText("a\\b\nc\rd\te"), "a\\\\b\\nc\\rd\\te");
  EXPECT_EQ(EscapeDecodedText("\\n"), "\\\\n");
  EXPECT_EQ(EscapeDecodedText(""), "");
  EXPECT_EQ(EscapeDecodedText("caf\xc3\xa9"), "caf\xc3\xa9");
}

int Kioskctl(std::vector<std::string> args, std::string& out, std::string& err) {
  std::vector<std::string_view> views(args.begin(), args.end());
  std::ostringstream out_stream;
  std::ostringstream err_stream;
  const int status = RunKioskctl(views, out_stream, err_stream);
  out = out_stream.str();
  err = err_stream.str();
  return status;
}

TEST(KioskctlDecodeTest, PrintsFileTabTextPerCodeAndNothingForAnImageWithout) {
  TempDir dir;
  const std::string tricky = "line1\nline2\r\ttab \\ end";
  auto qr = EncodeQr(tricky, QrErrorCorrection::kMedium);
  ASSERT_TRUE(qr) << qr.error().message();
  auto png = RenderPng(*qr, 4);
  ASSERT_TRUE(png);
  const std::string code_file = (dir / "code.png").string();
  std::ofstream(code_file, std::ios::binary) << *png;

  // A blank white image: readable, no code.
  auto blank_qr = EncodeQr("x", QrErrorCorrection::kMedium);
  ASSERT_TRUE(blank_qr);
  std::fill(blank_qr->modules.begin(), blank_qr->modules.end(), std::uint8_t{0});
  auto blank_png = RenderPng(*blank_qr, 4);
  ASSERT_TRUE(blank_png);
  const std::string blank_file = (dir / "blank.png").string();
  std::ofstream(blank_file, std::ios::binary) << *blank_png;

  std::string out;
  std::string err;
  EXPECT_EQ(Kioskctl({"decode", code_file, blank_file}, out, err), 0) << err;
  EXPECT_EQ(out, code_file + "\tline1\\nline2\\r\\ttab \\\\ end\n");
  EXPECT_EQ(err, "");

  const std::string missing = (dir / "missing.png").string();
  const std::string not_an_image = (dir / "notes.txt").string();
  std::ofstream(not_an_image) << "hello";
  EXPECT_EQ(Kioskctl({"decode", missing, code_file, not_an_image}, out, err), 1);
  EXPECT_EQ(out, code_file + "\tline1\\nline2\\r\\ttab \\\\ end\n");
  EXPECT_NE(err.find(missing), std::string::npos) << err;
  EXPECT_NE(err.find(not_an_image), std::string::npos) << err;

  EXPECT_EQ(Kioskctl({"decode"}, out, err), 2);
}

}  // namespace
}  // namespace kiosk_edge
