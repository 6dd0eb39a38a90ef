// Raster output: the PNG writer (zlib adapter: the only kiosk file that includes zlib.h) and the
// greyscale rasteriser used by tests, benchmarks and the kiosk screen.
//
// Speed: a QR PNG is mostly repeated scanlines (every module is pixels_per_module rows tall), so
// each module row is packed once, its repeats are written as PNG "Up" filter rows (all zero
// bytes), and the whole image is deflated in one call at zlib's fastest level, whose matches
// cover those repeats (measured: as fast as Z_RLE and 15 % smaller files). A thread-local
// deflate stream is reset rather than re-allocated for each image.
#include <zlib.h>

#include <array>
#include <cstring>
#include <memory>

#include "kiosk/qr/qr_render.hpp"

namespace kiosk_edge {
namespace {

constexpr std::array<unsigned char, 8> kPngSignature = {0x89, 'P',  'N',  'G',
                                                        '\r', '\n', 0x1A, '\n'};
constexpr unsigned char kFilterNone = 0;
constexpr unsigned char kFilterUp = 2;

bool WellFormed(const QrMatrix& qr) {
  return qr.size > 0 &&
         qr.modules.size() == static_cast<std::size_t>(qr.size) * static_cast<std::size_t>(qr.size);
}

bool ValidPixelsPerModule(int pixels_per_module) {
  return pixels_per_module >= kMinPixelsPerModule && pixels_per_module <= kMaxPixelsPerModule;
}

void AppendBigEndian32(std::string& out, std::uint32_t value) {
  out.push_back(static_cast<char>(value >> 24));
  out.push_back(static_cast<char>(value >> 16));
  out.push_back(static_cast<char>(value >> 8));
  out.push_back(static_cast<char>(value));
}

void WriteBigEndian32(char* out, std::uint32_t value) {
  out[0] = static_cast<char>(value >> 24);
  out[1] = static_cast<char>(value >> 16);
  out[2] = static_cast<char>(value >> 8);
  out[3] = static_cast<char>(value);
}

std::uint32_t Crc32(std::uint32_t crc, const char* data, std::size_t size) {
  return static_cast<std::uint32_t>(
      crc32(crc, reinterpret_cast<const Bytef*>(data), static_cast<uInt>(size)));
}

// Appends a chunk whose `type` and `data` are given; the CRC covers type and data.
void AppendChunk(std::string& out, const char (&type)[5], std::string_view data) {
  AppendBigEndian32(out, static_cast<std::uint32_t>(data.size()));
  const std::size_t type_at = out.size();
  out.append(type, 4);
  out.append(data);
  AppendBigEndian32(out, Crc32(0, out.data() + type_at, 4 + data.size()));
}

// Clears bits [begin, end) of a 1-bit scanline (MSB first), turning those pixels black.
void ClearBits(unsigned char* row, std::size_t begin, std::size_t end) {
  const std::size_t first = begin / 8;
  const std::size_t last = (end - 1) / 8;
  const auto head = static_cast<unsigned char>(0xFFu >> (begin % 8));
  const auto tail = static_cast<unsigned char>(0xFFu << (7 - (end - 1) % 8));
  if (first == last) {
    row[first] = static_cast<unsigned char>(row[first] & ~(head & tail));
    return;
  }
  row[first] = static_cast<unsigned char>(row[first] & ~head);
  std::memset(row + first + 1, 0, last - first - 1);
  row[last] = static_cast<unsigned char>(row[last] & ~tail);
}

// Packs module row `y` of `qr` (quiet zone included) into a 1-bit scanline of `row_bytes`
// bytes; 1 = white, as PNG greyscale has it. Bits past the image width are left white.
void PackModuleRow(const QrMatrix& qr, int y, int pixels_per_module, unsigned char* row,
                   std::size_t row_bytes) {
  std::memset(row, 0xFF, row_bytes);
  const auto ppm = static_cast<std::size_t>(pixels_per_module);
  qr.ForEachDarkRun(y, [&](int first, int end) {
    ClearBits(row, static_cast<std::size_t>(first + kQuietZoneModules) * ppm,
              static_cast<std::size_t>(end + kQuietZoneModules) * ppm);
  });
}

// A deflate stream kept per thread and reset for each image: deflateInit2 allocates and clears
// its window and hash tables, which costs more than compressing a typical QR image.
class DeflateStream {
 public:
  DeflateStream() {
    // windowBits 15 and memLevel 8 are zlib's defaults (smaller ones measured slower).
    ok_ = deflateInit2(&stream_, Z_BEST_SPEED, Z_DEFLATED, 15, 8, Z_DEFAULT_STRATEGY) == Z_OK;
  }
  ~DeflateStream() {
    if (ok_) deflateEnd(&stream_);
  }
  DeflateStream(const DeflateStream&) = delete;
  DeflateStream& operator=(const DeflateStream&) = delete;

  // Compresses `in` as one zlib stream appended to `out`. Returns false if zlib fails.
  bool Compress(const unsigned char* in, std::size_t in_size, std::string& out) {
    if (!ok_ || deflateReset(&stream_) != Z_OK) return false;
    const std::size_t out_at = out.size();
    const std::size_t bound = deflateBound(&stream_, static_cast<uLong>(in_size));
    out.resize(out_at + bound);
    stream_.next_in = const_cast<Bytef*>(in);
    stream_.avail_in = static_cast<uInt>(in_size);
    stream_.next_out = reinterpret_cast<Bytef*>(out.data() + out_at);
    stream_.avail_out = static_cast<uInt>(bound);
    if (deflate(&stream_, Z_FINISH) != Z_STREAM_END) return false;
    out.resize(out_at + (bound - stream_.avail_out));
    return true;
  }

 private:
  z_stream stream_{};
  bool ok_ = false;
};

}  // namespace

Result<std::string> RenderPng(const QrMatrix& qr, int pixels_per_module) {
  if (!WellFormed(qr)) return Error(ErrorKind::kInvalidArgument, "PNG: QR matrix is empty");
  if (!ValidPixelsPerModule(pixels_per_module)) {
    return Error(ErrorKind::kInvalidArgument,
                 "PNG: pixels per module must be 1..64, got " + std::to_string(pixels_per_module));
  }
  const int modules = qr.size + 2 * kQuietZoneModules;
  const auto side = static_cast<std::uint32_t>(modules * pixels_per_module);
  const std::size_t row_bytes = (side + 7) / 8;
  const std::size_t line_bytes = 1 + row_bytes;  // filter byte + scanline

  // The filtered image: per module row, one "None" line with the packed pixels, then
  // pixels_per_module - 1 "Up" lines of zeros (identical to the line above). A module row equal
  // to the one above it (as in the quiet zone) is all "Up" lines.
  std::unique_ptr<unsigned char[]> filtered(new unsigned char[line_bytes * side]);
  std::unique_ptr<unsigned char[]> previous(new unsigned char[row_bytes]);
  unsigned char* line = filtered.get();
  for (int module_y = 0; module_y < modules; ++module_y) {
    const int y = module_y - kQuietZoneModules;
    unsigned char* packed = line + 1;
    if (y >= 0 && y < qr.size) {
      PackModuleRow(qr, y, pixels_per_module, packed, row_bytes);
    } else {
      std::memset(packed, 0xFF, row_bytes);
    }
    int first_up = 1;
    if (module_y > 0 && std::memcmp(packed, previous.get(), row_bytes) == 0) {
      first_up = 0;
    } else {
      line[0] = kFilterNone;
      std::memcpy(previous.get(), packed, row_bytes);
      line += line_bytes;
    }
    for (int i = first_up; i < pixels_per_module; ++i) {
      line[0] = kFilterUp;
      std::memset(line + 1, 0, row_bytes);
      line += line_bytes;
    }
  }

  std::string png;
  png.reserve(kPngSignature.size() + 25 + 12 + 12 + line_bytes * side / 16);
  png.append(reinterpret_cast<const char*>(kPngSignature.data()), kPngSignature.size());
  std::array<char, 13> header{};
  WriteBigEndian32(header.data(), side);      // width
  WriteBigEndian32(header.data() + 4, side);  // height
  header[8] = 1;                              // bit depth
  header[9] = 0;                              // colour type: greyscale
  header[10] = 0;                             // compression: deflate
  header[11] = 0;                             // filter method: adaptive
  header[12] = 0;                             // no interlace
  AppendChunk(png, "IHDR", std::string_view(header.data(), header.size()));

  // IDAT is compressed straight into `png`; its length is patched in afterwards.
  const std::size_t length_at = png.size();
  AppendBigEndian32(png, 0);
  const std::size_t type_at = png.size();
  png.append("IDAT", 4);
  thread_local DeflateStream deflater;
  if (!deflater.Compress(filtered.get(), line_bytes * side, png)) {
    return Error(ErrorKind::kInternal, "PNG: zlib deflate failed");
  }
  const std::size_t data_size = png.size() - type_at - 4;
  WriteBigEndian32(png.data() + length_at, static_cast<std::uint32_t>(data_size));
  AppendBigEndian32(png, Crc32(0, png.data() + type_at, 4 + data_size));
  AppendChunk(png, "IEND", {});
  return png;
}

GreyImage RasteriseQr(const QrMatrix& qr, int pixels_per_module) {
  GreyImage image;
  if (!WellFormed(qr) || !ValidPixelsPerModule(pixels_per_module)) return image;
  const int side = (qr.size + 2 * kQuietZoneModules) * pixels_per_module;
  const auto width = static_cast<std::size_t>(side);
  image.width = side;
  image.height = side;
  image.pixels.assign(width * width, 255);
  const auto ppm = static_cast<std::size_t>(pixels_per_module);
  for (int y = 0; y < qr.size; ++y) {
    std::uint8_t* first_line =
        image.pixels.data() + (static_cast<std::size_t>(y + kQuietZoneModules) * ppm) * width;
    for (int x = 0; x < qr.size; ++x) {
      if (qr.Dark(x, y)) {
        std::memset(first_line + static_cast<std::size_t>(x + kQuietZoneModules) * ppm, 0, ppm);
      }
    }
    for (std::size_t i = 1; i < ppm; ++i) std::memcpy(first_line + i * width, first_line, width);
  }
  return image;
}

}  // namespace kiosk_edge
