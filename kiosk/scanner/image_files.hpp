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

}  // namespace kiosk_edge
