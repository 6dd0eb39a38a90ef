// Scanner benchmark (issue 4): kiosk-edge's scanner against two peers, zbar and a bare
// ZXing-C++ call (bench/scanner_peers.hpp), on the same grey buffers, in the same run.
//
// Part 1, read rate: the ZXing-C++ sample photographs (../shared/data/qr-samples, see its
// README) per folder at 0, 90, 180 and 270 degrees; kiosk-edge runs ScanFrame with
// DefaultScanSteps (what `kioskctl decode` does). A read counts only when a decoded text equals
// N.txt exactly; in the false-positive folders any text is a (wrong) read.
// Goal: >= 155 of 162 at 0 degrees, more than either peer in every folder, 0 false positives.
//
// Part 2, time per camera frame: phone-screen renders of random vouchers (tests/support/
// phone_screen: a mix of rotations, scales, dark mode, blur, moire and JPEG 30-60, the whole
// code always inside the frame) and the same scenes without the phone, at 640 x 480 and
// 1280 x 720; kiosk-edge runs ScanFrame with LiveScanSteps. Single thread; run it pinned to one
// core (taskset -c 0).
// Goal, kiosk-edge live steps: p95 <= 15 ms (640 x 480) and <= 40 ms (1280 x 720) for frames
// with a voucher, <= 5 ms for frames without one.
//
// Usage: scanner_bench [--part rates|timing|all] [--samples DIR] [--frames N] [--rounds R]
//   N: frames of each kind and size (default 24); R: timed decodes of each frame per decoder
//   (default 5; the still-photo steps, shown for comparison, run once per frame).
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "bench/scanner_peers.hpp"
#include "kiosk/scanner/frame.hpp"
#include "kiosk/scanner/image_files.hpp"
#include "kiosk/scanner/scanner.hpp"
#include "support/phone_screen.hpp"

namespace kiosk_edge::bench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using Texts = std::vector<std::string>;

struct Options {
  std::string part = "all";
  fs::path samples =
      fs::path(KIOSK_EDGE_SOURCE_DIR).parent_path() / "shared" / "data" / "qr-samples";
  int frames = 24;
  int rounds = 5;
};

// One decoder under test; `decode` may keep state (zbar's scanner), so it is not shared.
struct Decoder {
  std::string name;
  std::function<Texts(const GreyImage&)> decode;
};

std::vector<Decoder> PhotoDecoders(ZbarQrReader& zbar) {
  return {
      {"kiosk-edge (default steps)",
       [](const GreyImage& image) { return ScanFrame(image, DefaultScanSteps()).texts; }},
      {"zbar", [&zbar](const GreyImage& image) { return zbar.Decode(image); }},
      {"bare ZXing", [](const GreyImage& image) { return BareZxingDecodeQr(image); }},
  };
}

// ---- Part 1: read rate on the sample photographs ----

struct Sample {
  GreyImage image;
  bool has_code = false;
  std::string expected;
};

struct Folder {
  std::string name;
  std::vector<Sample> samples;
  int codes = 0;
};

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

bool LoadFolders(const fs::path& root, std::vector<Folder>& folders) {
  for (const char* name : {"qrcode-1", "qrcode-2", "qrcode-3", "qrcode-4", "qrcode-5", "qrcode-6",
                           "falsepositives-1", "falsepositives-2"}) {
    Folder folder{name, {}, 0};
    std::vector<fs::path> files;
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(root / name, error)) {
      const std::string ext = entry.path().extension().string();
      if (ext == ".png" || ext == ".jpg") files.push_back(entry.path());
    }
    if (error) {
      std::cerr << "scanner_bench: cannot read " << (root / name) << ": " << error.message()
                << "\n";
      return false;
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& file : files) {
      auto image = LoadImageFile(file);
      if (!image) {
        std::cerr << "scanner_bench: " << image.error().message() << "\n";
        return false;
      }
      Sample sample{std::move(*image), false, {}};
      fs::path text = file;
      text.replace_extension(".txt");
      if (fs::exists(text)) {
        sample.has_code = true;
        sample.expected = ReadAll(text);
        ++folder.codes;
      }
      folder.samples.push_back(std::move(sample));
    }
    folders.push_back(std::move(folder));
  }
  return true;
}

bool IsRead(const Sample& sample, const Texts& texts) {
  if (!sample.has_code) return !texts.empty();
  return std::find(texts.begin(), texts.end(), sample.expected) != texts.end();
}

std::string Quad(const std::array<int, 4>& v) {
  return std::to_string(v[0]) + " / " + std::to_string(v[1]) + " / " + std::to_string(v[2]) +
         " / " + std::to_string(v[3]);
}

void RunReadRates(const Options& options) {
  std::vector<Folder> folders;
  if (!LoadFolders(options.samples, folders)) std::exit(1);
  ZbarQrReader zbar;
  std::vector<Decoder> decoders = PhotoDecoders(zbar);
  // reads[decoder][folder][turn]
  std::vector<std::vector<std::array<int, 4>>> reads(
      decoders.size(), std::vector<std::array<int, 4>>(folders.size()));
  for (std::size_t f = 0; f < folders.size(); ++f) {
    for (const Sample& sample : folders[f].samples) {
      for (int turn = 0; turn < 4; ++turn) {
        const GreyImage frame = turn == 0 ? sample.image : RotateGrey(sample.image, turn);
        for (std::size_t d = 0; d < decoders.size(); ++d) {
          if (IsRead(sample, decoders[d].decode(frame))) {
            ++reads[d][f][static_cast<std::size_t>(turn)];
          }
        }
      }
    }
  }
  std::cout << "\n### Read rate on the ZXing-C++ 1.4 sample photographs\n\n"
            << "Reads at 0° / 90° / 180° / 270° (exact text); false-positive folders: images "
               "with any text read.\n\n| folder | codes |";
  for (const Decoder& decoder : decoders) std::cout << " " << decoder.name << " |";
  std::cout << "\n|---|---:|";
  for (std::size_t d = 0; d < decoders.size(); ++d) std::cout << "---:|";
  std::cout << "\n";
  std::vector<std::array<int, 4>> totals(decoders.size());
  int total_codes = 0;
  for (std::size_t f = 0; f < folders.size(); ++f) {
    const bool false_positives = folders[f].codes == 0;
    std::cout << "| " << folders[f].name << " | "
              << (false_positives ? std::to_string(folders[f].samples.size()) + " images, none"
                                  : std::to_string(folders[f].codes))
              << " |";
    for (std::size_t d = 0; d < decoders.size(); ++d) {
      std::cout << " " << Quad(reads[d][f]) << " |";
      if (!false_positives) {
        for (std::size_t t = 0; t < 4; ++t) totals[d][t] += reads[d][f][t];
      }
    }
    std::cout << "\n";
    total_codes += folders[f].codes;
  }
  std::cout << "| **total with a code** | " << total_codes << " |";
  for (std::size_t d = 0; d < decoders.size(); ++d) std::cout << " **" << Quad(totals[d]) << "** |";
  std::cout << "\n";
}

// ---- Part 2: time per camera frame ----

// The mix of camera conditions, cycled through: every transform of the phone-screen tests,
// alone and combined, with the scale, position and angle varied by the seed.
void ApplyMix(int index, std::mt19937_64& rng, testing::PhoneScreenOptions& o) {
  const auto uniform = [&rng](double lo, double hi) {
    return lo + (hi - lo) * static_cast<double>(rng() >> 11) * 0x1.0p-53;
  };
  o.code_fraction = uniform(0.3, 0.85);
  o.centre_x = uniform(0.4, 0.6);
  o.centre_y = uniform(0.4, 0.6);
  o.rotation_degrees = uniform(-20, 20);
  switch (index % 8) {
    case 0:
      break;  // upright-ish, sharp
    case 1:
      o.inverted = true;
      break;
    case 2:
      o.rotation_degrees = uniform(0, 360);
      break;
    case 3:
      o.jpeg_quality = static_cast<int>(uniform(30, 60));
      break;
    case 4:
      o.blur_sigma = uniform(0.5, 1.2);
      break;
    case 5:
      o.moire_amplitude = uniform(0.1, 0.3);
      break;
    case 6:
      o.inverted = true;
      o.rotation_degrees = uniform(0, 360);
      o.jpeg_quality = static_cast<int>(uniform(30, 60));
      o.blur_sigma = uniform(0.4, 0.9);
      break;
    default:
      o.moire_amplitude = uniform(0.1, 0.25);
      o.jpeg_quality = static_cast<int>(uniform(30, 60));
      o.blur_sigma = uniform(0.4, 0.9);
      break;
  }
  // The whole code stays in the frame (a shopper shows all of it): at most the fraction whose
  // turned square fits between the centre and the nearest edge, less 4%.
  const double angle = o.rotation_degrees * 3.14159265358979 / 180;
  const double spread = std::abs(std::cos(angle)) + std::abs(std::sin(angle));
  const double shorter = std::min(o.frame_width, o.frame_height);
  const double room = std::min({o.centre_x * o.frame_width, (1 - o.centre_x) * o.frame_width,
                                o.centre_y * o.frame_height, (1 - o.centre_y) * o.frame_height});
  o.code_fraction = std::min(o.code_fraction, 0.96 * 2 * room / (spread * shorter));
}

struct Frame {
  GreyImage image;
  std::string token;  // empty for a frame without the phone
};

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(values.size())));
  return values[std::clamp<std::size_t>(rank, 1, values.size()) - 1];
}

void RunTiming(const Options& options) {
  ZbarQrReader zbar;
  struct TimedDecoder {
    Decoder decoder;
    int rounds;
  };
  const std::vector<TimedDecoder> decoders = {
      {{"kiosk-edge (live steps)",
        [](const GreyImage& image) { return ScanFrame(image, LiveScanSteps()).texts; }},
       options.rounds},
      {{"zbar", [&zbar](const GreyImage& image) { return zbar.Decode(image); }}, options.rounds},
      {{"bare ZXing", [](const GreyImage& image) { return BareZxingDecodeQr(image); }},
       options.rounds},
      {{"kiosk-edge (default steps, for still photos)",
        [](const GreyImage& image) { return ScanFrame(image, DefaultScanSteps()).texts; }},
       1},
  };
  std::cout << "\n### Time per camera frame (one thread)\n\n"
            << options.frames << " frames of each kind and size, each decoded " << options.rounds
            << " times per decoder (the default steps once), decoders interleaved. \"read\": "
               "frames read exactly (voucher) or with any text (empty).\n\n"
            << "| frame | decoder | read | median ms | p95 ms |\n|---|---|---:|---:|---:|\n";
  constexpr std::array<std::array<int, 2>, 2> kSizes = {{{640, 480}, {1280, 720}}};
  for (const auto& size : kSizes) {
    for (const bool with_voucher : {true, false}) {
      std::mt19937_64 rng(20261204u + static_cast<unsigned>(size[0]) + (with_voucher ? 0u : 1u));
      std::vector<Frame> frames;
      for (int i = 0; i < options.frames; ++i) {
        testing::PhoneScreenOptions o;
        o.frame_width = size[0];
        o.frame_height = size[1];
        o.seed = rng();
        ApplyMix(i, rng, o);
        Frame frame;
        if (with_voucher) frame.token = testing::RandomVoucherToken(rng);
        auto image = testing::RenderPhoneScreen(frame.token, o);
        if (!image) {
          std::cerr << "scanner_bench: " << image.error().message() << "\n";
          std::exit(1);
        }
        frame.image = std::move(*image);
        frames.push_back(std::move(frame));
      }
      std::vector<std::vector<double>> ms(decoders.size());
      std::vector<int> read(decoders.size(), 0);
      for (int round = 0; round < options.rounds; ++round) {
        for (std::size_t f = 0; f < frames.size(); ++f) {
          for (std::size_t k = 0; k < decoders.size(); ++k) {
            const std::size_t d = (k + f + static_cast<std::size_t>(round)) % decoders.size();
            if (round >= decoders[d].rounds) continue;
            const auto start = Clock::now();
            const Texts texts = decoders[d].decoder.decode(frames[f].image);
            ms[d].push_back(
                std::chrono::duration<double, std::milli>(Clock::now() - start).count());
            if (round == 0) {
              const bool counted = with_voucher ? texts == Texts{frames[f].token} : !texts.empty();
              read[d] += counted ? 1 : 0;
            }
          }
        }
      }
      for (std::size_t d = 0; d < decoders.size(); ++d) {
        char line[256];
        std::snprintf(line, sizeof line, "| %dx%d %s | %s | %d/%d | %.2f | %.2f |\n", size[0],
                      size[1], with_voucher ? "voucher" : "empty", decoders[d].decoder.name.c_str(),
                      read[d], options.frames, Percentile(ms[d], 0.5), Percentile(ms[d], 0.95));
        std::cout << line;
      }
    }
  }
}

bool ParseOptions(int argc, char** argv, Options& options) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const char* value = i + 1 < argc ? argv[i + 1] : nullptr;
    if (arg == "--part" && value) {
      options.part = value;
    } else if (arg == "--samples" && value) {
      options.samples = value;
    } else if (arg == "--frames" && value) {
      options.frames = std::atoi(value);
    } else if (arg == "--rounds" && value) {
      options.rounds = std::atoi(value);
    } else {
      return false;
    }
    ++i;
  }
  return options.frames > 0 && options.rounds > 0 &&
         (options.part == "rates" || options.part == "timing" || options.part == "all");
}

}  // namespace
}  // namespace kiosk_edge::bench

int main(int argc, char** argv) {
  kiosk_edge::bench::Options options;
  if (!kiosk_edge::bench::ParseOptions(argc, argv, options)) {
    std::cerr << "usage: scanner_bench [--part rates|timing|all] [--samples DIR] [--frames N] "
                 "[--rounds R]\n";
    return 2;
  }
  double load[3] = {0, 0, 0};
  if (getloadavg(load, 3) == 3) {
    std::printf("Load average at start: %.2f %.2f %.2f\n", load[0], load[1], load[2]);
  }
  if (options.part != "timing") kiosk_edge::bench::RunReadRates(options);
  if (options.part != "rates") kiosk_edge::bench::RunTiming(options);
  return 0;
}
