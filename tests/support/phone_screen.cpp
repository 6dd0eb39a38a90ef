// Synthetic camera frames of a phone showing a voucher QR code (see phone_screen.hpp).
//
// The scene is rendered analytically: each frame pixel averages 3 x 3 sample points, each mapped
// into the phone's own coordinates (measured in QR modules from the code's centre) and looked up
// there: the code's modules, the screen around them with a few lines of "text", the phone's body,
// or the counter behind it. That averaging is what a camera's pixels do, and it anti-aliases
// the code at any angle and scale. Random numbers come from std::mt19937_64 (specified exactly
// by the standard) through our own conversions, so frames are identical across standard
// libraries.
#include "support/phone_screen.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include "kiosk/qr/qr_code.hpp"
#include "kiosk/scanner/image_files.hpp"

namespace kiosk_edge::testing {
namespace {

constexpr int kQuietZone = 4;       // modules of white around the symbol, as the voucher page
constexpr int kSamplesPerAxis = 3;  // 3 x 3 sample points per pixel

// Grey levels of the scene before noise.
constexpr double kDarkModule = 28;
constexpr double kLightScreen = 236;
constexpr double kDarkScreen = 16;
constexpr double kLightModuleOnDark = 222;
constexpr double kPhoneBody = 38;

// A double in [0, 1) from the generator's raw output (53 bits).
double Uniform(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

// A standard normal variate (Box-Muller, one of the pair).
double Normal(std::mt19937_64& rng) {
  const double u1 = 1.0 - Uniform(rng);  // (0, 1]: log stays finite
  const double u2 = Uniform(rng);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

// The counter behind the phone: a diagonal gradient plus a few slow random waves (a wood or
// laminate surface, uneven light), never uniform.
class Background {
 public:
  Background(std::mt19937_64& rng, int width, int height)
      : width_(width), height_(height), base_(95 + 40 * Uniform(rng)) {
    for (Wave& wave : waves_) {
      const double angle = 2 * std::numbers::pi * Uniform(rng);
      const double period = 40 + 160 * Uniform(rng);
      wave = {std::cos(angle) / period, std::sin(angle) / period,
              2 * std::numbers::pi * Uniform(rng), 6 + 8 * Uniform(rng)};
    }
  }

  double At(double x, double y) const {
    double v = base_ + 45 * x / width_ - 30 * y / height_;
    for (const Wave& wave : waves_) {
      v += wave.amplitude *
           std::sin(2 * std::numbers::pi * (wave.fx * x + wave.fy * y) + wave.phase);
    }
    return v;
  }

 private:
  struct Wave {
    double fx, fy, phase, amplitude;
  };
  int width_;
  int height_;
  double base_;
  std::array<Wave, 3> waves_{};
};

// The phone in its own coordinates: x to the right, y down, in modules, origin at the code's
// centre. Portrait phone; the code sits a little above the middle of the screen, with bars of
// "text" (the voucher's title and terms) above and below it.
class Phone {
 public:
  Phone(const QrMatrix& qr, bool inverted)
      : qr_(qr),
        inverted_(inverted),
        half_code_((qr.size + 2 * kQuietZone) / 2.0),
        screen_left_(-1.24 * half_code_),
        screen_right_(1.24 * half_code_),
        screen_top_(-1.7 * half_code_),
        screen_bottom_(2.3 * half_code_),
        body_margin_(0.14 * half_code_),
        corner_radius_(0.28 * half_code_) {}

  // Whether (x, y) is on the phone at all; `screen` says whether it is on its screen.
  bool Contains(double x, double y, bool& screen) const {
    screen = x >= screen_left_ && x <= screen_right_ && y >= screen_top_ && y <= screen_bottom_;
    if (screen) return true;
    const double left = screen_left_ - body_margin_;
    const double right = screen_right_ + body_margin_;
    const double top = screen_top_ - 2 * body_margin_;
    const double bottom = screen_bottom_ + 2 * body_margin_;
    if (x < left || x > right || y < top || y > bottom) return false;
    // Rounded corners: within corner_radius_ of the inner rectangle.
    const double cx = std::clamp(x, left + corner_radius_, right - corner_radius_);
    const double cy = std::clamp(y, top + corner_radius_, bottom - corner_radius_);
    return (x - cx) * (x - cx) + (y - cy) * (y - cy) <= corner_radius_ * corner_radius_;
  }

  // The grey level at (x, y), which Contains() reported to be on the screen.
  double Screen(double x, double y) const {
    const double field = inverted_ ? kDarkScreen : kLightScreen;
    const double ink = inverted_ ? kLightModuleOnDark : kDarkModule;
    if (std::abs(x) < half_code_ && std::abs(y) < half_code_) {
      const int mx = static_cast<int>(std::floor(x + half_code_)) - kQuietZone;
      const int my = static_cast<int>(std::floor(y + half_code_)) - kQuietZone;
      const bool dark = mx >= 0 && my >= 0 && mx < qr_.size && my < qr_.size && qr_.Dark(mx, my);
      return dark ? ink : field;
    }
    // Text: lines 1.2 modules tall every 2.5 modules, above and below the code, with gaps
    // between "words" every 7 modules; grey, as anti-aliased small print looks to a camera.
    const bool in_text_band = (y < -half_code_ - 1.5 && y > screen_top_ + 2) ||
                              (y > half_code_ + 1.5 && y < screen_bottom_ - 3);
    const bool in_text_column = x > screen_left_ + 3 && x < screen_right_ - 3;
    if (in_text_band && in_text_column) {
      const double line = std::fmod(y - screen_top_, 2.5);
      const double word = std::fmod(x - screen_left_, 7.0);
      if (line < 1.2 && word > 1.0) return (field + ink) / 2;
    }
    return field;
  }

 private:
  const QrMatrix& qr_;
  bool inverted_;
  double half_code_;
  double screen_left_;
  double screen_right_;
  double screen_top_;
  double screen_bottom_;
  double body_margin_;
  double corner_radius_;
};

// The screen's interference pattern in [0, 1] at frame position (x, y).
double MoirePattern(double x, double y, double period, double angle) {
  const double a1 = angle;
  const double a2 = angle + 1.35;
  const double w1 = std::cos(2 * std::numbers::pi * (x * std::cos(a1) + y * std::sin(a1)) / period);
  const double w2 =
      std::cos(2 * std::numbers::pi * (x * std::cos(a2) + y * std::sin(a2)) / (period * 1.09));
  return 0.5 + 0.25 * w1 + 0.25 * w2;
}

// Separable Gaussian blur with edges clamped; `sigma` > 0.
std::vector<double> GaussianBlur(const std::vector<double>& in, int width, int height,
                                 double sigma) {
  const int radius = static_cast<int>(std::ceil(3 * sigma));
  std::vector<double> kernel(static_cast<std::size_t>(2 * radius + 1));
  double sum = 0;
  for (int i = -radius; i <= radius; ++i) {
    const double k = std::exp(-0.5 * i * i / (sigma * sigma));
    kernel[static_cast<std::size_t>(i + radius)] = k;
    sum += k;
  }
  for (double& k : kernel) k /= sum;
  const auto index = [width](int x, int y) {
    return static_cast<std::size_t>(y) * static_cast<std::size_t>(width) +
           static_cast<std::size_t>(x);
  };
  std::vector<double> rows(in.size());
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      double v = 0;
      for (int i = -radius; i <= radius; ++i) {
        v += kernel[static_cast<std::size_t>(i + radius)] *
             in[index(std::clamp(x + i, 0, width - 1), y)];
      }
      rows[index(x, y)] = v;
    }
  }
  std::vector<double> out(in.size());
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      double v = 0;
      for (int i = -radius; i <= radius; ++i) {
        v += kernel[static_cast<std::size_t>(i + radius)] *
             rows[index(x, std::clamp(y + i, 0, height - 1))];
      }
      out[index(x, y)] = v;
    }
  }
  return out;
}

}  // namespace

std::string RandomVoucherToken(std::mt19937_64& rng) {
  static constexpr std::string_view kBase32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string token = "V1.";
  for (int i = 0; i < 176; ++i) token.push_back(kBase32[rng() % kBase32.size()]);
  return token;
}

Result<GreyImage> RenderPhoneScreen(std::string_view token, const PhoneScreenOptions& options) {
  const int width = options.frame_width;
  const int height = options.frame_height;
  if (width <= 0 || height <= 0 || width > 8192 || height > 8192) {
    return Error(ErrorKind::kInvalidArgument, "phone screen: frame size out of range");
  }
  if (options.jpeg_quality < 0 || options.jpeg_quality > 100) {
    return Error(ErrorKind::kInvalidArgument, "phone screen: jpeg_quality outside 0..100");
  }
  std::mt19937_64 rng(options.seed);
  const Background background(rng, width, height);
  const double moire_angle = 0.2 + 0.4 * Uniform(rng);

  QrMatrix qr;  // stays empty (size 0) for a frame without the phone
  double module_px = 1;
  const bool with_phone = !token.empty();
  if (with_phone) {
    auto encoded = EncodeQr(token, QrErrorCorrection::kMedium);
    if (!encoded) return encoded.error().WithContext("phone screen: voucher QR");
    qr = std::move(*encoded);
    module_px = options.code_fraction * std::min(width, height) / (qr.size + 2 * kQuietZone);
    if (!(options.code_fraction > 0 && options.code_fraction <= 1) || module_px < 1) {
      return Error(ErrorKind::kInvalidArgument,
                   "phone screen: code_fraction must be in (0, 1] with modules >= 1 pixel");
    }
  }
  const Phone phone(qr, options.inverted);

  const double angle = options.rotation_degrees * std::numbers::pi / 180;
  const double cos_a = std::cos(angle);
  const double sin_a = std::sin(angle);
  const double centre_x = options.centre_x * width;
  const double centre_y = options.centre_y * height;

  std::vector<double> frame(static_cast<std::size_t>(width) * static_cast<std::size_t>(height));
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      // The background and the moiré change slowly: one value per pixel, at its centre. The
      // phone's edges and the modules are sampled 3 x 3 times.
      const double behind = background.At(x + 0.5, y + 0.5);
      const double moire =
          options.moire_amplitude > 0
              ? 1 - options.moire_amplitude *
                        MoirePattern(x + 0.5, y + 0.5, options.moire_period, moire_angle)
              : 1.0;
      double sum = 0;
      for (int sy = 0; sy < kSamplesPerAxis; ++sy) {
        for (int sx = 0; sx < kSamplesPerAxis; ++sx) {
          double value = behind;
          if (with_phone) {
            // Frame -> phone: undo the clockwise turn, then the scale.
            const double dx = x + (sx + 0.5) / kSamplesPerAxis - centre_x;
            const double dy = y + (sy + 0.5) / kSamplesPerAxis - centre_y;
            const double px = (cos_a * dx + sin_a * dy) / module_px;
            const double py = (-sin_a * dx + cos_a * dy) / module_px;
            bool on_screen = false;
            if (phone.Contains(px, py, on_screen)) {
              value = on_screen ? phone.Screen(px, py) * moire : kPhoneBody;
            }
          }
          sum += value;
        }
      }
      frame[static_cast<std::size_t>(y) * static_cast<std::size_t>(width) +
            static_cast<std::size_t>(x)] = sum / (kSamplesPerAxis * kSamplesPerAxis);
    }
  }
  if (options.blur_sigma > 0) frame = GaussianBlur(frame, width, height, options.blur_sigma);

  GreyImage image{width, height, std::vector<std::uint8_t>(frame.size())};
  for (std::size_t i = 0; i < frame.size(); ++i) {
    const double noise = options.noise_sigma > 0 ? options.noise_sigma * Normal(rng) : 0;
    image.pixels[i] =
        static_cast<std::uint8_t>(std::clamp(std::lround(frame[i] + noise), 0L, 255L));
  }
  if (options.jpeg_quality > 0) {
    auto jpeg = EncodeJpeg(image, options.jpeg_quality);
    if (!jpeg) return jpeg.error().WithContext("phone screen");
    auto decoded = DecodeImageBytes(*jpeg);
    if (!decoded) return decoded.error().WithContext("phone screen: reading back the JPEG");
    return std::move(*decoded);
  }
  return image;
}

}  // namespace kiosk_edge::testing
