#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "kiosk/scanner/qr_decoder.hpp"

namespace kiosk_edge {

// Camera and file formats to 8-bit grey (ITU-R BT.601 luma). Each returns an empty image (0 x 0)
// when the buffer is too small for `width` x `height` or a size is not positive.

// Packed RGB, 3 bytes per pixel; `stride` bytes per row (0: width * 3).
GreyImage RgbToGrey(std::span<const std::uint8_t> rgb, int width, int height,
                    std::size_t stride = 0);

// Packed YUYV 4:2:2 (Y0 U Y1 V per two pixels); `stride` bytes per row (0: width * 2). The
// luma is the grey value; chroma is dropped.
GreyImage YuyvToGrey(std::span<const std::uint8_t> yuyv, int width, int height,
                     std::size_t stride = 0);

// 255 - v for every pixel: a white-on-black code (dark-mode phone wallets) becomes a normal one.
GreyImage InvertGrey(const GreyImage& image);

// The image turned clockwise by `quarter_turns` * 90 degrees (any integer; negative turns left).
GreyImage RotateGrey(const GreyImage& image, int quarter_turns);

// True when `image` has a positive size and at least width * height pixels.
bool IsValidGrey(const GreyImage& image);

// A quick look for QR finder patterns, cheaper than a decode (a third to a half of one ZXing
// decode of a camera frame without a code): counts the scanned rows (every `row_step`-th, from the
// top) that cross something shaped like a finder pattern's centre: five alternating runs in the
// proportions 1:1:3:1:1 (each outer run 0.4 to 1.8 modules, the middle one 1.8 to 4.5, a
// module being the five runs' length / 7, at least 1 pixel), with the same proportions down the
// column through the middle run and a similar length. Pixels are dark or light against the
// middle of the darkest and lightest values in a window about 1/8 of the shorter side, with
// hysteresis; where that window's contrast is under 24 levels (flat background, sensor noise)
// they are neither, and each run must reach 20 levels from the middle somewhere (JPEG blocks
// and shading in low-contrast windows do not). Details in frame.cpp.
// A code ZXing can read shows about 3 * module / row_step such rows per finder pattern, so few
// or no rows of a polarity means no readable code of that polarity; the converse does not hold
// (text and textures can match). Measured on about 390 random phone-screen frames that ZXing
// read: none had fewer than 2 rows of its code's polarity (tests/kiosk/phone_screen_test.cpp
// checks this on its frames).
// With `enough` > 0 the scan stops as soon as both counts reach it, for callers that only
// compare the counts with a threshold.
struct FinderRows {
  int dark_on_light = 0;  // rows with dark-light-dark-light-dark matches (normal codes)
  int light_on_dark = 0;  // rows with light-dark-light-dark-light matches (dark-mode codes)
};
FinderRows CountFinderRows(const GreyImage& image, int row_step = 2, int enough = 0);

}  // namespace kiosk_edge
