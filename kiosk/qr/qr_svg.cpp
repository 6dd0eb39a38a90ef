// SVG output: plain text, no third-party library.
#include <charconv>
#include <cmath>

#include "kiosk/qr/qr_render.hpp"

namespace kiosk_edge {
namespace {

constexpr double kFallbackSizeMm = 30.0;

void AppendInt(std::string& out, int value) {
  char buffer[16];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, end);
}

// Shortest round-trip form, independent of the C locale ("30", "25.4", never "25,4").
void AppendMm(std::string& out, double value) {
  char buffer[32];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, end);
  out.append("mm");
}

}  // namespace

std::string RenderSvg(const QrMatrix& qr, double size_mm) {
  if (!std::isfinite(size_mm) || size_mm <= 0) size_mm = kFallbackSizeMm;
  const bool well_formed =
      qr.size > 0 &&
      qr.modules.size() == static_cast<std::size_t>(qr.size) * static_cast<std::size_t>(qr.size);
  const int symbol = well_formed ? qr.size : 21;
  const int side = symbol + 2 * kQuietZoneModules;

  std::string svg;
  // A typical channel code has ~300 runs of ~16 bytes each.
  svg.reserve(400 + static_cast<std::size_t>(symbol) * static_cast<std::size_t>(symbol) * 3);
  svg.append(R"(<?xml version="1.0" encoding="UTF-8"?>)"
             "\n"
             R"(<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width=")");
  AppendMm(svg, size_mm);
  svg.append(R"(" height=")");
  AppendMm(svg, size_mm);
  svg.append(R"(" viewBox="0 0 )");
  AppendInt(svg, side);
  svg.push_back(' ');
  AppendInt(svg, side);
  svg.append(R"(" shape-rendering="crispEdges">)"
             "\n"
             R"(<rect x="0" y="0" width=")");
  AppendInt(svg, side);
  svg.append(R"(" height=")");
  AppendInt(svg, side);
  svg.append(R"(" fill="#ffffff"/>)"
             "\n");
  if (!well_formed) {
    svg.append("</svg>\n");
    return svg;
  }
  // Each run of dark modules in a row is one closed 1-module-high rectangle.
  svg.append(R"(<path fill="#000000" d=")");
  for (int y = 0; y < qr.size; ++y) {
    qr.ForEachDarkRun(y, [&](int first, int end) {
      svg.push_back('M');
      AppendInt(svg, first + kQuietZoneModules);
      svg.push_back(' ');
      AppendInt(svg, y + kQuietZoneModules);
      svg.push_back('h');
      AppendInt(svg, end - first);
      svg.append("v1h-");
      AppendInt(svg, end - first);
      svg.push_back('z');
    });
  }
  svg.append("\"/>\n</svg>\n");
  return svg;
}

}  // namespace kiosk_edge
