// Voucher codes on a phone screen, as the counter camera sees them (tests/support/phone_screen):
// each transform and a few combinations must read exactly the voucher token with the live steps
// and with the still-photo steps, at 640 x 480 and 1280 x 720; the same scenes without the phone
// must read nothing. Also the live steps' row scan (CountFinderRows) and the renderer itself.
#include "support/phone_screen.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "kiosk/scanner/frame.hpp"
#include "kiosk/scanner/scanner.hpp"

namespace kiosk_edge {
namespace {

using testing::PhoneScreenOptions;
using testing::RandomVoucherToken;
using testing::RenderPhoneScreen;

constexpr std::uint64_t kPhoneScreenSeed = 20261204;

struct Transform {
  std::string name;
  std::function<void(PhoneScreenOptions&)> apply;
};

// One of each transform, then combinations of the harder ones.
std::vector<Transform> Transforms() {
  return {
      {"upright", [](PhoneScreenOptions&) {}},
      {"inverted (dark mode)", [](PhoneScreenOptions& o) { o.inverted = true; }},
      {"rotated 7 degrees", [](PhoneScreenOptions& o) { o.rotation_degrees = 7; }},
      {"rotated 38 degrees", [](PhoneScreenOptions& o) { o.rotation_degrees = 38; }},
      {"rotated 161 degrees", [](PhoneScreenOptions& o) { o.rotation_degrees = 161; }},
      {"small, off centre",
       [](PhoneScreenOptions& o) {
         o.code_fraction = 0.3;
         o.centre_x = 0.3;
         o.centre_y = 0.4;
       }},
      {"large", [](PhoneScreenOptions& o) { o.code_fraction = 0.9; }},
      {"JPEG quality 30", [](PhoneScreenOptions& o) { o.jpeg_quality = 30; }},
      {"JPEG quality 60", [](PhoneScreenOptions& o) { o.jpeg_quality = 60; }},
      {"blur sigma 1.2", [](PhoneScreenOptions& o) { o.blur_sigma = 1.2; }},
      {"moire 30%", [](PhoneScreenOptions& o) { o.moire_amplitude = 0.3; }},
      {"inverted, rotated 23, JPEG 40",
       [](PhoneScreenOptions& o) {
         o.inverted = true;
         o.rotation_degrees = 23;
         o.jpeg_quality = 40;
       }},
      {"small, blur 0.8, JPEG 50",
       [](PhoneScreenOptions& o) {
         o.code_fraction = 0.35;
         o.blur_sigma = 0.8;
         o.jpeg_quality = 50;
       }},
      {"inverted, moire 20%, rotated 300, blur 0.7, JPEG 45",
       [](PhoneScreenOptions& o) {
         o.inverted = true;
         o.moire_amplitude = 0.2;
         o.rotation_degrees = 300;
         o.blur_sigma = 0.7;
         o.jpeg_quality = 45;
       }},
      {"large, rotated 95, moire 25%, JPEG 35",
       [](PhoneScreenOptions& o) {
         o.code_fraction = 0.8;
         o.rotation_degrees = 95;
         o.moire_amplitude = 0.25;
         o.jpeg_quality = 35;
       }},
  };
}

struct FrameSize {
  int width;
  int height;
};
constexpr FrameSize kSizes[] = {{640, 480}, {1280, 720}};

GreyImage MustRender(const std::string& token, const PhoneScreenOptions& options) {
  auto frame = RenderPhoneScreen(token, options);
  EXPECT_TRUE(frame) << frame.error().message();
  return frame ? std::move(*frame) : GreyImage{};
}

TEST(PhoneScreenTest, EveryTransformReadsExactlyTheVoucherWithLiveAndDefaultSteps) {
  std::mt19937_64 rng(kPhoneScreenSeed);
  int cases = 0;
  for (const FrameSize size : kSizes) {
    for (const Transform& transform : Transforms()) {
      PhoneScreenOptions options;
      options.frame_width = size.width;
      options.frame_height = size.height;
      options.seed = rng();
      transform.apply(options);
      const std::string token = RandomVoucherToken(rng);
      const GreyImage frame = MustRender(token, options);
      ASSERT_EQ(frame.width, size.width);
      const std::string where =
          transform.name + " at " + std::to_string(size.width) + "x" + std::to_string(size.height);
      EXPECT_EQ(ScanFrame(frame, LiveScanSteps()).texts, std::vector<std::string>{token})
          << where << ", live steps";
      EXPECT_EQ(ScanFrame(frame, DefaultScanSteps()).texts, std::vector<std::string>{token})
          << where << ", default steps";
      ++cases;
    }
  }
  EXPECT_EQ(cases, 2 * static_cast<int>(Transforms().size()));
}

TEST(PhoneScreenTest, FramesWithoutThePhoneReadNothing) {
  std::mt19937_64 rng(kPhoneScreenSeed + 1);
  for (const FrameSize size : kSizes) {
    for (const Transform& transform : Transforms()) {
      PhoneScreenOptions options;
      options.frame_width = size.width;
      options.frame_height = size.height;
      options.seed = rng();
      transform.apply(options);
      const GreyImage frame = MustRender("", options);
      ASSERT_EQ(frame.width, size.width);
      const std::string where =
          transform.name + " at " + std::to_string(size.width) + "x" + std::to_string(size.height);
      EXPECT_EQ(ScanFrame(frame, LiveScanSteps()).texts, std::vector<std::string>{}) << where;
      EXPECT_EQ(ScanFrame(frame, DefaultScanSteps()).texts, std::vector<std::string>{}) << where;
      // The live steps' cheap rejection is what keeps empty frames fast: the row scan finds too
      // few finder-like rows for either live step to call ZXing.
      const FinderRows rows = CountFinderRows(frame);
      EXPECT_LT(rows.dark_on_light, kLiveMinFinderRows) << where;
      EXPECT_LT(rows.light_on_dark, kLiveMinFinderRows) << where;
    }
  }
}

// The live steps look for ZXing only in the polarity the row scan saw: a light-mode code is
// read by the plain step, a dark-mode one only by the inverted step.
TEST(PhoneScreenTest, RowScanSeesTheCodesPolarity) {
  std::mt19937_64 rng(kPhoneScreenSeed + 2);
  const std::string token = RandomVoucherToken(rng);
  PhoneScreenOptions options;
  options.rotation_degrees = 12;
  const GreyImage light = MustRender(token, options);
  options.inverted = true;
  const GreyImage dark = MustRender(token, options);

  const FinderRows light_rows = CountFinderRows(light);
  const FinderRows dark_rows = CountFinderRows(dark);
  EXPECT_GE(light_rows.dark_on_light, 3);
  EXPECT_GE(dark_rows.light_on_dark, 3);

  EXPECT_EQ(ScanWithStep(light, ScanStep::kLivePlain), std::vector<std::string>{token});
  EXPECT_EQ(ScanWithStep(dark, ScanStep::kLivePlain), std::vector<std::string>{});
  EXPECT_EQ(ScanWithStep(dark, ScanStep::kLiveInverted), std::vector<std::string>{token});
  const ScanResult result = ScanFrame(dark, LiveScanSteps());
  EXPECT_EQ(result.texts, std::vector<std::string>{token});
  EXPECT_EQ(result.steps_tried, 2);
}

TEST(PhoneScreenTest, RowScanFindsNothingInFlatOrNoisyFrames) {
  EXPECT_EQ(CountFinderRows(GreyImage{}).dark_on_light, 0);
  const GreyImage flat{64, 48, std::vector<std::uint8_t>(64 * 48, 200)};
  EXPECT_EQ(CountFinderRows(flat).dark_on_light, 0);
  EXPECT_EQ(CountFinderRows(flat).light_on_dark, 0);
  // Noise of +-10 levels stays under the contrast floor.
  GreyImage noisy = flat;
  std::mt19937_64 rng(kPhoneScreenSeed + 3);
  for (auto& v : noisy.pixels) v = static_cast<std::uint8_t>(190 + rng() % 21);
  EXPECT_EQ(CountFinderRows(noisy).dark_on_light, 0);
  EXPECT_EQ(CountFinderRows(noisy).light_on_dark, 0);
  // One ideal finder pattern, 7 x 7 modules of 4 pixels at (16, 16) on a light 64 x 64 image:
  // rows 24 to 35 cross its 3-module centre in 1:1:3:1:1, and so does the column through it.
  GreyImage finder{64, 64, std::vector<std::uint8_t>(64 * 64, 230)};
  for (int y = 16; y < 44; ++y) {
    for (int x = 16; x < 44; ++x) {
      const int ring = std::max(std::abs((x - 16) / 4 - 3), std::abs((y - 16) / 4 - 3));
      if (ring != 2) finder.pixels[static_cast<std::size_t>(y * 64 + x)] = 20;
    }
  }
  EXPECT_EQ(CountFinderRows(finder, 1).dark_on_light, 12);
  EXPECT_EQ(CountFinderRows(finder, 2).dark_on_light, 6);
  EXPECT_EQ(CountFinderRows(finder, 1).light_on_dark, 0);
  EXPECT_EQ(CountFinderRows(InvertGrey(finder), 1).light_on_dark, 12);
  EXPECT_EQ(CountFinderRows(InvertGrey(finder), 1).dark_on_light, 0);
  // The same rows without the pattern above and below them (stripes, as in text or a barcode):
  // the column check refuses them.
  GreyImage stripes = finder;
  for (int y = 0; y < 64; ++y) {
    for (int x = 0; x < 64; ++x) {
      stripes.pixels[static_cast<std::size_t>(y * 64 + x)] =
          finder.pixels[static_cast<std::size_t>(30 * 64 + x)];
    }
  }
  EXPECT_EQ(CountFinderRows(stripes, 1).dark_on_light, 0);
}

TEST(PhoneScreenTest, RendererIsDeterministicAndChecksItsInputs) {
  std::mt19937_64 rng(kPhoneScreenSeed + 4);
  const std::string token = RandomVoucherToken(rng);
  ASSERT_EQ(token.size(), 179u);
  EXPECT_EQ(token.substr(0, 3), "V1.");
  EXPECT_EQ(token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 3), std::string::npos);

  PhoneScreenOptions options;
  options.frame_width = 320;
  options.frame_height = 240;
  options.code_fraction = 0.9;
  options.jpeg_quality = 50;
  options.blur_sigma = 0.6;
  options.moire_amplitude = 0.2;
  EXPECT_EQ(MustRender(token, options).pixels, MustRender(token, options).pixels);
  PhoneScreenOptions other_seed = options;
  other_seed.seed = options.seed + 1;
  EXPECT_NE(MustRender(token, options).pixels, MustRender(token, other_seed).pixels);

  // The background is never uniform.
  const GreyImage empty = MustRender("", options);
  const auto [lo, hi] = std::minmax_element(empty.pixels.begin(), empty.pixels.end());
  EXPECT_GE(*hi - *lo, 20);

  PhoneScreenOptions bad = options;
  bad.frame_width = 0;
  EXPECT_FALSE(RenderPhoneScreen(token, bad));
  bad = options;
  bad.code_fraction = 0.05;  // modules under a pixel
  EXPECT_FALSE(RenderPhoneScreen(token, bad));
  bad = options;
  bad.jpeg_quality = 101;
  EXPECT_FALSE(RenderPhoneScreen(token, bad));
}

}  // namespace
}  // namespace kiosk_edge
