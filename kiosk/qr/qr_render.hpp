#pragma once

#include <string>

#include "common/error.hpp"
#include "kiosk/qr/qr_code.hpp"
#include "kiosk/scanner/qr_decoder.hpp"

namespace kiosk_edge {

// The white margin a reader needs around a symbol, on every side, as the QR standard asks.
// Every renderer includes it, so the output can be placed on any background.
inline constexpr int kQuietZoneModules = 4;

inline constexpr int kMinPixelsPerModule = 1;
inline constexpr int kMaxPixelsPerModule = 64;

// Returns a complete PNG file: 1-bit greyscale, (size + 2 * kQuietZoneModules) *
// pixels_per_module pixels square, each module a block of whole pixels, dark modules black on
// white. Written with zlib (deflate and CRC-32); no libpng.
// Errors: kInvalidArgument if `qr` is empty or malformed (modules.size() != size * size) or
// pixels_per_module is outside [kMinPixelsPerModule, kMaxPixelsPerModule]; kInternal if zlib
// fails. Thread-safe.
Result<std::string> RenderPng(const QrMatrix& qr, int pixels_per_module);

// Returns an SVG document `size_mm` millimetres square (width="30mm"), whose viewBox is in
// modules and includes the quiet zone: a white background rect and one <path> of the dark
// modules, each row's runs of dark modules merged into one rectangle, drawn with
// shape-rendering="crispEdges" so adjacent modules never show seams.
// Preconditions: `qr` is well formed (as for RenderPng) and size_mm is finite and > 0; a
// malformed matrix renders as a blank code and a bad size is replaced by 30 mm.
std::string RenderSvg(const QrMatrix& qr, double size_mm);

// Rasterises `qr` into an 8-bit greyscale image for tests, benchmarks and the kiosk screen:
// quiet zone included, white (255) background, dark modules 0, pixels_per_module pixels per
// module. Preconditions as for RenderPng; a malformed matrix or a pixel size outside the range
// yields an empty image (width = height = 0).
GreyImage RasteriseQr(const QrMatrix& qr, int pixels_per_module);

}  // namespace kiosk_edge
