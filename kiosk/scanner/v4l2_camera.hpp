#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "kiosk/scanner/frame_source.hpp"
#include "kiosk/scanner/qr_decoder.hpp"

namespace kiosk_edge {

// The camera pixel formats the scanner reads, in order of preference: YUYV is luma for free,
// MJPEG costs a JPEG decode per frame, GREY is rare but trivial.
enum class CapturePixelFormat { kYuyv, kMjpeg, kGrey };

std::string_view ToString(CapturePixelFormat format);  // "YUYV", "MJPEG", "GREY"

// Converts one captured frame of `format` to grey. `stride` is bytes per row for YUYV and GREY
// (0: packed); MJPEG frames carry their own size, and may lack Huffman tables (Motion-JPEG
// cameras leave out the standard ones; libjpeg-turbo supplies them). Errors: kInvalidArgument
// saying what is wrong (a frame too short for width x height, or undecodable JPEG data).
Result<GreyImage> CapturedFrameToGrey(CapturePixelFormat format, std::span<const std::uint8_t> data,
                                      int width, int height, std::size_t stride = 0);

struct V4l2CameraOptions {
  // The frame size asked for; the driver picks the nearest it supports, which is accepted.
  int width = 640;
  int height = 480;
  // Memory-mapped capture buffers requested; the driver may grant more (at least 2 are needed).
  int buffer_count = 4;
};

// A V4L2 video capture device read with memory-mapped streaming. The only file that includes
// Linux/V4L2 headers is its .cpp.
//
// Every error names the device and what failed: "/dev/video0: no such device" (kNotFound),
// "/dev/null: not a V4L2 video capture device" (kInvalidArgument), "/dev/video0: no supported
// pixel format (has: H264)" (kInvalidArgument), "/dev/video0: device busy (another program is
// using the camera)" (kIo), "/dev/video0: device unplugged" (kIo),
// "/dev/video0: timed out waiting for a frame" (kUnavailable). Nothing a device does (short or
// oversized frames, damaged buffers, EAGAIN, EINTR, ENODEV) crashes or throws.
//
// Not thread-safe, except Interrupt(), which any thread may call while another reads.
class V4l2Camera final : public FrameSource {
 public:
  // Opens `device` (O_RDWR | O_NONBLOCK | O_CLOEXEC), checks that it is a single-planar video
  // capture device with streaming I/O, negotiates YUYV, else MJPEG, else GREY at the size asked
  // for, maps the buffers and starts streaming.
  static Result<std::unique_ptr<V4l2Camera>> Open(const std::string& device,
                                                  const V4l2CameraOptions& options = {});

  // Stops streaming, unmaps the buffers and closes the device. Never fails.
  ~V4l2Camera() override;
  V4l2Camera(const V4l2Camera&) = delete;
  V4l2Camera& operator=(const V4l2Camera&) = delete;

  // Waits (poll) at most `timeout` for a frame. When several frames are waiting it returns the
  // newest and gives the older buffers back to the driver, so a slow reader never falls behind.
  // A frame the driver marks as damaged, or that does not convert, is skipped (the timeout
  // message then says why). See FrameSource::NextFrame for the error kinds.
  Result<GreyImage> NextFrame(std::chrono::milliseconds timeout) override;

  void Interrupt() override;

  // "/dev/video0 (HD Webcam, YUYV 640x480)".
  std::string Describe() const override;

  // What the driver granted.
  CapturePixelFormat format() const { return format_; }
  int width() const { return width_; }
  int height() const { return height_; }

 private:
  struct MappedBuffer {
    void* start = nullptr;
    std::size_t length = 0;
  };
  // One dequeued buffer: its index and how many bytes the driver says it filled.
  struct Filled {
    std::uint32_t index = 0;
    std::uint32_t bytes_used = 0;
    bool damaged = false;
  };

  explicit V4l2Camera(std::string device) : device_(std::move(device)) {}
  Result<void> Init(const V4l2CameraOptions& options);
  Result<void> CheckCapabilities();
  Result<void> NegotiateFormat(const V4l2CameraOptions& options);
  Result<void> StartStreaming(int buffer_count);
  // Dequeues every filled buffer, gives all but the newest back, and returns the newest (or
  // none when no buffer was ready).
  Result<std::optional<Filled>> DequeueNewest();
  Result<void> Enqueue(std::uint32_t index);
  // Converts a dequeued buffer; an error means this frame is unusable, not the device.
  Result<GreyImage> Convert(const Filled& filled) const;

  // "<device>: <what>".
  Error DeviceError(ErrorKind kind, std::string_view what) const;
  // A failed system call `doing` ("dequeue a frame") with errno `err`; ENODEV reads as unplugged.
  Error SystemError(std::string_view doing, int err) const;

  std::string device_;
  std::string card_;  // the driver's name for the device
  int fd_ = -1;
  int interrupt_fd_ = -1;  // an eventfd: readable once Interrupt() was called
  bool streaming_ = false;
  CapturePixelFormat format_ = CapturePixelFormat::kYuyv;
  int width_ = 0;
  int height_ = 0;
  std::size_t stride_ = 0;
  std::vector<MappedBuffer> buffers_;
};

}  // namespace kiosk_edge
