// Writes a short Y4M video (what chromium's fake camera plays, looped) of a phone screen showing
// TEXT as a QR code, for the counter's camera test: render_y4m TEXT OUT.y4m.
#include <fstream>
#include <iostream>
#include <string>

#include "kiosk/qr/qr_code.hpp"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: render_y4m TEXT OUT.y4m\n";
    return 2;
  }
  const auto qr = kiosk_edge::EncodeQr(argv[1], kiosk_edge::QrErrorCorrection::kMedium);
  if (!qr) {
    std::cerr << "render_y4m: " << qr.error().message() << "\n";
    return 2;
  }
  constexpr int kWidth = 640, kHeight = 480, kFrames = 5;
  // A grey counter top, the phone's white screen, the code with its quiet zone inside it.
  const int modules = qr->size + 8;
  const int pixel = (kHeight - 60) / modules;
  const int side = modules * pixel;
  const int left = (kWidth - side) / 2, top = (kHeight - side) / 2;
  std::string luma(static_cast<std::size_t>(kWidth) * kHeight, static_cast<char>(110));
  for (int y = 0; y < side; ++y) {
    for (int x = 0; x < side; ++x) {
      const int mx = x / pixel - 4, my = y / pixel - 4;
      const bool dark = mx >= 0 && my >= 0 && mx < qr->size && my < qr->size && qr->Dark(mx, my);
      luma[static_cast<std::size_t>(top + y) * kWidth + left + x] =
          static_cast<char>(dark ? 20 : 235);
    }
  }
  const std::string chroma(static_cast<std::size_t>(kWidth / 2) * (kHeight / 2),
                           static_cast<char>(128));
  std::ofstream out(argv[2], std::ios::binary);
  out << "YUV4MPEG2 W" << kWidth << " H" << kHeight << " F10:1 Ip A1:1 C420jpeg\n";
  for (int frame = 0; frame < kFrames; ++frame) out << "FRAME\n" << luma << chroma << chroma;
  if (!out.flush()) {
    std::cerr << "render_y4m: cannot write " << argv[2] << "\n";
    return 2;
  }
  return 0;
}
