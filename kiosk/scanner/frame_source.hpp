#pragma once

#include <chrono>
#include <string>

#include "common/error.hpp"
#include "kiosk/scanner/qr_decoder.hpp"

namespace kiosk_edge {

// Something that delivers camera frames as grey images: a V4L2 device (v4l2_camera.hpp), or a
// fake in tests. One thread reads frames; Interrupt() may be called from any other thread.
class FrameSource {
 public:
  virtual ~FrameSource() = default;

  // Waits at most `timeout` for the next frame and returns it converted to grey (a valid
  // GreyImage). Errors:
  //   kUnavailable: no frame this time (timed out, or Interrupt() was called); the source is
  //     still usable and the caller may ask again.
  //   any other kind: the source is broken (unplugged, stopped streaming); the caller should
  //     destroy it and open the device again.
  // Messages name the device ("/dev/video0: device unplugged").
  virtual Result<GreyImage> NextFrame(std::chrono::milliseconds timeout) = 0;

  // Makes a NextFrame() blocked in another thread return kUnavailable promptly, and every later
  // call return the same at once. For shutting down. Thread-safe; never blocks.
  virtual void Interrupt() = 0;

  // What is being read, for status pages and logs: "/dev/video0 (HD Webcam, YUYV 640x480)".
  virtual std::string Describe() const = 0;
};

}  // namespace kiosk_edge
