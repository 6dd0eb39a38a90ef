#pragma once

#include <boost/json/array.hpp>
#include <filesystem>
#include <map>
#include <optional>
#include <ostream>
#include <string>

#include "common/error.hpp"

namespace kiosk_edge {

enum class QrFileFormat { kPng, kSvg, kPdf };

struct QrExportOptions {
  QrFileFormat format = QrFileFormat::kPng;
  std::filesystem::path out_dir;
  std::optional<std::string> channel_id;  // unset: every active channel (--all)
  bool grid = false;                      // PDF: an A4 grid instead of one page per code
};

// From kioskctl's options: format, out, all | channel, layout. kInvalidArgument says what is
// missing or wrong.
Result<QrExportOptions> ParseQrExportOptions(
    const std::map<std::string, std::string, std::less<>>& options);

// Writes the codes of `channels` (the admin API's channel objects) into options.out_dir:
// <ID>.png or <ID>.svg per channel, or channels.pdf; prints one line per file written.
// Screens get error correction M, print Q. Retired channels are skipped.
Result<void> ExportQrCodes(const boost::json::array& channels, const QrExportOptions& options,
                           std::ostream& out);

}  // namespace kiosk_edge
