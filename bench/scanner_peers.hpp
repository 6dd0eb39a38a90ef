#pragma once

// The decoders kiosk-edge's scanner is compared with in bench/scanner_bench.cpp, each in its own
// adapter file (the only file that includes its library's headers). Both take the same 8-bit
// grey buffers as ScanFrame and return the texts they read, in their library's order.

#include <memory>
#include <string>
#include <vector>

#include "kiosk/scanner/qr_decoder.hpp"

namespace kiosk_edge::bench {

// zbar 0.23 (Debian's libzbar0) with only its QR code reader enabled; otherwise its defaults
// (texts converted to UTF-8 by zbar's own character set guess). Not thread-safe: one per thread.
class ZbarQrReader {
 public:
  ZbarQrReader();
  ~ZbarQrReader();
  ZbarQrReader(const ZbarQrReader&) = delete;
  ZbarQrReader& operator=(const ZbarQrReader&) = delete;

  std::vector<std::string> Decode(const GreyImage& image);

 private:
  struct Scanner;
  std::unique_ptr<Scanner> scanner_;
};

// ZXing-C++ 1.4's ReadBarcodes with a default-constructed DecodeHints (TryHarder, TryRotate,
// TryDownscale, local average binarizer), formats limited to QR code so that it searches for
// what the others search for. One call, no retries: what an application gets from the library
// alone. Thread-safe.
std::vector<std::string> BareZxingDecodeQr(const GreyImage& image);

}  // namespace kiosk_edge::bench
