#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kiosk/scanner/qr_decoder.hpp"

namespace kiosk_edge {

// One attempt of the scanner pipeline. Every step looks for QR codes only, with TryHarder and
// TryRotate; they differ in the picture ZXing is given and how it binarizes it.
enum class ScanStep {
  kPlain,                 // the frame as is, ZXing's default (local average) binarizer
  kInverted,              // 255 - v: white-on-black codes (dark-mode phone wallets); 1.4 has no
                          // tryInvert
  kGlobalHistogram,       // one threshold per frame, at the valley of its histogram: uneven light
  kUpscale1_5,            // enlarged 1.5x (bilinear): small codes with modules 1-2 pixels wide
  kUpscale2Sharpen,       // enlarged 2x (bilinear), then unsharp-masked: small, blurry codes
  kTaper,                 // the frame "tapered": one side shrunk to 90% of its length, fading to
                          // none at the opposite side; each of the four sides in turn. Reads
                          // photos of codes at an angle or on a bent shirt that every other
                          // step misses (why, in ZXing's terms, is not established; see
                          // scanner.cpp for how the factor was chosen). Local average.
  kTaperGlobalHistogram,  // the same four tapers, global histogram binarizer
  // For live camera frames (see LiveScanSteps): the frame as is / inverted, without ZXing's
  // downscaled copies, and only when CountFinderRows (frame.hpp) sees at least
  // kLiveMinFinderRows rows of the polarity ZXing will look for; otherwise the step reads
  // nothing at once.
  kLivePlain,
  kLiveInverted,
};

// A readable code shows at least 3 such rows (one per finder pattern) even when tiny; asking for
// 2 lets a frame of background with one stray match through no further than the row scan.
inline constexpr int kLiveMinFinderRows = 2;

std::string_view ToString(ScanStep step);

// For still pictures (image files, `kioskctl decode`), in order: plain, inverted, then the
// retries that raised the read rate on the ZXing-C++ sample photographs
// (tests/kiosk/qr_samples_test.cpp shows each one helping). A picture without a code runs all
// of them, 13 decodes: about 47 ms at 640 x 480 and 150 ms at 1280 x 720 on one core of the
// bench machine, too slow for live frames.
std::span<const ScanStep> DefaultScanSteps();

// For live camera frames (the counter camera, frames the counter page posts), where the next
// frame follows within a fraction of a second: kLivePlain, then kLiveInverted (dark-mode
// wallets show white on black). A frame costs a row scan and at most two decodes without
// downscaled copies; a frame showing nothing shaped like a finder pattern costs only the row
// scan (about 1 ms at 1280 x 720). The still-photo retries are left out: they rescue photos of
// damaged, tiny or bent codes, and a shopper holding a phone to the camera gives it another
// frame instead. Figures: docs/benchmarks.md, "Scanner".
std::span<const ScanStep> LiveScanSteps();

// The texts one step reads in `frame` (empty for an invalid frame). Never throws.
std::vector<std::string> ScanWithStep(const GreyImage& frame, ScanStep step);

struct ScanResult {
  std::vector<std::string> texts;  // empty when no step read a code
  int steps_tried = 0;             // how many steps ran (the last one read the codes)
};

// Runs `steps` in order and stops at the first that reads at least one code. The row scan of
// the live steps is done at most once per call. Never throws; thread-safe.
ScanResult ScanFrame(const GreyImage& frame, std::span<const ScanStep> steps);
inline ScanResult ScanFrame(const GreyImage& frame) { return ScanFrame(frame, DefaultScanSteps()); }

}  // namespace kiosk_edge
