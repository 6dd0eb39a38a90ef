#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "kiosk/scanner/qr_decoder.hpp"

namespace kiosk_edge {

// Decodes a PNG (zlib; non-interlaced, colour types 0, 2, 4, 6, alpha over white) or a JPEG
// (libjpeg) held in `bytes` to grey. The format is chosen by the file signature.
// kInvalidArgument says what is wrong with the data.
Result<GreyImage> DecodeImageBytes(std::string_view bytes);

// Reads and decodes an image file; kIo when it cannot be read.
Result<GreyImage> LoadImageFile(const std::filesystem::path& path);

// Encodes `image` as a baseline greyscale JPEG (JFIF, one component, libjpeg's standard tables
// scaled to `quality`, 4:4:4 since there is no chroma) and returns the whole file. The counter
// page posts camera frames in this form, and tests and benchmarks compress frames with it.
// DecodeImageBytes reads the result back (lossy: pixels differ by a few levels at quality 90).
// Errors: kInvalidArgument if `image` is not valid (IsValidGrey) or `quality` is outside
// [1, 100]; kInternal if libjpeg fails. Thread-safe.
Result<std::string> EncodeJpeg(const GreyImage& image, int quality);

}  // namespace kiosk_edge
