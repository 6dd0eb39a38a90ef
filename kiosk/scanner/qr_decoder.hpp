#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kiosk_edge {

// An 8-bit greyscale image: `width` x `height` pixels, row-major with no row padding,
// 0 = black, 255 = white. Camera frames are converted to this before decoding.
struct GreyImage {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> pixels;
};

// How ZXing turns grey into black and white: its default local-average binarizer, or one global
// histogram threshold (better on evenly lit, low-contrast photographs).
enum class QrBinarizer { kLocalAverage, kGlobalHistogram };

struct QrDecodeOptions {
  QrBinarizer binarizer = QrBinarizer::kLocalAverage;
  // Also search ZXing's downscaled copies of images whose longer side exceeds 500 pixels (a
  // third of the size, averaged): finds big, blurry codes in large photographs. Camera frames
  // show codes small enough to do without, which saves about a third of the time.
  bool try_downscale = true;
};

// Returns the text of every QR code ZXing-C++ finds in `image`, in the order it reports them,
// searching QR codes only, with TryHarder and TryRotate on. Texts are the symbol's bytes read as
// UTF-8 (ASCII URLs and voucher tokens come back unchanged). Returns an empty list for an image
// with no readable code and for a malformed image (non-positive size, or fewer pixels than
// width * height). Never throws. Thread-safe: decoders keep no shared state.
std::vector<std::string> DecodeQrCodes(const GreyImage& image, const QrDecodeOptions& options = {});

}  // namespace kiosk_edge
