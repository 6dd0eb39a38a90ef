// The zbar peer: the only file that includes zbar.h.
#include <zbar.h>

#include "bench/scanner_peers.hpp"

namespace kiosk_edge::bench {

struct ZbarQrReader::Scanner {
  zbar::zbar_image_scanner_t* scanner = nullptr;
};

ZbarQrReader::ZbarQrReader() : scanner_(std::make_unique<Scanner>()) {
  scanner_->scanner = zbar::zbar_image_scanner_create();
  zbar::zbar_image_scanner_set_config(scanner_->scanner, zbar::ZBAR_NONE, zbar::ZBAR_CFG_ENABLE, 0);
  zbar::zbar_image_scanner_set_config(scanner_->scanner, zbar::ZBAR_QRCODE, zbar::ZBAR_CFG_ENABLE,
                                      1);
}

ZbarQrReader::~ZbarQrReader() { zbar::zbar_image_scanner_destroy(scanner_->scanner); }

std::vector<std::string> ZbarQrReader::Decode(const GreyImage& image) {
  std::vector<std::string> texts;
  if (image.width <= 0 || image.height <= 0 ||
      image.pixels.size() < static_cast<std::size_t>(image.width) * image.height) {
    return texts;
  }
  zbar::zbar_image_t* zimage = zbar::zbar_image_create();
  zbar::zbar_image_set_format(zimage, zbar_fourcc('Y', '8', '0', '0'));
  zbar::zbar_image_set_size(zimage, static_cast<unsigned>(image.width),
                            static_cast<unsigned>(image.height));
  // zbar only reads the buffer; no cleanup handler, the GreyImage keeps owning it.
  zbar::zbar_image_set_data(zimage, image.pixels.data(), image.pixels.size(), nullptr);
  if (zbar::zbar_scan_image(scanner_->scanner, zimage) > 0) {
    for (const zbar::zbar_symbol_t* symbol = zbar::zbar_image_first_symbol(zimage);
         symbol != nullptr; symbol = zbar::zbar_symbol_next(symbol)) {
      texts.emplace_back(zbar::zbar_symbol_get_data(symbol),
                         zbar::zbar_symbol_get_data_length(symbol));
    }
  }
  zbar::zbar_image_destroy(zimage);
  return texts;
}

}  // namespace kiosk_edge::bench
