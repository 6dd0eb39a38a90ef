// Read rates of the scanner pipeline on ZXing-C++ 1.4's own sample photographs
// (../shared/data/qr-samples, see its README): each folder at 0, 90, 180 and 270 degrees must
// read at least what the pipeline read when the minimums below were last raised (156 of 162 at
// every rotation; the library alone reads 145 at 0 degrees, zbar 124: docs/benchmarks.md), and
// the false-positive folders must read nothing.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "kiosk/scanner/frame.hpp"
#include "kiosk/scanner/image_files.hpp"
#include "kiosk/scanner/scanner.hpp"

namespace kiosk_edge {
namespace {

namespace fs = std::filesystem;

// The photographs sit beside the repository: ../shared/data/qr-samples.
fs::path SamplesDir() {
  return fs::path(KIOSK_EDGE_SOURCE_DIR).parent_path() / "shared" / "data" / "qr-samples";
}

struct SamplePhoto {
  std::string name;
  GreyImage image;
  bool has_code = false;
  std::string expected;  // N.txt, exactly
};

struct Folder {
  std::string name;
  std::array<int, 4> minimum;  // at 0, 90, 180, 270 degrees; -1: a false-positive folder
  std::vector<SamplePhoto> samples;
};

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Loaded once for every test here; decoding the JPEGs is a noticeable part of the run time.
const std::vector<Folder>& Folders() {
  static const std::vector<Folder> folders = [] {
    std::vector<Folder> loaded = {
        {"qrcode-1", {16, 16, 16, 16}, {}},         {"qrcode-2", {45, 45, 45, 45}, {}},
        {"qrcode-3", {28, 28, 28, 28}, {}},         {"qrcode-4", {36, 36, 36, 36}, {}},
        {"qrcode-5", {16, 16, 16, 16}, {}},         {"qrcode-6", {15, 15, 15, 15}, {}},
        {"falsepositives-1", {-1, -1, -1, -1}, {}}, {"falsepositives-2", {-1, -1, -1, -1}, {}},
    };
    const fs::path root = SamplesDir();
    if (!fs::is_directory(root)) return std::vector<Folder>{};
    for (Folder& folder : loaded) {
      std::vector<fs::path> files;
      for (const auto& entry : fs::directory_iterator(root / folder.name)) {
        const std::string ext = entry.path().extension().string();
        if (ext == ".png" || ext == ".jpg") files.push_back(entry.path());
      }
      std::sort(files.begin(), files.end());
      for (const fs::path& file : files) {
        auto image = LoadImageFile(file);
        EXPECT_TRUE(image.has_value()) << file << ": " << image.error().message();
        if (!image) continue;
        SamplePhoto sample{file.filename().string(), std::move(*image), false, {}};
        fs::path text_file = file;
        text_file.replace_extension(".txt");
        if (fs::exists(text_file)) {
          sample.has_code = true;
          sample.expected = ReadAll(text_file);
        }
        folder.samples.push_back(std::move(sample));
      }
    }
    return loaded;
  }();
  return folders;
}

bool SamplesPresent() {
  if (fs::is_directory(SamplesDir())) return true;
  ADD_FAILURE() << "the QR sample photographs are missing: expected them at " << SamplesDir()
                << " (../shared/data/qr-samples from the repository root)";
  return false;
}

// A read counts only when a decoded text equals N.txt exactly; in a false-positive folder any
// text at all is a (wrong) read.
bool IsRead(const SamplePhoto& sample, const std::vector<std::string>& texts) {
  if (!sample.has_code) return !texts.empty();
  return std::find(texts.begin(), texts.end(), sample.expected) != texts.end();
}

TEST(QrSamples, ReadRateAtEachRotationMeetsTheMinimums) {
  if (!SamplesPresent()) return;
  std::array<int, 4> total_read{};
  int total_codes = 0;
  for (const Folder& folder : Folders()) {
    std::array<int, 4> reads{};
    int codes = 0;
    for (const SamplePhoto& sample : folder.samples) {
      if (sample.has_code) ++codes;
      for (int turn = 0; turn < 4; ++turn) {
        const GreyImage frame = turn == 0 ? sample.image : RotateGrey(sample.image, turn);
        if (IsRead(sample, ScanFrame(frame).texts)) ++reads[static_cast<std::size_t>(turn)];
      }
    }
    std::cout << "[ qr-samples ] " << folder.name << " (" << folder.samples.size() << " images, "
              << codes << " with a code): reads at 0/90/180/270 = " << reads[0] << "/" << reads[1]
              << "/" << reads[2] << "/" << reads[3] << "\n";
    for (std::size_t turn = 0; turn < 4; ++turn) {
      if (folder.minimum[turn] < 0) {
        EXPECT_EQ(reads[turn], 0) << folder.name << " at " << turn * 90 << " degrees";
      } else {
        EXPECT_GE(reads[turn], folder.minimum[turn])
            << folder.name << " at " << turn * 90 << " degrees";
        total_read[turn] += reads[turn];
      }
    }
    total_codes += codes;
  }
  std::cout << "[ qr-samples ] total at 0/90/180/270 = " << total_read[0] << "/" << total_read[1]
            << "/" << total_read[2] << "/" << total_read[3] << " of " << total_codes << "\n";
  EXPECT_GT(total_codes, 0);
}

// Each retry of the default pipeline must read codes that the steps before it missed: the
// read rate at 0 degrees rises strictly with every step added, and no step reads a wrong text.
// The exception is the inverted retry: the samples hold no white-on-black code, so it is shown
// to help in scanner_test.cpp (ScannerTest.InvertedCodeIsReadOnlyThanksToTheInvertedRetry).
TEST(QrSamples, EachRetryRaisesTheReadRate) {
  if (!SamplesPresent()) return;
  const auto steps = DefaultScanSteps();
  std::vector<int> read_at(steps.size(), 0);  // codes first read by step i
  int wrong = 0;
  for (const Folder& folder : Folders()) {
    for (const SamplePhoto& sample : folder.samples) {
      if (!sample.has_code) continue;
      const ScanResult result = ScanFrame(sample.image);
      if (result.texts.empty()) continue;
      if (IsRead(sample, result.texts)) {
        ++read_at[static_cast<std::size_t>(result.steps_tried - 1)];
      } else {
        ++wrong;
        std::cout << "[ qr-samples ] wrong text: " << folder.name << "/" << sample.name << "\n";
      }
    }
  }
  int cumulative = 0;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    cumulative += read_at[i];
    std::cout << "[ qr-samples ] up to step " << ToString(steps[i]) << ": " << cumulative
              << " reads at 0 degrees (+" << read_at[i] << ")\n";
    if (steps[i] == ScanStep::kInverted) continue;
    EXPECT_GT(read_at[i], 0) << "step " << ToString(steps[i]) << " reads nothing new";
  }
  EXPECT_EQ(wrong, 0);
}

}  // namespace
}  // namespace kiosk_edge
