#include "kiosk/scanner/frame.hpp"

namespace kiosk_edge {
namespace {

std::size_t PixelCount(int width, int height) {
  return static_cast<std::size_t>(width) * static_cast<std::size_t>(height);
}

bool BufferFits(std::size_t size, int width, int height, std::size_t stride,
                std::size_t row_bytes) {
  if (width <= 0 || height <= 0 || stride < row_bytes) return false;
  return size >= stride * static_cast<std::size_t>(height - 1) + row_bytes;
}

}  // namespace

bool IsValidGrey(const GreyImage& image) {
  return image.width > 0 && image.height > 0 &&
         image.pixels.size() >= PixelCount(image.width, image.height);
}

GreyImage RgbToGrey(std::span<const std::uint8_t> rgb, int width, int height, std::size_t stride) {
  const std::size_t row_bytes = static_cast<std::size_t>(width > 0 ? width : 0) * 3;
  if (stride == 0) stride = row_bytes;
  if (!BufferFits(rgb.size(), width, height, stride, row_bytes)) return {};
  GreyImage image{width, height, std::vector<std::uint8_t>(PixelCount(width, height))};
  for (int y = 0; y < height; ++y) {
    const std::uint8_t* row = rgb.data() + static_cast<std::size_t>(y) * stride;
    for (int x = 0; x < width; ++x) {
      const std::uint8_t* p = row + static_cast<std::size_t>(x) * 3;
      const unsigned grey = (299u * p[0] + 587u * p[1] + 114u * p[2]) / 1000u;
      image.pixels[static_cast<std::size_t>(y) * static_cast<std::size_t>(width) +
                   static_cast<std::size_t>(x)] = static_cast<std::uint8_t>(grey);
    }
  }
  return image;
}

GreyImage YuyvToGrey(std::span<const std::uint8_t> yuyv, int width, int height,
                     std::size_t stride) {
  const std::size_t row_bytes = static_cast<std::size_t>(width > 0 ? width : 0) * 2;
  if (stride == 0) stride = row_bytes;
  if (!BufferFits(yuyv.size(), width, height, stride, row_bytes)) return {};
  GreyImage image{width, height, std::vector<std::uint8_t>(PixelCount(width, height))};
  for (int y = 0; y < height; ++y) {
    const std::uint8_t* row = yuyv.data() + static_cast<std::size_t>(y) * stride;
    for (int x = 0; x < width; ++x) {
      // Luma sits at every even byte: Y0 at 0, Y1 at 2 of each 4-byte pair of pixels.
      image.pixels[static_cast<std::size_t>(y) * static_cast<std::size_t>(width) +
                   static_cast<std::size_t>(x)] = row[static_cast<std::size_t>(x) * 2];
    }
  }
  return image;
}

GreyImage InvertGrey(const GreyImage& image) {
  if (!IsValidGrey(image)) return {};
  GreyImage inverted{image.width, image.height, {}};
  inverted.pixels.resize(PixelCount(image.width, image.height));
  for (std::size_t i = 0; i < inverted.pixels.size(); ++i) {
    inverted.pixels[i] = static_cast<std::uint8_t>(255 - image.pixels[i]);
  }
  return inverted;
}

GreyImage RotateGrey(const GreyImage& image, int quarter_turns) {
  if (!IsValidGrey(image)) return {};
  const int turns = ((quarter_turns % 4) + 4) % 4;
  const int w = image.width;
  const int h = image.height;
  GreyImage out;
  out.width = turns % 2 == 0 ? w : h;
  out.height = turns % 2 == 0 ? h : w;
  out.pixels.resize(PixelCount(w, h));
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      int nx = x;
      int ny = y;
      switch (turns) {
        case 1:  // clockwise: (x, y) -> (h - 1 - y, x)
          nx = h - 1 - y;
          ny = x;
          break;
        case 2:
          nx = w - 1 - x;
          ny = h - 1 - y;
          break;
        case 3:
          nx = y;
          ny = w - 1 - x;
          break;
        default:
          break;
      }
      out.pixels[static_cast<std::size_t>(ny) * static_cast<std::size_t>(out.width) +
                 static_cast<std::size_t>(nx)] =
          image.pixels[static_cast<std::size_t>(y) * static_cast<std::size_t>(w) +
                       static_cast<std::size_t>(x)];
    }
  }
  return out;
}

}  // namespace kiosk_edge
