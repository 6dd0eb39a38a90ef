// The scanner pipeline: a plain ZXing attempt, then retries on transformed frames. ZXing itself
// is reached only through qr_decoder.cpp.
#include "kiosk/scanner/scanner.hpp"

#include <algorithm>
#include <array>

#include "kiosk/scanner/frame.hpp"
#include "kiosk/scanner/qr_decoder.hpp"

namespace kiosk_edge {
namespace {

// Resized by `factor` with bilinear interpolation (pixel centres aligned).
GreyImage Scale(const GreyImage& image, double factor) {
  GreyImage out;
  out.width = static_cast<int>(image.width * factor);
  out.height = static_cast<int>(image.height * factor);
  if (out.width <= 0 || out.height <= 0 || out.width > 8192 || out.height > 8192) return {};
  const auto w = static_cast<std::size_t>(image.width);
  const auto ow = static_cast<std::size_t>(out.width);
  out.pixels.resize(ow * static_cast<std::size_t>(out.height));
  const auto at = [&](int x, int y) {
    return static_cast<double>(
        image.pixels[static_cast<std::size_t>(y) * w + static_cast<std::size_t>(x)]);
  };
  for (int y = 0; y < out.height; ++y) {
    const double sy = std::max(0.0, (y + 0.5) / factor - 0.5);
    const int y0 = std::min(static_cast<int>(sy), image.height - 1);
    const int y1 = std::min(y0 + 1, image.height - 1);
    const double fy = std::min(1.0, sy - y0);
    for (int x = 0; x < out.width; ++x) {
      const double sx = std::max(0.0, (x + 0.5) / factor - 0.5);
      const int x0 = std::min(static_cast<int>(sx), image.width - 1);
      const int x1 = std::min(x0 + 1, image.width - 1);
      const double fx = std::min(1.0, sx - x0);
      const double top = at(x0, y0) * (1 - fx) + at(x1, y0) * fx;
      const double bottom = at(x0, y1) * (1 - fx) + at(x1, y1) * fx;
      out.pixels[static_cast<std::size_t>(y) * ow + static_cast<std::size_t>(x)] =
          static_cast<std::uint8_t>(top * (1 - fy) + bottom * fy + 0.5);
    }
  }
  return out;
}

// Unsharp mask: 2 * v - blur(v), with a 3x3 binomial blur rounded down; the border is kept.
// (Rounding down, a slight brightening, reads one more sample photograph than rounding.)
GreyImage Sharpen(const GreyImage& image) {
  GreyImage out = image;
  const auto w = static_cast<std::size_t>(image.width);
  for (std::size_t y = 1; y + 1 < static_cast<std::size_t>(image.height); ++y) {
    for (std::size_t x = 1; x + 1 < w; ++x) {
      const std::uint8_t* p = &image.pixels[y * w + x];
      const int blur = (p[-w - 1] + 2 * p[-w] + p[-w + 1] + 2 * p[-1] + 4 * p[0] + 2 * p[1] +
                        p[w - 1] + 2 * p[w] + p[w + 1]) /
                       16;
      out.pixels[y * w + x] = static_cast<std::uint8_t>(std::clamp(2 * p[0] - blur, 0, 255));
    }
  }
  return out;
}

constexpr std::array kDefaultSteps = {ScanStep::kPlain, ScanStep::kInverted,
                                      ScanStep::kGlobalHistogram, ScanStep::kUpscale1_5,
                                      ScanStep::kUpscale2Sharpen};

}  // namespace

std::string_view ToString(ScanStep step) {
  switch (step) {
    case ScanStep::kPlain:
      return "plain";
    case ScanStep::kInverted:
      return "inverted";
    case ScanStep::kGlobalHistogram:
      return "global-histogram";
    case ScanStep::kUpscale1_5:
      return "upscale-1.5";
    case ScanStep::kUpscale2Sharpen:
      return "upscale-2-sharpen";
  }
  return "unknown";
}

std::span<const ScanStep> DefaultScanSteps() { return kDefaultSteps; }

std::vector<std::string> ScanWithStep(const GreyImage& frame, ScanStep step) {
  if (!IsValidGrey(frame)) return {};
  switch (step) {
    case ScanStep::kPlain:
      return DecodeQrCodes(frame);
    case ScanStep::kInverted:
      return DecodeQrCodes(InvertGrey(frame));
    case ScanStep::kGlobalHistogram:
      return DecodeQrCodes(frame, QrBinarizer::kGlobalHistogram);
    case ScanStep::kUpscale1_5:
      return DecodeQrCodes(Scale(frame, 1.5));
    case ScanStep::kUpscale2Sharpen:
      return DecodeQrCodes(Sharpen(Scale(frame, 2.0)));
  }
  return {};
}

ScanResult ScanFrame(const GreyImage& frame, std::span<const ScanStep> steps) {
  ScanResult result;
  for (const ScanStep step : steps) {
    ++result.steps_tried;
    result.texts = ScanWithStep(frame, step);
    if (!result.texts.empty()) break;
  }
  return result;
}

}  // namespace kiosk_edge
