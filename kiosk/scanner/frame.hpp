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

}  // namespace kiosk_edge
