// Channel codes survive encode -> render -> decode, by our decoder (ZXing-C++) on 10,000 codes
// and by an independent one (zbarimg, from zbar-tools) on PNG files.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "kiosk/qr/qr_code.hpp"
#include "kiosk/qr/qr_render.hpp"
#include "kiosk/scanner/qr_decoder.hpp"
#include "support/temp_dir.hpp"

namespace kiosk_edge {
namespace {

using testing::TempDir;

constexpr std::uint64_t kRoundtripSeed = 20261122;

// A channel URL as kiosk-agent prints it: upper case, so the QR uses alphanumeric mode.
std::string RandomChannelUrl(std::mt19937_64& rng) {
  static constexpr std::string_view kIdChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-";
  static constexpr std::string_view kBase32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::uniform_int_distribution<std::size_t> length(3, 24);
  std::uniform_int_distribution<std::size_t> id_char(0, kIdChars.size() - 1);
  std::uniform_int_distribution<std::size_t> base32_char(0, kBase32.size() - 1);
  std::string url = "HTTP://KIOSK.LOCAL/C/";
  for (std::size_t n = length(rng); n > 0; --n) url.push_back(kIdChars[id_char(rng)]);
  url.push_back('.');
  for (int i = 0; i < 16; ++i) url.push_back(kBase32[base32_char(rng)]);
  return url;
}

struct Case {
  std::string url;
  QrErrorCorrection level;
  int pixels_per_module;
};

// Alternates M and Q, and 2, 3 and 4 pixels per module, so every combination appears.
std::vector<Case> RandomCases(int count) {
  std::mt19937_64 rng(kRoundtripSeed);
  std::vector<Case> cases;
  cases.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    cases.push_back(Case{RandomChannelUrl(rng),
                         i % 2 == 0 ? QrErrorCorrection::kMedium : QrErrorCorrection::kQuartile,
                         2 + i % 3});
  }
  return cases;
}

TEST(QrRoundTripTest, TenThousandChannelCodesDecodeExactly) {
  constexpr int kCount = 10'000;
  const std::vector<Case> cases = RandomCases(kCount);
  int exact = 0;
  std::vector<std::string> failures;
  for (const Case& c : cases) {
    auto qr = EncodeQr(c.url, c.level);
    ASSERT_TRUE(qr) << c.url << ": " << qr.error().message();
    const std::vector<std::string> texts = DecodeQrCodes(RasteriseQr(*qr, c.pixels_per_module));
    if (texts.size() == 1 && texts[0] == c.url) {
      ++exact;
    } else if (failures.size() < 10) {
      failures.push_back(c.url + " at " + std::to_string(c.pixels_per_module) + " px/module -> " +
                         (texts.empty() ? "nothing" : "\"" + texts[0] + "\""));
    }
  }
  std::string report;
  for (const auto& failure : failures) report += "\n  " + failure;
  EXPECT_EQ(exact, kCount) << "seed " << kRoundtripSeed << ", first failures:" << report;
}

// Runs `command` through the shell; returns its stdout, and its exit status in `status`.
std::string RunCommand(const std::string& command, int& status) {
  std::string output;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    status = -1;
    return output;
  }
  char buffer[4096];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
  status = ::pclose(pipe);
  return output;
}

TEST(QrRoundTripTest, IndependentReaderDecodesPngFiles) {
  int status = 0;
  RunCommand("command -v zbarimg >/dev/null 2>&1", status);
  ASSERT_EQ(status, 0) << "zbarimg (Debian package zbar-tools) is not installed; it is the "
                          "independent QR reader this test needs. Run scripts/install-deps.sh.";

  constexpr int kCount = 50;
  // A different stream from the 10,000 above, with the same shape of URL.
  std::vector<Case> cases = RandomCases(kCount + 10'000);
  cases.erase(cases.begin(), cases.end() - kCount);
  TempDir dir;
  std::string command = "zbarimg --quiet --raw -Sdisable -Sqrcode.enable";
  for (int i = 0; i < kCount; ++i) {
    auto qr = EncodeQr(cases[i].url, cases[i].level);
    ASSERT_TRUE(qr) << qr.error().message();
    auto png = RenderPng(*qr, cases[i].pixels_per_module);
    ASSERT_TRUE(png) << png.error().message();
    const auto path = dir / ("code-" + std::to_string(i) + ".png");
    std::ofstream(path, std::ios::binary) << *png;
    command += " '" + path.string() + "'";
  }
  // zbarimg prints one line per symbol, file by file, in argument order. Its stderr (which
  // also carries D-Bus chatter on machines without a system bus) is kept apart for diagnosis.
  const auto errors = dir / "zbarimg.stderr";
  const std::string output = RunCommand(command + " 2>'" + errors.string() + "'", status);
  std::ifstream error_file(errors);
  const std::string error_text(std::istreambuf_iterator<char>(error_file), {});
  EXPECT_EQ(status, 0) << error_text;
  std::string expected;
  for (const Case& c : cases) expected += c.url + "\n";
  EXPECT_EQ(output, expected);
}

}  // namespace
}  // namespace kiosk_edge
