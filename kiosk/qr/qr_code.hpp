#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace kiosk_edge {

// How much of a symbol may be damaged (dirt, glare, a torn corner) and still decode: roughly
// 7 %, 15 %, 25 % and 30 % of the codewords. Higher levels make larger symbols.
enum class QrErrorCorrection { kLow, kMedium, kQuartile, kHigh };

// The longest text EncodeQr accepts. Channel and presence URLs are well under 100 bytes; the
// limit keeps a mistaken caller from asking for a symbol no phone can read from a poster.
inline constexpr std::size_t kMaxQrTextBytes = 2048;

// An encoded QR symbol without its quiet zone: `size` x `size` modules (21 for version 1,
// +4 per version), row-major, 1 = dark. Renderers add the quiet zone.
struct QrMatrix {
  int size = 0;
  std::vector<std::uint8_t> modules;

  // Precondition: 0 <= x, y < size.
  bool Dark(int x, int y) const {
    return modules[static_cast<std::size_t>(y) * static_cast<std::size_t>(size) +
                   static_cast<std::size_t>(x)] != 0;
  }

  // Calls visit(first, end) for each run of dark modules [first, end) in row `y`, left to right:
  // every renderer draws a row as runs.
  template <class Visit>
  void ForEachDarkRun(int y, Visit&& visit) const {
    int x = 0;
    while (x < size) {
      if (!Dark(x, y)) {
        ++x;
        continue;
      }
      const int first = x;
      while (x < size && Dark(x, y)) ++x;
      visit(first, x);
    }
  }
};

// Encodes `text` as the smallest QR version (1..40) that holds it at `level`. Segments are
// chosen by libqrencode from an 8-bit, case-sensitive hint, so an upper-case URL or base32 path
// is packed in alphanumeric mode (5.5 bits per character instead of 8) and gives a smaller code.
// Errors: kInvalidArgument if `text` is empty, longer than kMaxQrTextBytes, contains a NUL
// byte, or does not fit a version 40 symbol at `level`; kInternal if libqrencode fails otherwise.
// Thread-safe.
Result<QrMatrix> EncodeQr(std::string_view text, QrErrorCorrection level);

}  // namespace kiosk_edge
