// The Cairo adapter: the only file that includes cairo headers. Coordinates are PDF points
// (1/72 inch); layout constants are in millimetres and converted with Mm().
#include "kiosk/qr/qr_pdf.hpp"

#include <cairo-pdf.h>
#include <cairo.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "kiosk/qr/qr_render.hpp"

namespace kiosk_edge {
namespace {

constexpr double Mm(double mm) { return mm * 72.0 / 25.4; }

constexpr double kA4Width = Mm(210);
constexpr double kA4Height = Mm(297);
constexpr const char* kFontFamily = "sans-serif";
constexpr double kMinFontSize = 4.5;  // points; smaller is hard to read on paper

// The sizes of one label: the code's box (quiet zone included) and its three lines of text.
struct LabelStyle {
  double code_box;  // side of the code including the quiet zone
  double gap;       // between the code box and the title's cap height
  double title_size;
  double subtitle_size;
  double url_size;
  double line_gap;       // extra space between text lines
  double min_name_size;  // title and subtitle shrink to this before being shortened
};

// 120 mm box: even a version 40 code (177 modules) keeps modules over 0.6 mm.
constexpr LabelStyle kPageStyle{Mm(120), Mm(6), 20, 13, 11, Mm(2), 9};
// 44 mm box: a version 1 code (21 + 8 modules) is still 44 * 21 / 29 = 31.9 mm wide.
constexpr LabelStyle kGridStyle{Mm(44), Mm(2.5), 9, 7, 6.5, Mm(0.8), 6};
constexpr double kGridMargin = Mm(10);
constexpr double kGridCellPadding = Mm(3);

struct CairoSurfaceFree {
  void operator()(cairo_surface_t* surface) const { cairo_surface_destroy(surface); }
};
struct CairoFree {
  void operator()(cairo_t* cr) const { cairo_destroy(cr); }
};

// Draws `qr` with its quiet zone in a `box`-wide square whose top-left corner is (x, y). Each
// row's runs of dark modules become one rectangle, and all are filled as one path so
// renderers never show seams between neighbouring modules.
void DrawCode(cairo_t* cr, const QrMatrix& qr, double x, double y, double box) {
  const double module = box / (qr.size + 2 * kQuietZoneModules);
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_rectangle(cr, x, y, box, box);
  cairo_fill(cr);
  const double origin_x = x + kQuietZoneModules * module;
  const double origin_y = y + kQuietZoneModules * module;
  for (int row = 0; row < qr.size; ++row) {
    qr.ForEachDarkRun(row, [&](int first, int end) {
      cairo_rectangle(cr, origin_x + first * module, origin_y + row * module,
                      (end - first) * module, module);
    });
  }
  cairo_set_source_rgb(cr, 0, 0, 0);
  cairo_fill(cr);
}

double TextWidth(cairo_t* cr, const std::string& text) {
  cairo_text_extents_t extents;
  cairo_text_extents(cr, text.c_str(), &extents);
  return extents.x_advance;
}

// Removes the last UTF-8 code point of `text`.
void PopCodePoint(std::string& text) {
  while (!text.empty()) {
    const auto byte = static_cast<unsigned char>(text.back());
    text.pop_back();
    if ((byte & 0xC0) != 0x80) break;  // not a continuation byte: the code point's first byte
  }
}

// Draws `text` centred on `centre_x` with its baseline at `baseline`, at `size` points, or
// smaller (down to `min_size`) to fit `max_width`, then shortened with "…" if still too wide.
void DrawCentredText(cairo_t* cr, const std::string& text, double centre_x, double baseline,
                     double size, double min_size, double max_width, bool bold) {
  if (text.empty()) return;
  cairo_select_font_face(cr, kFontFamily, CAIRO_FONT_SLANT_NORMAL,
                         bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
  std::string shown = text;
  double width = TextWidth(cr, shown);
  // Glyph advances do not scale exactly with the size (hinting), so shrink until it fits.
  while (width > max_width && size > min_size) {
    size = std::max(min_size, size * std::min(0.97, max_width / width));
    cairo_set_font_size(cr, size);
    width = TextWidth(cr, shown);
  }
  while (width > max_width && !shown.empty()) {
    PopCodePoint(shown);
    width = TextWidth(cr, shown + "…");
    if (width <= max_width) shown += "…";
  }
  cairo_set_source_rgb(cr, 0, 0, 0);
  cairo_move_to(cr, centre_x - width / 2, baseline);
  cairo_show_text(cr, shown.c_str());
}

// The height of a label below its code box's top: code box, gap and three lines of text.
double LabelHeight(const LabelStyle& style) {
  return style.code_box + style.gap + style.title_size + style.subtitle_size + style.url_size +
         3 * style.line_gap;
}

// Draws one label with the code box's top edge centred on (centre_x, top).
void DrawLabel(cairo_t* cr, const QrLabel& label, const QrMatrix& qr, const LabelStyle& style,
               double centre_x, double top, double text_width) {
  DrawCode(cr, qr, centre_x - style.code_box / 2, top, style.code_box);
  double baseline = top + style.code_box + style.gap + style.title_size;
  DrawCentredText(cr, label.title, centre_x, baseline, style.title_size, style.min_name_size,
                  text_width, true);
  baseline += style.line_gap + style.subtitle_size;
  DrawCentredText(cr, label.subtitle, centre_x, baseline, style.subtitle_size,
                  std::min(style.min_name_size, style.subtitle_size), text_width, false);
  // The URL may be typed in by hand, so it gets the smallest size before being shortened.
  baseline += style.line_gap + style.url_size;
  DrawCentredText(cr, label.url, centre_x, baseline, style.url_size, kMinFontSize, text_width,
                  false);
}

void DrawCutLines(cairo_t* cr, double x, double y, double width, double height) {
  static constexpr double kDash[] = {Mm(1.5), Mm(1.5)};
  cairo_save(cr);
  cairo_set_source_rgb(cr, 0.75, 0.75, 0.75);
  cairo_set_line_width(cr, 0.3);
  cairo_set_dash(cr, kDash, 2, 0);
  cairo_rectangle(cr, x, y, width, height);
  cairo_stroke(cr);
  cairo_restore(cr);
}

// Cairo stops drawing on a context that was given invalid UTF-8, so bad text would silently
// give blank pages; it is refused up front instead.
bool IsValidUtf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t length = 0;
    std::uint32_t code_point = 0;
    if (lead < 0x80) {
      length = 1, code_point = lead;
    } else if ((lead & 0xE0) == 0xC0) {
      length = 2, code_point = lead & 0x1Fu;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3, code_point = lead & 0x0Fu;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4, code_point = lead & 0x07u;
    } else {
      return false;
    }
    if (i + length > text.size()) return false;
    for (std::size_t k = 1; k < length; ++k) {
      const auto byte = static_cast<unsigned char>(text[i + k]);
      if ((byte & 0xC0) != 0x80) return false;
      code_point = (code_point << 6) | (byte & 0x3Fu);
    }
    static constexpr std::uint32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code_point < kMinForLength[length] || code_point > 0x10FFFF ||
        (code_point >= 0xD800 && code_point <= 0xDFFF)) {
      return false;  // overlong, out of range, or a surrogate
    }
    i += length;
  }
  return true;
}

std::string Describe(const QrLabel& label, std::size_t index) {
  return "label " + std::to_string(index + 1) +
         (label.title.empty() ? "" : " (" + label.title + ")");
}

}  // namespace

Result<void> RenderPdf(std::span<const QrLabel> labels, PdfLayout layout,
                       const std::filesystem::path& out) {
  if (labels.empty()) return Error(ErrorKind::kInvalidArgument, "PDF: no labels to print");
  // Encode everything first: a bad URL is refused before any file is touched.
  std::vector<QrMatrix> codes;
  codes.reserve(labels.size());
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (!IsValidUtf8(labels[i].url) || !IsValidUtf8(labels[i].title) ||
        !IsValidUtf8(labels[i].subtitle)) {
      return Error(ErrorKind::kInvalidArgument,
                   "PDF: label " + std::to_string(i + 1) + ": text is not valid UTF-8");
    }
    auto code = EncodeQr(labels[i].url, labels[i].level);
    if (!code) return code.error().WithContext("PDF: " + Describe(labels[i], i));
    codes.push_back(std::move(*code));
  }

  const std::filesystem::path partial =
      out.string() + ".partial-" + std::to_string(static_cast<long>(::getpid()));
  const auto io_error = [&](std::string_view what) {
    std::error_code ignored;
    std::filesystem::remove(partial, ignored);
    return Error(ErrorKind::kIo, "PDF: " + out.string() + ": " + std::string(what));
  };

  std::unique_ptr<cairo_surface_t, CairoSurfaceFree> surface(
      cairo_pdf_surface_create(partial.c_str(), kA4Width, kA4Height));
  if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS) {
    return io_error(cairo_status_to_string(cairo_surface_status(surface.get())));
  }
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_TITLE, "QR codes");
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_CREATOR, "kiosk-edge");
  std::unique_ptr<cairo_t, CairoFree> cr(cairo_create(surface.get()));

  if (layout == PdfLayout::kOnePerPage) {
    const double top = (kA4Height - LabelHeight(kPageStyle)) / 2;
    for (std::size_t i = 0; i < labels.size(); ++i) {
      DrawLabel(cr.get(), labels[i], codes[i], kPageStyle, kA4Width / 2, top, kA4Width - Mm(30));
      cairo_show_page(cr.get());
    }
  } else {
    const double cell_width = (kA4Width - 2 * kGridMargin) / kPdfGridColumns;
    const double cell_height = (kA4Height - 2 * kGridMargin) / kPdfGridRows;
    const double top_in_cell = (cell_height - LabelHeight(kGridStyle)) / 2;
    constexpr std::size_t kPerPage = kPdfGridColumns * kPdfGridRows;
    for (std::size_t i = 0; i < labels.size(); ++i) {
      const auto slot = static_cast<int>(i % kPerPage);
      const double cell_x = kGridMargin + (slot % kPdfGridColumns) * cell_width;
      const double cell_y = kGridMargin + (slot / kPdfGridColumns) * cell_height;
      DrawCutLines(cr.get(), cell_x, cell_y, cell_width, cell_height);
      DrawLabel(cr.get(), labels[i], codes[i], kGridStyle, cell_x + cell_width / 2,
                cell_y + top_in_cell, cell_width - 2 * kGridCellPadding);
      if (slot == kPerPage - 1 || i + 1 == labels.size()) cairo_show_page(cr.get());
    }
  }

  const cairo_status_t draw_status = cairo_status(cr.get());
  cr.reset();
  if (draw_status != CAIRO_STATUS_SUCCESS) {
    surface.reset();
    return io_error(cairo_status_to_string(draw_status));
  }
  cairo_surface_finish(surface.get());
  const cairo_status_t status = cairo_surface_status(surface.get());
  surface.reset();
  if (status != CAIRO_STATUS_SUCCESS) return io_error(cairo_status_to_string(status));
  std::error_code ec;
  std::filesystem::rename(partial, out, ec);
  if (ec) return io_error(ec.message());
  return {};
}

}  // namespace kiosk_edge
