#pragma once

#include <filesystem>
#include <span>
#include <string>

#include "common/error.hpp"
#include "kiosk/qr/qr_code.hpp"

namespace kiosk_edge {

// One printed code: what it encodes and the words printed with it.
struct QrLabel {
  std::string url;       // encoded in the code and printed under it as text
  std::string title;     // the channel's name, printed in bold
  std::string subtitle;  // the placement path, e.g. "north / tower-3 / elevator-2 / poster-v2"
  QrErrorCorrection level = QrErrorCorrection::kQuartile;
};

// kOnePerPage: one A4 page per label, the code 120 mm wide, centred, large text.
// kA4Grid: A4 pages of 3 columns x 4 rows of labels (12 per page), each code 44 mm wide, with
// light dashed cut lines around each cell.
enum class PdfLayout { kOnePerPage, kA4Grid };

inline constexpr int kPdfGridColumns = 3;
inline constexpr int kPdfGridRows = 4;

// Writes a print-ready PDF of `labels` to `out`, in order: each code as vector rectangles (no
// bitmaps) with its 4-module quiet zone, at least 25 mm wide without the quiet zone, labelled
// below with its title, subtitle and URL as text (a text too long for the space is set smaller,
// then shortened with "…"). Fonts are the system's generic "sans-serif", embedded by Cairo.
// The file is written next to `out` first and renamed over it only when complete, so a failure
// never leaves a half-written PDF at `out`.
// Errors: kInvalidArgument if `labels` is empty or a URL cannot be encoded (the message names
// the label); kIo with the path if the file cannot be written.
Result<void> RenderPdf(std::span<const QrLabel> labels, PdfLayout layout,
                       const std::filesystem::path& out);

}  // namespace kiosk_edge
