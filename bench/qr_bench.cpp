// QR code rendering throughput: codes per second for a typical channel URL, from text to a
// finished file in memory, against a bare libqrencode encode of the same text (the peer) in the
// same run. Goal (issue): PNG and SVG each take at most 2x the bare encode's time per code.
//   bare (peer): QRcode_encodeString + QRcode_free, the matrix only, no output file;
//   EncodeQr:    our adapter alone (bare encode + copy into QrMatrix);
//   PNG:         EncodeQr + RenderPng at 8 px/module (a 296 px image, ~600 bytes);
//   SVG:         EncodeQr + RenderSvg at 30 mm.
// The variants run in interleaved rounds so drift (CPU frequency, a neighbour) hits all of them;
// each figure is the median of the rounds.
// Usage: qr_bench [--seconds S] [--level L|M|Q|H]   (S: total run time, default 6)
#include <qrencode.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include "kiosk/qr/qr_code.hpp"
#include "kiosk/qr/qr_render.hpp"

namespace kiosk_edge {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kChannelUrl = "HTTP://KIOSK.LOCAL/C/EL3-POSTER2.A7KQ2MZX4PLQ3RTY";
constexpr int kRounds = 9;

struct Variant {
  std::string name;
  std::function<std::size_t()> make_one;  // returns a size, so the work cannot be optimised out
  std::vector<double> rates;              // codes per second, one per round
  double Median() {
    std::sort(rates.begin(), rates.end());
    return rates[rates.size() / 2];
  }
};

// Runs `variant` for about `seconds`, checking the clock every 64 codes.
double CodesPerSecond(Variant& variant, double seconds, std::size_t& sink) {
  const auto start = Clock::now();
  const auto until = start + std::chrono::duration<double>(seconds);
  std::int64_t codes = 0;
  auto now = start;
  do {
    for (int i = 0; i < 64; ++i) sink += variant.make_one();
    codes += 64;
    now = Clock::now();
  } while (now < until);
  return double(codes) / std::chrono::duration<double>(now - start).count();
}

template <class T>
T Must(Result<T> result) {
  if (!result) {
    std::cerr << result.error().message() << "\n";
    std::exit(1);
  }
  return std::move(*result);
}

}  // namespace
}  // namespace kiosk_edge

int main(int argc, char** argv) {
  using namespace kiosk_edge;
  double seconds = 6;
  char level_name = 'Q';
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--seconds" && i + 1 < argc) {
      seconds = std::stod(argv[++i]);
    } else if (flag == "--level" && i + 1 < argc) {
      level_name = argv[++i][0];
    } else {
      std::cerr << "usage: qr_bench [--seconds S] [--level L|M|Q|H]\n";
      return 2;
    }
  }
  QrErrorCorrection level = QrErrorCorrection::kQuartile;
  QRecLevel peer_level = QR_ECLEVEL_Q;
  switch (level_name) {
    case 'L':
      level = QrErrorCorrection::kLow, peer_level = QR_ECLEVEL_L;
      break;
    case 'M':
      level = QrErrorCorrection::kMedium, peer_level = QR_ECLEVEL_M;
      break;
    case 'Q':
      break;
    case 'H':
      level = QrErrorCorrection::kHigh, peer_level = QR_ECLEVEL_H;
      break;
    default:
      std::cerr << "--level must be L, M, Q or H\n";
      return 2;
  }

  const QrMatrix sample = Must(EncodeQr(kChannelUrl, level));
  const std::string sample_png = Must(RenderPng(sample, 8));
  const std::string sample_svg = RenderSvg(sample, 30);

  std::vector<Variant> variants;
  variants.push_back({"bare QRcode_encodeString (peer)",
                      [&] {
                        QRcode* code =
                            QRcode_encodeString(kChannelUrl, 0, peer_level, QR_MODE_8, 1);
                        if (code == nullptr) std::exit(1);
                        const auto width = static_cast<std::size_t>(code->width);
                        QRcode_free(code);
                        return width;
                      },
                      {}});
  variants.push_back(
      {"EncodeQr", [&] { return Must(EncodeQr(kChannelUrl, level)).modules.size(); }, {}});
  variants.push_back({"PNG: EncodeQr + RenderPng 8 px/module",
                      [&] { return Must(RenderPng(Must(EncodeQr(kChannelUrl, level)), 8)).size(); },
                      {}});
  variants.push_back({"SVG: EncodeQr + RenderSvg 30 mm",
                      [&] { return RenderSvg(Must(EncodeQr(kChannelUrl, level)), 30).size(); },
                      {}});

  std::size_t sink = 0;
  const double per_run = seconds / (kRounds * double(variants.size()));
  for (auto& variant : variants) CodesPerSecond(variant, per_run / 4, sink);  // warm-up
  for (int round = 0; round < kRounds; ++round) {
    for (auto& variant : variants) variant.rates.push_back(CodesPerSecond(variant, per_run, sink));
  }

  std::cout << "text: " << kChannelUrl << " (level " << level_name << ", version "
            << (sample.size - 17) / 4 << ", " << sample.size << " modules; PNG "
            << sample_png.size() << " bytes, SVG " << sample_svg.size() << " bytes)\n\n";
  std::cout << "| what | codes/s | us/code | time vs bare encode |\n|---|---:|---:|---:|\n";
  const double bare_rate = variants.front().Median();
  for (auto& variant : variants) {
    const double rate = variant.Median();
    char line[160];
    std::snprintf(line, sizeof line, "| %s | %.0f | %.2f | %.2fx |", variant.name.c_str(), rate,
                  1e6 / rate, bare_rate / rate);
    std::cout << line << "\n";
  }
  std::cout << "\n(checksum " << sink % 1000 << ")\n";
  return 0;
}
