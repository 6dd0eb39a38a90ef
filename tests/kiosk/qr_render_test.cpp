#include "kiosk/qr/qr_render.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "kiosk/qr/qr_pdf.hpp"
#include "kiosk/scanner/qr_decoder.hpp"
#include "support/qr_encode.hpp"
#include "support/temp_dir.hpp"

// The sanitizer run suppresses fontconfig's process-wide font cache: see tests/lsan.supp.

namespace kiosk_edge {
namespace {

using testing::kChannelUrl;
using testing::MustEncode;
using testing::TempDir;

std::uint32_t BigEndian32(std::string_view bytes, std::size_t at) {
  return std::uint32_t(static_cast<unsigned char>(bytes[at])) << 24 |
         std::uint32_t(static_cast<unsigned char>(bytes[at + 1])) << 16 |
         std::uint32_t(static_cast<unsigned char>(bytes[at + 2])) << 8 |
         std::uint32_t(static_cast<unsigned char>(bytes[at + 3]));
}

// A PNG reader for what RenderPng claims to write (1-bit greyscale, not interlaced), strict
// about everything else: chunk CRCs, chunk order, all five filter types, the exact data size.
// Returns the image as 8-bit grey (0 / 255), or an error message.
struct PngRead {
  GreyImage image;
  std::vector<std::string> chunk_types;
  std::string error;
};

int Paeth(int a, int b, int c) {
  const int p = a + b - c;
  const int pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
}

PngRead ReadPng(std::string_view png) {
  PngRead read;
  const std::string_view signature("\x89PNG\r\n\x1a\n", 8);
  if (png.substr(0, 8) != signature) return read.error = "bad signature", read;
  std::size_t at = 8;
  std::uint32_t width = 0, height = 0;
  std::string idat;
  while (at + 12 <= png.size()) {
    const std::uint32_t length = BigEndian32(png, at);
    if (at + 12 + length > png.size()) return read.error = "chunk overruns the file", read;
    const std::string_view type = png.substr(at + 4, 4);
    const std::string_view data = png.substr(at + 8, length);
    const auto crc = static_cast<std::uint32_t>(
        crc32(0, reinterpret_cast<const Bytef*>(png.data() + at + 4), length + 4));
    if (crc != BigEndian32(png, at + 8 + length)) {
      return read.error = "bad CRC in " + std::string(type), read;
    }
    read.chunk_types.emplace_back(type);
    if (type == "IHDR") {
      if (length != 13) return read.error = "IHDR length", read;
      width = BigEndian32(data, 0);
      height = BigEndian32(data, 4);
      if (data.substr(8, 5) != std::string_view("\x01\x00\x00\x00\x00", 5)) {
        return read.error = "not 1-bit greyscale, deflate, adaptive filter, no interlace", read;
      }
    } else if (type == "IDAT") {
      idat.append(data);
    }
    at += 12 + length;
  }
  if (at != png.size()) return read.error = "trailing bytes", read;
  if (read.chunk_types.empty() || read.chunk_types.front() != "IHDR" ||
      read.chunk_types.back() != "IEND") {
    return read.error = "IHDR must come first and IEND last", read;
  }
  const std::size_t row_bytes = (width + 7) / 8;
  std::vector<unsigned char> raw(height * (row_bytes + 1) + 1);  // +1: detect excess data
  uLongf raw_size = static_cast<uLongf>(raw.size());
  if (uncompress(raw.data(), &raw_size, reinterpret_cast<const Bytef*>(idat.data()),
                 static_cast<uLong>(idat.size())) != Z_OK) {
    return read.error = "IDAT does not inflate", read;
  }
  if (raw_size != height * (row_bytes + 1)) return read.error = "wrong amount of pixel data", read;

  std::vector<unsigned char> previous(row_bytes, 0), current(row_bytes);
  read.image.width = static_cast<int>(width);
  read.image.height = static_cast<int>(height);
  read.image.pixels.resize(std::size_t(width) * height);
  for (std::uint32_t y = 0; y < height; ++y) {
    const unsigned char* line = raw.data() + y * (row_bytes + 1);
    for (std::size_t i = 0; i < row_bytes; ++i) {
      const int x = line[1 + i], a = i > 0 ? current[i - 1] : 0, b = previous[i],
                c = i > 0 ? previous[i - 1] : 0;
      int value = 0;
      switch (line[0]) {
        case 0:
          value = x;
          break;
        case 1:
          value = x + a;
          break;
        case 2:
          value = x + b;
          break;
        case 3:
          value = x + (a + b) / 2;
          break;
        case 4:
          value = x + Paeth(a, b, c);
          break;
        default:
          return read.error = "bad filter type", read;
      }
      current[i] = static_cast<unsigned char>(value);
    }
    for (std::uint32_t x = 0; x < width; ++x) {
      const bool white = (current[x / 8] >> (7 - x % 8)) & 1;
      read.image.pixels[std::size_t(y) * width + x] = white ? 255 : 0;
    }
    previous.swap(current);
  }
  return read;
}

TEST(RenderPngTest, WritesAOneBitGreyscalePngOfTheRightSize) {
  const QrMatrix qr = MustEncode(kChannelUrl);
  auto png = RenderPng(qr, 8);
  ASSERT_TRUE(png) << png.error().message();
  ASSERT_GT(png->size(), 33u);
  EXPECT_EQ(png->substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_EQ(png->substr(12, 4), "IHDR");
  const std::uint32_t side = std::uint32_t(qr.size + 2 * kQuietZoneModules) * 8;
  EXPECT_EQ(BigEndian32(*png, 16), side);
  EXPECT_EQ(BigEndian32(*png, 20), side);
  EXPECT_EQ((*png)[24], 1) << "bit depth";
  EXPECT_EQ((*png)[25], 0) << "colour type: greyscale";
  // Repeated scanlines compress to almost nothing: 11 kB of pixels in well under 2 kB.
  EXPECT_LT(png->size(), 2000u);
}

TEST(RenderPngTest, PixelsAreExactlyTheRasterisedCodeAndDecode) {
  for (int ppm : {1, 3, 7, 8, 13}) {
    SCOPED_TRACE("pixels per module " + std::to_string(ppm));
    const QrMatrix qr = MustEncode(kChannelUrl, QrErrorCorrection::kQuartile);
    auto png = RenderPng(qr, ppm);
    ASSERT_TRUE(png) << png.error().message();
    const PngRead read = ReadPng(*png);
    ASSERT_EQ(read.error, "");
    EXPECT_EQ(read.chunk_types, (std::vector<std::string>{"IHDR", "IDAT", "IEND"}));
    const GreyImage expected = RasteriseQr(qr, ppm);
    ASSERT_EQ(read.image.width, expected.width);
    ASSERT_EQ(read.image.height, expected.height);
    EXPECT_TRUE(read.image.pixels == expected.pixels);
    if (ppm >= 2) {
      EXPECT_EQ(DecodeQrCodes(read.image), std::vector<std::string>{std::string(kChannelUrl)});
    }
  }
}

TEST(RenderPngTest, LargestCodeAtLargestPixelSize) {
  const QrMatrix qr = MustEncode(std::string(1273, 'x'), QrErrorCorrection::kHigh);
  ASSERT_EQ(qr.size, 177);
  auto png = RenderPng(qr, kMaxPixelsPerModule);
  ASSERT_TRUE(png) << png.error().message();
  const PngRead read = ReadPng(*png);
  ASSERT_EQ(read.error, "");
  EXPECT_EQ(read.image.width, (177 + 8) * 64);
  EXPECT_TRUE(read.image.pixels == RasteriseQr(qr, kMaxPixelsPerModule).pixels);
}

TEST(RenderPngTest, RefusesBadPixelSizesAndEmptyMatrix) {
  const QrMatrix qr = MustEncode(kChannelUrl);
  for (int ppm : {0, -1, 65}) {
    auto png = RenderPng(qr, ppm);
    ASSERT_FALSE(png) << ppm;
    EXPECT_EQ(png.error().kind(), ErrorKind::kInvalidArgument);
  }
  auto empty = RenderPng(QrMatrix{}, 4);
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().kind(), ErrorKind::kInvalidArgument);
  QrMatrix short_modules = qr;
  short_modules.modules.pop_back();
  EXPECT_FALSE(RenderPng(short_modules, 4));
}

TEST(RasteriseQrTest, QuietZoneIsWhiteAndModulesArePixelBlocks) {
  const QrMatrix qr = MustEncode(kChannelUrl);
  const int ppm = 3;
  const GreyImage image = RasteriseQr(qr, ppm);
  const int side = (qr.size + 8) * ppm;
  ASSERT_EQ(image.width, side);
  ASSERT_EQ(image.height, side);
  ASSERT_EQ(image.pixels.size(), std::size_t(side) * side);
  for (int y = 0; y < side; ++y) {
    for (int x = 0; x < side; ++x) {
      const int mx = x / ppm - kQuietZoneModules, my = y / ppm - kQuietZoneModules;
      const bool inside = mx >= 0 && my >= 0 && mx < qr.size && my < qr.size;
      const int expected = inside && qr.Dark(mx, my) ? 0 : 255;
      ASSERT_EQ(image.pixels[std::size_t(y) * side + x], expected) << x << "," << y;
    }
  }
  EXPECT_EQ(RasteriseQr(qr, 0).width, 0);
  EXPECT_EQ(RasteriseQr(QrMatrix{}, 3).width, 0);
}

// Fills the modules the SVG path covers, reading the "Mx yhNv1h-Nz" runs RenderSvg writes.
std::vector<std::uint8_t> ModulesFromSvgPath(std::string_view d, int side) {
  std::vector<std::uint8_t> covered(std::size_t(side) * side, 0);
  std::istringstream in{std::string(d)};
  char m, h, v, z;
  int x, y, run, one, back;
  while (in >> m >> x >> y >> h >> run >> v >> one >> h >> back >> z) {
    EXPECT_EQ(std::string({m, h, v, z}), "Mhvz");
    EXPECT_EQ(one, 1);
    EXPECT_EQ(back, -run);
    for (int i = 0; i < run; ++i) covered.at(std::size_t(y) * side + x + i) += 1;
  }
  EXPECT_TRUE(in.eof()) << "unparsed path data";
  return covered;
}

TEST(RenderSvgTest, HasMillimetreSizeModuleViewBoxAndExactlyTheDarkModules) {
  const QrMatrix qr = MustEncode(kChannelUrl);
  const std::string svg = RenderSvg(qr, 30);
  const int side = qr.size + 8;
  const std::string n = std::to_string(side);
  EXPECT_NE(svg.find(R"(width="30mm" height="30mm")"), std::string::npos) << svg.substr(0, 300);
  EXPECT_NE(svg.find(R"(viewBox="0 0 )" + n + " " + n + "\""), std::string::npos);
  EXPECT_NE(svg.find(R"(shape-rendering="crispEdges")"), std::string::npos);
  EXPECT_NE(
      svg.find(R"(<rect x="0" y="0" width=")" + n + R"(" height=")" + n + R"(" fill="#ffffff"/>)"),
      std::string::npos);
  EXPECT_EQ(svg.find("<path"), svg.rfind("<path")) << "one path";
  EXPECT_NE(svg.find("</svg>"), std::string::npos);

  const std::size_t d_at = svg.find(" d=\"") + 4;
  const std::string_view d(svg.data() + d_at, svg.find('"', d_at) - d_at);
  const auto covered = ModulesFromSvgPath(d, side);
  for (int y = 0; y < side; ++y) {
    for (int x = 0; x < side; ++x) {
      const int mx = x - 4, my = y - 4;
      const bool dark = mx >= 0 && my >= 0 && mx < qr.size && my < qr.size && qr.Dark(mx, my);
      ASSERT_EQ(covered[std::size_t(y) * side + x], dark ? 1 : 0) << x << "," << y;
    }
  }
  // Merged runs: fewer rectangles than dark modules.
  std::size_t dark_count = 0;
  for (auto module : qr.modules) dark_count += module;
  const auto runs = static_cast<std::size_t>(std::count(d.begin(), d.end(), 'M'));
  EXPECT_LT(runs, dark_count * 3 / 4);
}

TEST(RenderSvgTest, FractionalMillimetresAreWrittenWithADot) {
  const std::string svg = RenderSvg(MustEncode("A"), 25.4);
  EXPECT_NE(svg.find(R"(width="25.4mm" height="25.4mm")"), std::string::npos);
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Counts page objects ("/Type /Page"), not the page tree ("/Type /Pages").
int CountPages(const std::string& pdf) {
  int pages = 0;
  for (std::size_t at = pdf.find("/Type /Page"); at != std::string::npos;
       at = pdf.find("/Type /Page", at + 1)) {
    const char next = at + 11 < pdf.size() ? pdf[at + 11] : ' ';
    if (next != 's') ++pages;
  }
  return pages;
}

std::vector<QrLabel> Labels(int count) {
  std::vector<QrLabel> labels;
  for (int i = 0; i < count; ++i) {
    labels.push_back(QrLabel{"HTTP://KIOSK.LOCAL/C/EL" + std::to_string(i) + ".A7KQ2MZX4PLQ3RTY",
                             "Elevator poster " + std::to_string(i),
                             "north / tower-3 / elevator-" + std::to_string(i) + " / poster-v2",
                             QrErrorCorrection::kQuartile});
  }
  return labels;
}

TEST(RenderPdfTest, OnePerPageWritesOnePagePerLabel) {
  TempDir dir;
  const auto labels = Labels(5);
  auto done = RenderPdf(labels, PdfLayout::kOnePerPage, dir / "codes.pdf");
  ASSERT_TRUE(done) << done.error().message();
  const std::string pdf = ReadFile(dir / "codes.pdf");
  EXPECT_EQ(pdf.substr(0, 5), "%PDF-");
  EXPECT_NE(pdf.find("%%EOF", pdf.size() - 8), std::string::npos);
  EXPECT_EQ(CountPages(pdf), 5);
  // A4 in points, vector modules only (no image XObjects), text set in an embedded font.
  EXPECT_NE(pdf.find("/MediaBox [ 0 0 595.275591 841.889764 ]"), std::string::npos);
  EXPECT_EQ(pdf.find("/Subtype /Image"), std::string::npos);
  EXPECT_NE(pdf.find("/FontFile"), std::string::npos);
  // Only the finished file is left behind.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1);
}

TEST(RenderPdfTest, GridPutsTwelveLabelsOnEachPage) {
  TempDir dir;
  for (auto [count, pages] : {std::pair{1, 1}, {12, 1}, {13, 2}, {30, 3}}) {
    const auto labels = Labels(count);
    const auto path = dir / ("grid-" + std::to_string(count) + ".pdf");
    auto done = RenderPdf(labels, PdfLayout::kA4Grid, path);
    ASSERT_TRUE(done) << done.error().message();
    const std::string pdf = ReadFile(path);
    EXPECT_EQ(pdf.substr(0, 5), "%PDF-");
    EXPECT_EQ(CountPages(pdf), pages) << count << " labels";
    EXPECT_EQ(pdf.find("/Subtype /Image"), std::string::npos);
  }
}

TEST(RenderPdfTest, LongAndNonAsciiTextIsAccepted) {
  TempDir dir;
  std::vector<QrLabel> labels = {
      QrLabel{"HTTP://KIOSK.LOCAL/C/" + std::string(300, 'X'), std::string(200, 'W'),
              "Zürich / Bahnhofstraße / Lift 3 / 海报 v2", QrErrorCorrection::kHigh}};
  auto done = RenderPdf(labels, PdfLayout::kA4Grid, dir / "long.pdf");
  ASSERT_TRUE(done) << done.error().message();
  EXPECT_EQ(CountPages(ReadFile(dir / "long.pdf")), 1);
}

TEST(RenderPdfTest, ReplacesAnExistingFile) {
  TempDir dir;
  { std::ofstream(dir / "codes.pdf") << "old"; }
  ASSERT_TRUE(RenderPdf(Labels(2), PdfLayout::kOnePerPage, dir / "codes.pdf"));
  EXPECT_EQ(CountPages(ReadFile(dir / "codes.pdf")), 2);
}

TEST(RenderPdfTest, UnwritablePathIsAnIoErrorNamingThePath) {
  TempDir dir;
  const auto path = dir / "missing-dir" / "codes.pdf";
  auto done = RenderPdf(Labels(1), PdfLayout::kOnePerPage, path);
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().kind(), ErrorKind::kIo);
  EXPECT_NE(done.error().message().find(path.string()), std::string::npos)
      << done.error().message();
}

TEST(RenderPdfTest, RefusesNoLabelsAndBadUrlsBeforeWriting) {
  TempDir dir;
  auto none = RenderPdf({}, PdfLayout::kA4Grid, dir / "none.pdf");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().kind(), ErrorKind::kInvalidArgument);

  auto labels = Labels(3);
  labels[1].url.clear();
  auto bad = RenderPdf(labels, PdfLayout::kA4Grid, dir / "bad.pdf");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind(), ErrorKind::kInvalidArgument);
  EXPECT_NE(bad.error().message().find("label 2 (Elevator poster 1)"), std::string::npos)
      << bad.error().message();
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(RenderPdfTest, RefusesInvalidUtf8InsteadOfPrintingBlankPages) {
  TempDir dir;
  for (std::string bad : {"\xff", "caf\xc3", "\xc0\xaf", "\xed\xa0\x80"}) {
    auto labels = Labels(2);
    labels[1].subtitle = "north / " + bad;
    auto done = RenderPdf(labels, PdfLayout::kOnePerPage, dir / "bad.pdf");
    ASSERT_FALSE(done);
    EXPECT_EQ(done.error().kind(), ErrorKind::kInvalidArgument);
    EXPECT_NE(done.error().message().find("label 2"), std::string::npos) << done.error().message();
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

}  // namespace
}  // namespace kiosk_edge
