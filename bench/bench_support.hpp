#pragma once

// What the benchmarks share: a scratch folder, seeded random draws for generated data, the
// machine's load average (printed beside every figure, since these run on shared machines), and
// comma-separated flag values.

#include <stdlib.h>

#include <algorithm>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace kiosk_edge::bench {

// A private folder under $TMPDIR named `<prefix>-XXXXXX`, removed with everything in it at the
// end; path() is empty when it could not be made.
class ScratchDir {
 public:
  explicit ScratchDir(std::string_view prefix) {
    std::string path =
        (std::filesystem::temp_directory_path() / (std::string(prefix) + "-XXXXXX")).string();
    if (::mkdtemp(path.data()) != nullptr) path_ = path;
  }
  ~ScratchDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Seeded draws: the same seed makes the same dataset.
class Draw {
 public:
  explicit Draw(std::uint64_t seed) : random_(seed) {}
  std::uint64_t Below(std::uint64_t n) { return random_() % n; }
  bool Percent(int p) { return Below(100) < static_cast<std::uint64_t>(p); }
  std::string Hex(std::size_t digits) { return FromAlphabet("0123456789abcdef", digits); }
  std::string Base32(std::size_t length) {
    return FromAlphabet("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", length);
  }
  template <class T, std::size_t N>
  std::string_view Pick(const T (&items)[N]) {
    return items[Below(N)];
  }

 private:
  std::string FromAlphabet(std::string_view alphabet, std::size_t length) {
    std::string text(length, alphabet[0]);
    for (char& c : text) c = alphabet[Below(alphabet.size())];
    return text;
  }
  std::mt19937_64 random_;
};

// "/proc/loadavg"'s three load averages: "1.20 / 0.95 / 0.80".
inline std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return one + " / " + five + " / " + fifteen;
}

// True when every name is a profile-store backend the benchmarks run on: sqlite or postgres.
inline bool AreStoreBackends(const std::vector<std::string>& names) {
  return std::all_of(names.begin(), names.end(), [](const std::string& name) {
    return name == "sqlite" || name == "postgres";
  });
}

// Reads a command line of `--flag value` pairs: `take(flag, value)` keeps one and says whether
// it knows the flag, and may throw (std::stoi) on a malformed value. False for a flag without a
// value, an unknown flag or a malformed value.
template <class Take>
bool ReadFlagPairs(int argc, char** argv, Take take) {
  for (int i = 1; i < argc; i += 2) {
    if (i + 1 >= argc) return false;
    try {
      if (!take(std::string(argv[i]), std::string(argv[i + 1]))) return false;
    } catch (const std::exception&) {
      return false;
    }
  }
  return true;
}

// "a,b,,c" -> {"a", "b", "", "c"}: a flag's list of values.
inline std::vector<std::string> SplitCommas(const std::string& value) {
  std::vector<std::string> parts;
  for (std::size_t start = 0; start <= value.size();) {
    const std::size_t comma = std::min(value.find(',', start), value.size());
    parts.push_back(value.substr(start, comma - start));
    start = comma + 1;
  }
  return parts;
}

}  // namespace kiosk_edge::bench
