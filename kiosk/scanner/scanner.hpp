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
  kPlain,            // the frame as is, ZXing's default (local average) binarizer
  kInverted,         // 255 - v: white-on-black codes (dark-mode phone wallets); 1.4 has no
                     // tryInvert
  kGlobalHistogram,  // one threshold per frame, at the valley of its histogram: uneven light
  kUpscale1_5,       // enlarged 1.5x (bilinear): small codes with modules 1-2 pixels wide
  kUpscale2Sharpen,  // enlarged 2x (bilinear), then unsharp-masked: small, blurry codes
};

std::string_view ToString(ScanStep step);

// The pipeline's steps, in order: plain, inverted, then the retries that raised the read rate
// on the ZXing-C++ sample photographs (tests/kiosk/qr_samples_test.cpp shows each one helping).
std::span<const ScanStep> DefaultScanSteps();

// The texts one step reads in `frame` (empty for an invalid frame). Never throws.
std::vector<std::string> ScanWithStep(const GreyImage& frame, ScanStep step);

struct ScanResult {
  std::vector<std::string> texts;  // empty when no step read a code
  int steps_tried = 0;             // how many steps ran (the last one read the codes)
};

// Runs `steps` in order and stops at the first that reads at least one code. Never throws.
ScanResult ScanFrame(const GreyImage& frame, std::span<const ScanStep> steps);
inline ScanResult ScanFrame(const GreyImage& frame) { return ScanFrame(frame, DefaultScanSteps()); }

}  // namespace kiosk_edge
