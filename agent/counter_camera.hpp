#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/clock.hpp"
#include "common/error.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"
#include "kiosk/scanner/frame_source.hpp"

namespace kiosk_edge {

struct CounterCameraOptions {
  // The V4L2 device ("/dev/video0"). Empty: the kiosk has no counter camera.
  std::string device;
  // Frames decoded per second at most; frames arriving sooner after the last decoded one are
  // dropped, never queued. 0 or less: decode every frame.
  int max_fps = 5;
  // The same text read again counts as a new read only after it was out of sight this long, so a
  // clerk holding a voucher in front of the camera yields one read.
  std::chrono::milliseconds repeat_after{2000};
  // After the device fails to open or breaks (unplugged), the next attempt comes this much later.
  std::chrono::milliseconds retry_after{3000};
  // How long one NextFrame() call may wait.
  std::chrono::milliseconds frame_timeout{1000};
  // A device that delivers no frame for this long is closed and opened again.
  std::chrono::milliseconds reopen_after_silence{10000};
  // Optional: observes how long the scanner took for each decoded frame, in seconds.
  MetricHistogram* decode_seconds = nullptr;
};

// Opens the frame source for a device; tests inject fakes. Called on the camera's worker thread.
using FrameSourceFactory =
    std::function<Result<std::unique_ptr<FrameSource>>(const std::string& device)>;

// The real one: V4l2Camera::Open at 640x480.
FrameSourceFactory V4l2FrameSourceFactory();

enum class CounterCameraState {
  kNotConfigured,  // no device in the config; nothing runs
  kOpening,        // opening the device
  kRunning,        // reading frames
  kFailed,         // the device could not be opened or broke; retried at `retry_at`
  kStopped,        // Stop() was called
};

std::string_view ToString(CounterCameraState state);  // "not_configured", "running", ...

// The newest code the camera read.
struct CounterCameraRead {
  std::uint64_t serial = 0;  // 1 for the first read, +1 for each later one
  std::string text;          // the QR code's text (a voucher token): never log it
  std::chrono::system_clock::time_point at;
};

// A copy of the camera's status, taken at one instant.
struct CounterCameraSnapshot {
  CounterCameraState state = CounterCameraState::kNotConfigured;
  std::string device;
  // For people: what is being read (running), why it failed (failed), or what is going on.
  std::string message;
  // When the next attempt to open the device is due (failed only).
  std::optional<std::chrono::system_clock::time_point> retry_at;
  std::uint64_t frames_read = 0;     // frames the source delivered
  std::uint64_t frames_decoded = 0;  // of those, frames the scanner looked at (the rest: the cap)
  std::optional<CounterCameraRead> read;  // none until the first code is read
};

// The kiosk's own counter camera: a worker thread opens the configured device, reads frames,
// decodes at most `max_fps` of them per second with the scanner pipeline (on the worker thread,
// never the caller's: the HTTP I/O thread only takes snapshots), and keeps the newest read. A
// device that cannot be opened, or breaks, is retried every `retry_after`; nothing a device does
// stops the agent. All public functions are thread-safe.
class CounterCamera {
 public:
  // Starts the worker thread unless `options.device` is empty (state kNotConfigured). `clock`
  // must outlive this object; it times the frame-rate cap, the repeat window and the retries
  // (tests use a FakeClock). An empty `open_source` means V4l2FrameSourceFactory().
  CounterCamera(CounterCameraOptions options, const Clock& clock,
                FrameSourceFactory open_source = {});
  // Stops.
  ~CounterCamera();
  CounterCamera(const CounterCamera&) = delete;
  CounterCamera& operator=(const CounterCamera&) = delete;

  // Interrupts a frame wait in progress, closes the device and joins the worker thread. Returns
  // promptly when the source honours FrameSource::Interrupt (a V4L2 device does). Idempotent.
  void Stop();

  CounterCameraSnapshot Snapshot() const;

 private:
  void Run();
  // Reads frames from `source` until Stop() (returns nothing) or the source breaks (its error).
  std::optional<Error> ReadFrames(FrameSource& source);
  // Publishes kFailed and waits until the retry is due or Stop() is called.
  void FailAndWait(const Error& error);
  // Gives each text read in a frame a serial unless it was seen within `repeat_after`.
  void RecordTexts(const std::vector<std::string>& texts,
                   std::chrono::steady_clock::time_point now);
  void Publish(CounterCameraState state, std::string message);
  bool StopRequested() const;

  const CounterCameraOptions options_;
  const Clock& clock_;
  const FrameSourceFactory open_source_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;  // Stop() was called
  bool stopping_ = false;
  FrameSource* current_source_ = nullptr;  // the source being read, for Stop() to interrupt
  CounterCameraSnapshot snapshot_;

  // Worker thread only: when each recently read text was last seen.
  std::map<std::string, std::chrono::steady_clock::time_point> last_seen_;
  LogOnChange failure_log_;  // the failure last logged

  std::mutex join_mutex_;  // one Stop() joins at a time
  std::thread worker_;     // last: starts after every member above is ready
};

// The snapshot as the counter page polls it (GET /counter/camera):
// {"state":"running","device":"/dev/video0","message":"/dev/video0 (HD Webcam, YUYV 640x480)",
//  "frames":12,"frames_read":70,"read":{"serial":3,"text":"V1...","at":"2027-01-15T08:00:00.250Z",
//  "at_ms":1800000000250}}
// "read" is null before the first read; "retry_at" (same format) appears in the failed state.
boost::json::object CounterCameraJson(const CounterCameraSnapshot& snapshot);

}  // namespace kiosk_edge
