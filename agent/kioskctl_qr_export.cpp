#include "agent/kioskctl_qr_export.hpp"

#include <boost/json/object.hpp>
#include <vector>

#include "common/files.hpp"
#include "common/json_fields.hpp"
#include "common/strings.hpp"
#include "kiosk/qr/qr_code.hpp"
#include "kiosk/qr/qr_pdf.hpp"
#include "kiosk/qr/qr_render.hpp"

namespace kiosk_edge {
namespace {

constexpr int kPngPixelsPerModule = 10;
constexpr double kSvgWidthMm = 40;

}  // namespace

Result<QrExportOptions> ParseQrExportOptions(
    const std::map<std::string, std::string, std::less<>>& options) {
  QrExportOptions parsed;
  const auto format = options.find("format");
  if (format == options.end()) {
    return Error(ErrorKind::kInvalidArgument, "qr export needs --format png|svg|pdf");
  }
  if (format->second == "png") {
    parsed.format = QrFileFormat::kPng;
  } else if (format->second == "svg") {
    parsed.format = QrFileFormat::kSvg;
  } else if (format->second == "pdf") {
    parsed.format = QrFileFormat::kPdf;
  } else {
    return Error(ErrorKind::kInvalidArgument,
                 StrCat("--format must be png, svg or pdf, not '", format->second, "'"));
  }
  const auto out = options.find("out");
  if (out == options.end()) return Error(ErrorKind::kInvalidArgument, "qr export needs --out DIR");
  parsed.out_dir = out->second;
  const auto channel = options.find("channel");
  if (channel != options.end()) parsed.channel_id = channel->second;
  if (!options.contains("all") && !parsed.channel_id) {
    return Error(ErrorKind::kInvalidArgument, "qr export needs --all or --channel ID");
  }
  if (const auto layout = options.find("layout"); layout != options.end()) {
    if (layout->second != "page" && layout->second != "grid") {
      return Error(ErrorKind::kInvalidArgument, "--layout must be page or grid");
    }
    parsed.grid = layout->second == "grid";
  }
  return parsed;
}

Result<void> ExportQrCodes(const boost::json::array& channels, const QrExportOptions& options,
                           std::ostream& out) {
  std::error_code error;
  std::filesystem::create_directories(options.out_dir, error);
  if (error) {
    return Error(ErrorKind::kIo, StrCat(options.out_dir.string(), ": ", error.message()));
  }
  std::vector<QrLabel> labels;
  for (const auto& value : channels) {
    const auto& channel = value.as_object();
    const std::string id = JsonString(channel, "id");
    if (JsonBool(channel, "retired") || (options.channel_id && *options.channel_id != id)) continue;
    const QrErrorCorrection level = JsonString(channel, "medium") == "kiosk_screen"
                                        ? QrErrorCorrection::kMedium
                                        : QrErrorCorrection::kQuartile;
    labels.push_back({JsonString(channel, "code_url"), JsonString(channel, "name"),
                      JsonString(channel, "path"), level});
    if (options.format == QrFileFormat::kPdf) continue;
    auto qr = EncodeQr(labels.back().url, level);
    if (!qr) return qr.error().WithContext(id);
    const bool png = options.format == QrFileFormat::kPng;
    const auto file = options.out_dir / (id + (png ? ".png" : ".svg"));
    Result<std::string> contents = png ? RenderPng(*qr, kPngPixelsPerModule)
                                       : Result<std::string>(RenderSvg(*qr, kSvgWidthMm));
    if (!contents) return contents.error().WithContext(id);
    if (auto written = WriteFileAtomically(file, *contents, 0644); !written) return written;
    out << file.string() << "\t" << labels.back().url << "\n";
  }
  if (labels.empty()) {
    return Error(ErrorKind::kNotFound, options.channel_id
                                           ? StrCat("no active channel ", *options.channel_id)
                                           : std::string("no active channels"));
  }
  if (options.format == QrFileFormat::kPdf) {
    const auto file = options.out_dir / "channels.pdf";
    if (auto written =
            RenderPdf(labels, options.grid ? PdfLayout::kA4Grid : PdfLayout::kOnePerPage, file);
        !written) {
      return written;
    }
    out << file.string() << "\t" << labels.size() << " codes\n";
  }
  return {};
}

}  // namespace kiosk_edge
