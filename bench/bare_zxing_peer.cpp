// The bare ZXing-C++ peer: ReadBarcodes with default hints. Like kiosk/scanner/qr_decoder.cpp,
// the only file here that includes ZXing headers.
#define ZX_USE_UTF8 1
#include <ZXing/BarcodeFormat.h>
#include <ZXing/DecodeHints.h>
#include <ZXing/ImageView.h>
#include <ZXing/ReadBarcode.h>

#include "bench/scanner_peers.hpp"

namespace kiosk_edge::bench {

std::vector<std::string> BareZxingDecodeQr(const GreyImage& image) {
  std::vector<std::string> texts;
  if (image.width <= 0 || image.height <= 0 ||
      image.pixels.size() < static_cast<std::size_t>(image.width) * image.height) {
    return texts;
  }
  ZXing::DecodeHints hints;
  hints.setFormats(ZXing::BarcodeFormat::QRCode);
  const ZXing::ImageView view(image.pixels.data(), image.width, image.height,
                              ZXing::ImageFormat::Lum);
  for (const ZXing::Result& result : ZXing::ReadBarcodes(view, hints)) {
    if (result.isValid()) texts.push_back(result.text());
  }
  return texts;
}

}  // namespace kiosk_edge::bench
