// The V4L2 adapter on what a kiosk may be misconfigured with (a missing device, /dev/null, a
// file, a folder): each gives a clear error naming the path, never a crash. The conversion of
// captured frames (YUYV, GREY with row padding, MJPEG without Huffman tables as UVC cameras
// send it) is checked on buffers built here. CI has no camera; a real /dev/video* is exercised
// only where one exists, and the test says it was skipped otherwise.
#include "kiosk/scanner/v4l2_camera.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <string>
#include <vector>

#include "kiosk/scanner/frame.hpp"
#include "support/temp_dir.hpp"

namespace kiosk_edge {
namespace {

using testing::TempDir;

// Opening must fail with `kind` and exactly `message`.
void ExpectOpenFails(const std::string& device, ErrorKind kind, const std::string& message) {
  auto camera = V4l2Camera::Open(device);
  ASSERT_FALSE(camera.has_value()) << device << " opened as a camera";
  EXPECT_EQ(camera.error().kind(), kind) << camera.error().message();
  EXPECT_EQ(camera.error().message(), message);
}

TEST(V4l2CameraTest, MissingDeviceSaysNoSuchDevice) {
  const TempDir dir;
  const std::string device = (dir / "video9").string();
  ExpectOpenFails(device, ErrorKind::kNotFound, device + ": no such device");
  ExpectOpenFails("/dev/kiosk-edge-no-such-video", ErrorKind::kNotFound,
                  "/dev/kiosk-edge-no-such-video: no such device");
}

TEST(V4l2CameraTest, DevNullIsNotACamera) {
  ASSERT_TRUE(std::filesystem::exists("/dev/null"));
  ExpectOpenFails("/dev/null", ErrorKind::kInvalidArgument,
                  "/dev/null: not a V4L2 video capture device");
}

TEST(V4l2CameraTest, RegularFileIsNotACamera) {
  const TempDir dir;
  const std::string device = dir.Write("video0", "not a camera").string();
  ExpectOpenFails(device, ErrorKind::kInvalidArgument,
                  device + ": not a V4L2 video capture device (a regular file)");
}

TEST(V4l2CameraTest, DirectoryIsNotACamera) {
  const TempDir dir;
  const std::string device = dir.path().string();
  ExpectOpenFails(device, ErrorKind::kInvalidArgument,
                  device + ": not a V4L2 video capture device (a directory)");
}

TEST(V4l2CameraTest, EmptyPathIsRefused) {
  ExpectOpenFails("", ErrorKind::kInvalidArgument, "no camera device given");
}

// Only where the machine has cameras: each opens and delivers a grey frame, or fails with an
// error that names it (a metadata node, a busy or unplugged camera). Never a crash.
TEST(V4l2CameraTest, RealDevicesOpenOrFailClearly) {
  std::vector<std::string> devices;
  std::error_code ignored;
  for (const auto& entry : std::filesystem::directory_iterator("/dev", ignored)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("video", 0) == 0) devices.push_back(entry.path().string());
  }
  if (devices.empty()) GTEST_SKIP() << "no /dev/video* device on this machine";
  std::sort(devices.begin(), devices.end());
  for (const std::string& device : devices) {
    SCOPED_TRACE(device);
    auto camera = V4l2Camera::Open(device);
    if (!camera) {
      EXPECT_EQ(camera.error().message().rfind(device + ": ", 0), 0u) << camera.error().message();
      continue;
    }
    EXPECT_EQ((*camera)->Describe().rfind(device + " (", 0), 0u) << (*camera)->Describe();
    auto frame = (*camera)->NextFrame(std::chrono::seconds(3));
    if (frame) {
      EXPECT_TRUE(IsValidGrey(*frame));
    } else {
      EXPECT_EQ(frame.error().message().rfind(device + ": ", 0), 0u) << frame.error().message();
    }
  }
}

TEST(CapturedFrameTest, YuyvWithPaddedRowsKeepsTheLuma) {
  // 4 x 2 pixels, rows padded to 12 bytes; luma 10, 20, ... chroma 128.
  std::vector<std::uint8_t> yuyv(12 * 2, 0xEE);
  for (std::size_t y = 0; y < 2; ++y) {
    for (std::size_t x = 0; x < 4; ++x) {
      yuyv[y * 12 + x * 2] = static_cast<std::uint8_t>(10 * (y * 4 + x + 1));
      yuyv[y * 12 + x * 2 + 1] = 128;
    }
  }
  auto grey = CapturedFrameToGrey(CapturePixelFormat::kYuyv, yuyv, 4, 2, 12);
  ASSERT_TRUE(grey) << grey.error().message();
  EXPECT_EQ(grey->pixels, (std::vector<std::uint8_t>{10, 20, 30, 40, 50, 60, 70, 80}));
}

TEST(CapturedFrameTest, GreyWithPaddedRowsDropsThePadding) {
  const std::vector<std::uint8_t> rows = {1, 2, 3, 99, 4, 5, 6};  // 3 x 2, stride 4
  auto grey = CapturedFrameToGrey(CapturePixelFormat::kGrey, rows, 3, 2, 4);
  ASSERT_TRUE(grey) << grey.error().message();
  EXPECT_EQ(grey->width, 3);
  EXPECT_EQ(grey->pixels, (std::vector<std::uint8_t>{1, 2, 3, 4, 5, 6}));
}

TEST(CapturedFrameTest, ShortOrEmptyFramesAreErrorsNotCrashes) {
  const std::vector<std::uint8_t> bytes(100, 0x80);
  auto yuyv = CapturedFrameToGrey(CapturePixelFormat::kYuyv, bytes, 640, 480);
  ASSERT_FALSE(yuyv);
  EXPECT_EQ(yuyv.error().message(), "short YUYV frame: 100 bytes for 640x480");
  auto grey = CapturedFrameToGrey(CapturePixelFormat::kGrey, bytes, 640, 480);
  ASSERT_FALSE(grey);
  EXPECT_EQ(grey.error().message(), "short GREY frame: 100 bytes for 640x480");
  EXPECT_FALSE(CapturedFrameToGrey(CapturePixelFormat::kGrey, bytes, 0, 10));
  EXPECT_FALSE(CapturedFrameToGrey(CapturePixelFormat::kYuyv, {}, 4, 2));
  auto jpeg = CapturedFrameToGrey(CapturePixelFormat::kMjpeg, bytes, 640, 480);
  ASSERT_FALSE(jpeg);
  EXPECT_EQ(jpeg.error().message().rfind("MJPEG frame: ", 0), 0u) << jpeg.error().message();
}

// A 32 x 16 greyscale JPEG, left half black, right half white, written by libjpeg with its
// standard tables and then stripped of its Huffman tables (DHT) and JFIF header, as Motion-JPEG
// cameras send frames.
constexpr std::array<std::uint8_t, 110> kMotionJpeg = {
    0xFF, 0xD8, 0xFF, 0xDB, 0x00, 0x43, 0x00, 0x03, 0x02, 0x02, 0x03, 0x02, 0x02, 0x03, 0x03, 0x03,
    0x03, 0x04, 0x03, 0x03, 0x04, 0x05, 0x08, 0x05, 0x05, 0x04, 0x04, 0x05, 0x0A, 0x07, 0x07, 0x06,
    0x08, 0x0C, 0x0A, 0x0C, 0x0C, 0x0B, 0x0A, 0x0B, 0x0B, 0x0D, 0x0E, 0x12, 0x10, 0x0D, 0x0E, 0x11,
    0x0E, 0x0B, 0x0B, 0x10, 0x16, 0x10, 0x11, 0x13, 0x14, 0x15, 0x15, 0x15, 0x0C, 0x0F, 0x17, 0x18,
    0x16, 0x14, 0x18, 0x12, 0x14, 0x15, 0x14, 0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x00, 0x10, 0x00, 0x20,
    0x01, 0x01, 0x11, 0x00, 0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00, 0xFC, 0xAA,
    0xA2, 0xBF, 0xAA, 0x8A, 0x2B, 0xF9, 0x57, 0xA2, 0xBF, 0xAA, 0x8A, 0x2B, 0xFF, 0xD9};

TEST(CapturedFrameTest, MotionJpegWithoutHuffmanTablesDecodes) {
  auto grey = CapturedFrameToGrey(CapturePixelFormat::kMjpeg, kMotionJpeg, 32, 16);
  ASSERT_TRUE(grey) << grey.error().message();
  ASSERT_EQ(grey->width, 32);
  ASSERT_EQ(grey->height, 16);
  for (const int y : {0, 7, 15}) {
    EXPECT_LT(grey->pixels[static_cast<std::size_t>(y) * 32 + 3], 24) << "row " << y;
    EXPECT_GT(grey->pixels[static_cast<std::size_t>(y) * 32 + 28], 231) << "row " << y;
  }
  // Cut off inside its headers, the same frame is an error, not a crash.
  auto truncated =
      CapturedFrameToGrey(CapturePixelFormat::kMjpeg, std::span(kMotionJpeg).first(60), 32, 16);
  ASSERT_FALSE(truncated);
  EXPECT_EQ(truncated.error().message().rfind("MJPEG frame: ", 0), 0u)
      << truncated.error().message();
}

}  // namespace
}  // namespace kiosk_edge
