#include "kiosk/scanner/frame.hpp"

#include <algorithm>
#include <array>

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

// The row scan behind CountFinderRows.
//
// Levels: the image is cut into square blocks; each block's darkest and lightest values over
// the 5 x 5 blocks around it give a middle level and a margin. A pixel is dark below
// middle - margin, light above middle + margin, and in between keeps the colour of the run it
// continues (hysteresis: noise and soft shading around the middle do not split runs). Where
// the window's contrast is under kMinContrast, pixels are neither and runs break there. A run
// counts only if it is "strong": some pixel of it is at least 20 levels (or the margin, if
// larger) from the middle. In windows of little contrast, the alternating steps of JPEG blocks
// and of shading cross the margin but rarely swing that far both ways.
//
// A match is five alternating strong runs in the proportions 1:1:3:1:1 along a scanned row,
// confirmed by the same proportions down the column through the middle of the centre run with a
// similar length (a finder pattern is square; shading and textures rarely are both ways).
class FinderScan {
 public:
  FinderScan(const GreyImage& image, int row_step)
      : image_(image),
        block_(std::max(4, std::min(image.width, image.height) / 40)),
        blocks_x_((image.width + block_ - 1) / block_),
        blocks_y_((image.height + block_ - 1) / block_),
        levels_(static_cast<std::size_t>(blocks_x_) * static_cast<std::size_t>(blocks_y_)) {
    ComputeLevels(row_step);
  }

  // Scans row `y`; sets `dark` / `light` when a confirmed match of that polarity crosses it.
  void ScanRow(int y, bool& dark, bool& light) const {
    const std::uint8_t* row = &image_.pixels[static_cast<std::size_t>(y) * Width()];
    const Levels* level_row = &levels_[static_cast<std::size_t>(y / block_) * BlocksX()];
    Runs runs;
    Pending pending;
    const auto test = [&] {
      int centre = 0;
      int total = 0;
      if (runs.Matches(centre, total) && ConfirmColumn(centre, y, total)) {
        (runs.FirstDark() ? dark : light) = true;
      }
    };
    for (int bx = 0; bx < blocks_x_; ++bx) {
      const Levels& level = level_row[bx];
      const int first = bx * block_;
      const int end = std::min(image_.width, first + block_);
      if (level.dark_below < 0) {
        if (Break(first, pending, runs)) test();
        runs.Clear();
        continue;
      }
      for (int x = first; x < end; ++x) {
        if (Feed(level, row[x], x, pending, runs)) test();
      }
    }
    if (Break(image_.width, pending, runs)) test();
  }

 private:
  // Below this contrast (max - min grey levels in a window) pixels are neither dark nor light.
  // ZXing's HybridBinarizer uses the same figure for its "this block has no edges" test.
  static constexpr int kMinContrast = 24;
  // margin = (max - min) / kHysteresisDivisor.
  static constexpr int kHysteresisDivisor = 6;
  // A strong run has a pixel at least max(margin, kMinSwing) from the middle.
  static constexpr int kMinSwing = 20;

  struct Levels {
    int dark_below = -1;  // -1: contrast too low
    int light_above = 256;
    int strong_dark = -1;
    int strong_light = 256;
  };

  // The run in progress along a line.
  struct Pending {
    int length = 0;
    bool dark = false;
    bool strong = false;
  };

  // The last five finished runs along a line, oldest first.
  class Runs {
   public:
    void Push(const Pending& run, int end) {
      if (count_ == 5) {
        std::copy(lengths_.begin() + 1, lengths_.end(), lengths_.begin());
        std::copy(ends_.begin() + 1, ends_.end(), ends_.begin());
        std::copy(strong_.begin() + 1, strong_.end(), strong_.begin());
        count_ = 4;
      }
      const auto i = static_cast<std::size_t>(count_++);
      lengths_[i] = run.length;
      ends_[i] = end;
      strong_[i] = run.strong;
      last_dark_ = run.dark;
    }

    void Clear() { count_ = 0; }

    // The five runs are all strong and in 1:1:3:1:1 proportions (each outer run 0.4 to 1.8
    // modules, the centre 1.8 to 4.5, a module being their length / 7, at least 1 pixel); then
    // `centre` is the middle of the centre run and `total` their length.
    bool Matches(int& centre, int& total) const {
      if (count_ < 5 || !std::all_of(strong_.begin(), strong_.end(), [](bool b) { return b; })) {
        return false;
      }
      total = lengths_[0] + lengths_[1] + lengths_[2] + lengths_[3] + lengths_[4];
      if (total < 7) return false;
      const double module = total / 7.0;
      for (const std::size_t i : {0u, 1u, 3u, 4u}) {
        if (lengths_[i] < 0.4 * module || lengths_[i] > 1.8 * module) return false;
      }
      if (lengths_[2] < 1.8 * module || lengths_[2] > 4.5 * module) return false;
      centre = CentreStart() + lengths_[2] / 2;
      return true;
    }

    // Where the centre run (the third of five) starts and ends (exclusive).
    int CentreStart() const { return ends_[2] - lengths_[2]; }
    int CentreEnd() const { return ends_[2]; }

    // Colour of the first of the five (runs alternate: the same as the last one's).
    bool FirstDark() const { return last_dark_; }

   private:
    std::array<int, 5> lengths_{};
    std::array<int, 5> ends_{};
    std::array<bool, 5> strong_{};
    int count_ = 0;
    bool last_dark_ = false;
  };

  // Feeds the pixel at position `at`, of value `v` under `level` (which has contrast); returns
  // true when this finished a run, which was pushed to `runs`. Kept small and inline so the run
  // in progress stays in registers: this is the loop the scan's time goes to.
  static bool Feed(const Levels& level, int v, int at, Pending& pending, Runs& runs) {
    if (pending.length > 0 &&
        (pending.dark ? v <= level.light_above : v >= level.dark_below)) {  // continues
      ++pending.length;
      pending.strong =
          pending.strong || (pending.dark ? v < level.strong_dark : v > level.strong_light);
      return false;
    }
    const bool finished = pending.length > 0;
    if (finished) runs.Push(pending, at);
    pending.dark = finished ? !pending.dark : v < (level.dark_below + level.light_above) / 2;
    pending.length = 1;
    pending.strong = pending.dark ? v < level.strong_dark : v > level.strong_light;
    return finished;
  }

  // Ends the run in progress at `at` (a stretch without contrast, or the line's end); true
  // when there was one, which was pushed to `runs`.
  static bool Break(int at, Pending& pending, Runs& runs) {
    if (pending.length == 0) return false;
    runs.Push(pending, at);
    pending.length = 0;
    return true;
  }

  std::size_t Width() const { return static_cast<std::size_t>(image_.width); }
  std::size_t BlocksX() const { return static_cast<std::size_t>(blocks_x_); }

  void ComputeLevels(int row_step) {
    std::vector<std::uint8_t> block_min(levels_.size(), 255);
    std::vector<std::uint8_t> block_max(levels_.size(), 0);
    for (int y = 0; y < image_.height; y += row_step) {
      const std::uint8_t* row = &image_.pixels[static_cast<std::size_t>(y) * Width()];
      const std::size_t first_block = static_cast<std::size_t>(y / block_) * BlocksX();
      for (int bx = 0; bx < blocks_x_; ++bx) {
        const std::size_t b = first_block + static_cast<std::size_t>(bx);
        const int end = std::min(image_.width, (bx + 1) * block_);
        std::uint8_t lo = block_min[b];
        std::uint8_t hi = block_max[b];
        for (int x = bx * block_; x < end; ++x) {
          lo = std::min(lo, row[x]);
          hi = std::max(hi, row[x]);
        }
        block_min[b] = lo;
        block_max[b] = hi;
      }
    }
    const auto index = [this](int bx, int by) {
      return static_cast<std::size_t>(by) * BlocksX() + static_cast<std::size_t>(bx);
    };
    for (int by = 0; by < blocks_y_; ++by) {
      for (int bx = 0; bx < blocks_x_; ++bx) {
        int lo = 255;
        int hi = 0;
        for (int ny = std::max(0, by - 2); ny <= std::min(blocks_y_ - 1, by + 2); ++ny) {
          for (int nx = std::max(0, bx - 2); nx <= std::min(blocks_x_ - 1, bx + 2); ++nx) {
            lo = std::min<int>(lo, block_min[index(nx, ny)]);
            hi = std::max<int>(hi, block_max[index(nx, ny)]);
          }
        }
        if (hi - lo < kMinContrast) continue;
        const int middle = (lo + hi) / 2;
        const int margin = (hi - lo) / kHysteresisDivisor;
        const int strong = std::max(margin, kMinSwing);
        levels_[index(bx, by)] = {middle - margin, middle + margin, middle - strong,
                                  middle + strong};
      }
    }
  }

  // True when column `x` shows a match whose centre run contains row `y` and whose length is
  // within [0.6, 1.7] x `row_total`.
  bool ConfirmColumn(int x, int y, int row_total) const {
    const int reach = row_total * 3 / 2 + 2;
    const int top = std::max(0, y - reach);
    const int bottom = std::min(image_.height, y + reach + 1);
    Runs runs;
    Pending pending;
    const auto confirmed = [&] {
      int centre = 0;
      int total = 0;
      return runs.Matches(centre, total) && runs.CentreStart() <= y && y < runs.CentreEnd() &&
             total * 10 >= row_total * 6 && total * 10 <= row_total * 17;
    };
    const std::size_t column_block = static_cast<std::size_t>(x / block_);
    for (int yy = top; yy < bottom; ++yy) {
      const Levels& level =
          levels_[static_cast<std::size_t>(yy / block_) * BlocksX() + column_block];
      if (level.dark_below < 0) {
        if (Break(yy, pending, runs) && confirmed()) return true;
        runs.Clear();
        continue;
      }
      const int v =
          image_.pixels[static_cast<std::size_t>(yy) * Width() + static_cast<std::size_t>(x)];
      if (Feed(level, v, yy, pending, runs) && confirmed()) return true;
    }
    return Break(bottom, pending, runs) && confirmed();
  }

  const GreyImage& image_;
  int block_;
  int blocks_x_;
  int blocks_y_;
  std::vector<Levels> levels_;
};

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

FinderRows CountFinderRows(const GreyImage& image, int row_step, int enough) {
  FinderRows found;
  if (!IsValidGrey(image) || row_step < 1) return found;
  const FinderScan scan(image, row_step);
  for (int y = 0; y < image.height; y += row_step) {
    bool dark = false;
    bool light = false;
    scan.ScanRow(y, dark, light);
    found.dark_on_light += dark ? 1 : 0;
    found.light_on_dark += light ? 1 : 0;
    if (enough > 0 && found.dark_on_light >= enough && found.light_on_dark >= enough) break;
  }
  return found;
}

}  // namespace kiosk_edge
