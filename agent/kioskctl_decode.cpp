#include "agent/kioskctl_decode.hpp"

#include <filesystem>

#include "kiosk/scanner/image_files.hpp"
#include "kiosk/scanner/scanner.hpp"

namespace kiosk_edge {

std::string EscapeDecodedText(std::string_view text) {
  std::string escaped;
  escaped.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '\\':
        escaped += "\\\\";
        break;
      case '\n':
        escaped += "\\n";
        break;
      case '\r':
        escaped += "\\r";
        break;
      case '\t':
        escaped += "\\t";
        break;
      default:
        escaped += c;
    }
  }
  return escaped;
}

int DecodeCommand(std::span<const std::string_view> files, std::ostream& out, std::ostream& err) {
  if (files.empty()) {
    err << "usage: kioskctl decode FILE...\n";
    return 2;
  }
  int status = 0;
  for (const std::string_view file : files) {
    auto image = LoadImageFile(std::filesystem::path(file));
    if (!image) {
      err << "kioskctl: decode: " << image.error().message() << "\n";
      status = 1;
      continue;
    }
    for (const std::string& text : ScanFrame(*image).texts) {
      out << file << '\t' << EscapeDecodedText(text) << '\n';
    }
  }
  out.flush();
  return status;
}

}  // namespace kiosk_edge
