// The ZXing-C++ adapter: the only file that includes ZXing headers.
// ZX_USE_UTF8 selects the std::string text() API of ZXing-C++ 1.4 (the wstring one is going away).
#define ZX_USE_UTF8 1
#include "kiosk/scanner/qr_decoder.hpp"

#include <ZXing/BarcodeFormat.h>
#include <ZXing/DecodeHints.h>
#include <ZXing/ImageView.h>
#include <ZXing/ReadBarcode.h>

#include "kiosk/scanner/frame.hpp"

namespace kiosk_edge {

std::vector<std::string> DecodeQrCodes(const GreyImage& image, const QrDecodeOptions& options) {
  std::vector<std::string> texts;
  if (!IsValidGrey(image)) return texts;
  ZXing::DecodeHints hints;
  hints.setFormats(ZXing::BarcodeFormat::QRCode);
  hints.setTryHarder(true);
  hints.setTryRotate(true);
  hints.setTryDownscale(options.try_downscale);
  hints.setBinarizer(options.binarizer == QrBinarizer::kGlobalHistogram
                         ? ZXing::Binarizer::GlobalHistogram
                         : ZXing::Binarizer::LocalAverage);
  try {
    const ZXing::ImageView view(image.pixels.data(), image.width, image.height,
                                ZXing::ImageFormat::Lum);
    for (const ZXing::Result& result : ZXing::ReadBarcodes(view, hints)) {
      if (result.isValid()) texts.push_back(result.text());
    }
  } catch (...) {
    // ZXing reports unreadable input as empty results; an exception here (allocation failure)
    // means nothing was read, which is what the caller is told: no exception leaves the adapter.
    texts.clear();
  }
  return texts;
}

}  // namespace kiosk_edge
