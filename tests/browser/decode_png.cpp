// Prints the text of every QR code ZXing-C++ finds in a PNG, one per line, for the browser tests
// (the kiosk screen's screenshot). Exit 0: at least one code; 1: none; 2: unreadable file.
#include <iostream>

#include "kiosk/scanner/image_files.hpp"
#include "kiosk/scanner/qr_decoder.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: decode_png FILE.png\n";
    return 2;
  }
  const auto image = kiosk_edge::LoadImageFile(argv[1]);
  if (!image) {
    std::cerr << "decode_png: " << image.error().message() << "\n";
    return 2;
  }
  const auto texts = kiosk_edge::DecodeQrCodes(*image);
  for (const auto& text : texts) std::cout << text << "\n";
  if (texts.empty()) {
    std::cerr << "decode_png: no QR code found in " << argv[1] << " (" << image->width << "x"
              << image->height << ")\n";
    return 1;
  }
  return 0;
}
