// Image files to grey: PNG through zlib (a small reader, first written for the browser tests'
// decode_png tool) and JPEG through libjpeg (both ways). The only file that includes zlib and
// libjpeg here.
//
// The PNG reader handles non-interlaced images of colour types 0 (grey), 2 (RGB), 4 (grey +
// alpha) and 6 (RGBA) at any bit depth the format allows for them. Alpha is composited over
// white. zlib inflates the IDAT stream; the five row filters are undone as the spec says.
#include "kiosk/scanner/image_files.hpp"

#include <jpeglib.h>
#include <zlib.h>

#include <algorithm>
#include <csetjmp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "kiosk/scanner/frame.hpp"

namespace kiosk_edge {
namespace {

std::uint32_t BigEndian32(const unsigned char* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

int PaethPredictor(int a, int b, int c) {
  const int p = a + b - c;
  const int pa = std::abs(p - a);
  const int pb = std::abs(p - b);
  const int pc = std::abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  if (pb <= pc) return b;
  return c;
}

// Returns the image, or sets `error` and returns nothing.
std::optional<GreyImage> ReadPng(std::string_view file, std::string& error) {
  static constexpr unsigned char kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  const auto* bytes = reinterpret_cast<const unsigned char*>(file.data());
  if (file.size() < 8 || !std::equal(kSignature, kSignature + 8, bytes)) {
    error = "not a PNG file (bad signature)";
    return std::nullopt;
  }
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  int bit_depth = 0;
  int colour_type = -1;
  std::string idat;
  std::vector<unsigned char> palette_grey;   // colour type 3: each entry's grey
  std::vector<unsigned char> palette_alpha;  // its tRNS alpha (255 when absent)
  bool seen_end = false;
  for (std::size_t at = 8; at + 12 <= file.size() && !seen_end;) {
    const std::uint32_t length = BigEndian32(bytes + at);
    const std::string type(file.substr(at + 4, 4));
    if (length > file.size() - at - 12) {
      error = "truncated chunk " + type;
      return std::nullopt;
    }
    const unsigned char* data = bytes + at + 8;
    if (type == "IHDR") {
      if (length != 13) {
        error = "bad IHDR";
        return std::nullopt;
      }
      width = BigEndian32(data);
      height = BigEndian32(data + 4);
      bit_depth = data[8];
      colour_type = data[9];
      if (data[10] != 0 || data[11] != 0) {
        error = "unknown compression or filter method";
        return std::nullopt;
      }
      if (data[12] != 0) {
        error = "interlaced PNGs are not supported";
        return std::nullopt;
      }
    } else if (type == "IDAT") {
      idat.append(reinterpret_cast<const char*>(data), length);
    } else if (type == "PLTE") {
      palette_grey.clear();
      for (std::size_t i = 0; i + 3 <= length; i += 3) {
        palette_grey.push_back(static_cast<unsigned char>(
            (299 * data[i] + 587 * data[i + 1] + 114 * data[i + 2]) / 1000));
      }
    } else if (type == "tRNS") {
      palette_alpha.assign(data, data + length);
    } else if (type == "IEND") {
      seen_end = true;
    }
    at += 12 + std::size_t{length};
  }
  if (width == 0 || height == 0 || width > 16384 || height > 16384) {
    error = "missing IHDR or unreasonable size";
    return std::nullopt;
  }
  int channels = 0;
  switch (colour_type) {
    case 0:
      channels = 1;
      break;
    case 2:
      channels = 3;
      break;
    case 3:
      channels = 1;
      if (palette_grey.empty()) {
        error = "palette image without PLTE";
        return std::nullopt;
      }
      palette_alpha.resize(palette_grey.size(), 255);
      break;
    case 4:
      channels = 2;
      break;
    case 6:
      channels = 4;
      break;
    default:
      error = "colour type " + std::to_string(colour_type) + " is not supported";
      return std::nullopt;
  }
  const bool depth_ok = colour_type == 0 ? (bit_depth == 1 || bit_depth == 2 || bit_depth == 4 ||
                                            bit_depth == 8 || bit_depth == 16)
                        : colour_type == 3
                            ? (bit_depth == 1 || bit_depth == 2 || bit_depth == 4 || bit_depth == 8)
                            : (bit_depth == 8 || bit_depth == 16);
  if (!depth_ok) {
    error = "bit depth " + std::to_string(bit_depth) + " is not valid for this colour type";
    return std::nullopt;
  }

  const std::size_t bits_per_pixel = static_cast<std::size_t>(channels) * bit_depth;
  const std::size_t stride = (std::size_t{width} * bits_per_pixel + 7) / 8;
  const std::size_t filter_step = std::max<std::size_t>(1, bits_per_pixel / 8);
  std::vector<unsigned char> raw((stride + 1) * height);
  uLongf raw_size = static_cast<uLongf>(raw.size());
  const int rc = uncompress(raw.data(), &raw_size, reinterpret_cast<const Bytef*>(idat.data()),
                            static_cast<uLong>(idat.size()));
  if (rc != Z_OK || raw_size != raw.size()) {
    error = "cannot inflate the image data (zlib " + std::to_string(rc) + ")";
    return std::nullopt;
  }

  // Undo the row filters, row by row (each row predicts from itself and the row above).
  std::vector<unsigned char> previous(stride, 0);
  std::vector<unsigned char> rows(stride * height);
  for (std::uint32_t y = 0; y < height; ++y) {
    const unsigned char filter = raw[y * (stride + 1)];
    const unsigned char* in = &raw[y * (stride + 1) + 1];
    unsigned char* out = &rows[y * stride];
    for (std::size_t x = 0; x < stride; ++x) {
      const int a = x >= filter_step ? out[x - filter_step] : 0;
      const int b = previous[x];
      const int c = x >= filter_step ? previous[x - filter_step] : 0;
      int predicted = 0;
      switch (filter) {
        case 0:
          predicted = 0;
          break;
        case 1:
          predicted = a;
          break;
        case 2:
          predicted = b;
          break;
        case 3:
          predicted = (a + b) / 2;
          break;
        case 4:
          predicted = PaethPredictor(a, b, c);
          break;
        default:
          error = "bad filter type " + std::to_string(filter) + " on row " + std::to_string(y);
          return std::nullopt;
      }
      out[x] = static_cast<unsigned char>((in[x] + predicted) & 0xff);
    }
    std::copy(out, out + stride, previous.begin());
  }

  // Samples to 8-bit grey (ITU-R BT.601 luma), alpha composited over white.
  GreyImage image;
  image.width = static_cast<int>(width);
  image.height = static_cast<int>(height);
  image.pixels.resize(std::size_t{width} * height);
  const int max_sample = (1 << bit_depth) - 1;
  for (std::uint32_t y = 0; y < height; ++y) {
    const unsigned char* row = &rows[y * stride];
    auto sample = [&](std::size_t index) -> int {  // index-th sample of the row, scaled to 0..255
      if (bit_depth == 16) return row[index * 2];
      if (bit_depth == 8) return row[index];
      const std::size_t bit = index * bit_depth;
      const int value = (row[bit / 8] >> (8 - bit_depth - static_cast<int>(bit % 8))) & max_sample;
      return value * 255 / max_sample;
    };
    for (std::uint32_t x = 0; x < width; ++x) {
      const std::size_t first = std::size_t{x} * channels;
      int grey = 0;
      int alpha = 255;
      if (colour_type == 3) {
        // The raw index, not scaled: sample() scales sub-byte values, so read it directly.
        const std::size_t bit = std::size_t{x} * static_cast<std::size_t>(bit_depth);
        const int index =
            bit_depth == 8
                ? row[x]
                : (row[bit / 8] >> (8 - bit_depth - static_cast<int>(bit % 8))) & max_sample;
        const auto entry = static_cast<std::size_t>(index);
        if (entry < palette_grey.size()) {
          grey = palette_grey[entry];
          alpha = palette_alpha[entry];
        }
      } else if (channels <= 2) {
        grey = sample(first);
        if (channels == 2) alpha = sample(first + 1);
      } else {
        grey = (299 * sample(first) + 587 * sample(first + 1) + 114 * sample(first + 2)) / 1000;
        if (channels == 4) alpha = sample(first + 3);
      }
      grey = (grey * alpha + 255 * (255 - alpha)) / 255;
      image.pixels[std::size_t{y} * width + x] = static_cast<std::uint8_t>(grey);
    }
  }
  return image;
}

struct JpegErrorManager {
  jpeg_error_mgr base;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

extern "C" void JpegErrorExit(j_common_ptr info) {
  auto* manager = reinterpret_cast<JpegErrorManager*>(info->err);
  (*info->err->format_message)(info, manager->message);
  std::longjmp(manager->jump, 1);
}

extern "C" void JpegSilentMessage(j_common_ptr /*info*/, int /*level*/) {}

// libjpeg reports errors by longjmp; nothing with a destructor lives in this function's frame
// between setjmp and the calls that may jump, so the jump skips no destructor.
bool ReadJpegInto(const unsigned char* data, std::size_t size, GreyImage& image,
                  std::vector<unsigned char>& cmyk, char* message) {
  jpeg_decompress_struct info{};
  JpegErrorManager errors{};
  info.err = jpeg_std_error(&errors.base);
  errors.base.error_exit = JpegErrorExit;
  errors.base.emit_message = JpegSilentMessage;
  if (setjmp(errors.jump) != 0) {
    std::copy(errors.message, errors.message + JMSG_LENGTH_MAX, message);
    jpeg_destroy_decompress(&info);
    return false;
  }
  jpeg_create_decompress(&info);
  jpeg_mem_src(&info, data, static_cast<unsigned long>(size));
  jpeg_read_header(&info, TRUE);
  const bool is_cmyk = info.jpeg_color_space == JCS_CMYK || info.jpeg_color_space == JCS_YCCK;
  info.out_color_space = is_cmyk ? JCS_CMYK : JCS_GRAYSCALE;
  jpeg_start_decompress(&info);
  const JDIMENSION width = info.output_width;
  const JDIMENSION height = info.output_height;
  if (width == 0 || height == 0 || width > 16384 || height > 16384) {
    std::snprintf(message, JMSG_LENGTH_MAX, "unreasonable JPEG size");
    jpeg_destroy_decompress(&info);
    return false;
  }
  image.width = static_cast<int>(width);
  image.height = static_cast<int>(height);
  image.pixels.resize(std::size_t{width} * height);
  if (is_cmyk) cmyk.resize(std::size_t{width} * 4);
  while (info.output_scanline < height) {
    const std::size_t y = info.output_scanline;
    JSAMPROW row = is_cmyk ? cmyk.data() : image.pixels.data() + y * width;
    jpeg_read_scanlines(&info, &row, 1);
    if (is_cmyk) {
      // Adobe CMYK JPEGs store inverted values: each channel is 255 for none of that ink.
      for (std::size_t x = 0; x < width; ++x) {
        const unsigned char* p = &cmyk[x * 4];
        const unsigned k = p[3];
        const unsigned r = p[0] * k / 255u;
        const unsigned g = p[1] * k / 255u;
        const unsigned b = p[2] * k / 255u;
        image.pixels[y * width + x] =
            static_cast<std::uint8_t>((299u * r + 587u * g + 114u * b) / 1000u);
      }
    }
  }
  jpeg_finish_decompress(&info);
  jpeg_destroy_decompress(&info);
  return true;
}

// Compresses `image` (valid, checked by the caller) into `*buffer`, which libjpeg allocates with
// malloc and grows; the caller frees it whether this succeeds or not. Same longjmp discipline as
// ReadJpegInto: no object with a destructor lives in this frame.
bool WriteJpegInto(const GreyImage& image, int quality, unsigned char** buffer, unsigned long* size,
                   char* message) {
  jpeg_compress_struct info{};
  JpegErrorManager errors{};
  info.err = jpeg_std_error(&errors.base);
  errors.base.error_exit = JpegErrorExit;
  errors.base.emit_message = JpegSilentMessage;
  if (setjmp(errors.jump) != 0) {
    std::copy(errors.message, errors.message + JMSG_LENGTH_MAX, message);
    jpeg_destroy_compress(&info);
    return false;
  }
  jpeg_create_compress(&info);
  jpeg_mem_dest(&info, buffer, size);
  info.image_width = static_cast<JDIMENSION>(image.width);
  info.image_height = static_cast<JDIMENSION>(image.height);
  info.input_components = 1;
  info.in_color_space = JCS_GRAYSCALE;
  jpeg_set_defaults(&info);
  jpeg_set_quality(&info, quality, TRUE);
  jpeg_start_compress(&info, TRUE);
  const auto width = static_cast<std::size_t>(image.width);
  while (info.next_scanline < info.image_height) {
    // libjpeg's API takes non-const rows but only reads them when compressing.
    JSAMPROW row = const_cast<JSAMPROW>(image.pixels.data() + info.next_scanline * width);
    jpeg_write_scanlines(&info, &row, 1);
  }
  jpeg_finish_compress(&info);
  jpeg_destroy_compress(&info);
  return true;
}

}  // namespace

Result<GreyImage> DecodeImageBytes(std::string_view bytes) {
  if (bytes.size() >= 8 && static_cast<unsigned char>(bytes[0]) == 0x89 && bytes[1] == 'P') {
    std::string error;
    auto image = ReadPng(bytes, error);
    if (!image) return Error(ErrorKind::kInvalidArgument, "PNG: " + error);
    return std::move(*image);
  }
  if (bytes.size() >= 3 && static_cast<unsigned char>(bytes[0]) == 0xff &&
      static_cast<unsigned char>(bytes[1]) == 0xd8) {
    GreyImage image;
    std::vector<unsigned char> cmyk;
    char message[JMSG_LENGTH_MAX] = {};
    if (!ReadJpegInto(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), image,
                      cmyk, message)) {
      return Error(ErrorKind::kInvalidArgument, std::string("JPEG: ") + message);
    }
    return image;
  }
  return Error(ErrorKind::kInvalidArgument, "not a PNG or JPEG file");
}

Result<GreyImage> LoadImageFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(ErrorKind::kIo, "cannot open " + path.string());
  const std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Error(ErrorKind::kIo, "cannot read " + path.string());
  auto image = DecodeImageBytes(file);
  if (!image) return image.error().WithContext(path.string());
  return image;
}

Result<std::string> EncodeJpeg(const GreyImage& image, int quality) {
  if (!IsValidGrey(image)) {
    return Error(ErrorKind::kInvalidArgument, "JPEG: not a valid grey image (size " +
                                                  std::to_string(image.width) + " x " +
                                                  std::to_string(image.height) + ")");
  }
  if (quality < 1 || quality > 100) {
    return Error(ErrorKind::kInvalidArgument,
                 "JPEG: quality " + std::to_string(quality) + " is outside 1..100");
  }
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  char message[JMSG_LENGTH_MAX] = {};
  const bool written = WriteJpegInto(image, quality, &buffer, &size, message);
  std::string file;
  if (written) file.assign(reinterpret_cast<const char*>(buffer), size);
  std::free(buffer);
  if (!written) return Error(ErrorKind::kInternal, std::string("JPEG: ") + message);
  return file;
}

}  // namespace kiosk_edge
