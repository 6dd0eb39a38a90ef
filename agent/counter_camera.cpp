#include "agent/counter_camera.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "common/log.hpp"
#include "common/strings.hpp"
#include "kiosk/scanner/scanner.hpp"
#include "kiosk/scanner/v4l2_camera.hpp"

namespace kiosk_edge {
namespace {

using std::chrono::steady_clock;
using std::chrono::system_clock;

constexpr std::string_view kComponent = "camera";

// While waiting for a retry the worker looks at the clock at least this often: the clock may be
// a FakeClock, which moves without waking anyone.
constexpr std::chrono::milliseconds kClockRecheck{50};

// "2027-01-15T08:00:00.250Z".
std::string FormatUtc(system_clock::time_point at) {
  const auto ms = std::chrono::floor<std::chrono::milliseconds>(at.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  const auto millis = static_cast<int>(ms - static_cast<std::int64_t>(seconds) * 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[40];
  const std::size_t length = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  char fraction[8];
  std::snprintf(fraction, sizeof fraction, ".%03dZ", millis);
  return std::string(text, length) + fraction;
}

std::int64_t EpochMs(system_clock::time_point at) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count();
}

double Seconds(std::chrono::milliseconds duration) {
  return static_cast<double>(duration.count()) / 1000.0;
}

}  // namespace

FrameSourceFactory V4l2FrameSourceFactory() {
  return [](const std::string& device) -> Result<std::unique_ptr<FrameSource>> {
    auto camera = V4l2Camera::Open(device);
    if (!camera) return camera.error();
    return std::unique_ptr<FrameSource>(std::move(*camera));
  };
}

std::string_view ToString(CounterCameraState state) {
  switch (state) {
    case CounterCameraState::kNotConfigured:
      return "not_configured";
    case CounterCameraState::kOpening:
      return "opening";
    case CounterCameraState::kRunning:
      return "running";
    case CounterCameraState::kFailed:
      return "failed";
    case CounterCameraState::kStopped:
      return "stopped";
  }
  return "unknown";
}

CounterCamera::CounterCamera(CounterCameraOptions options, const Clock& clock,
                             FrameSourceFactory open_source)
    : options_(std::move(options)),
      clock_(clock),
      open_source_(open_source ? std::move(open_source) : V4l2FrameSourceFactory()) {
  snapshot_.device = options_.device;
  if (options_.device.empty()) {
    snapshot_.message = "no counter camera configured";
    return;
  }
  snapshot_.state = CounterCameraState::kOpening;
  snapshot_.message = StrCat("opening ", options_.device);
  worker_ = std::thread([this] { Run(); });
}

CounterCamera::~CounterCamera() { Stop(); }

void CounterCamera::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    if (current_source_ != nullptr) current_source_->Interrupt();
  }
  wake_.notify_all();
  std::lock_guard join_lock(join_mutex_);
  if (worker_.joinable()) worker_.join();
}

CounterCameraSnapshot CounterCamera::Snapshot() const {
  std::lock_guard lock(mutex_);
  return snapshot_;
}

bool CounterCamera::StopRequested() const {
  std::lock_guard lock(mutex_);
  return stopping_;
}

void CounterCamera::Publish(CounterCameraState state, std::string message) {
  std::lock_guard lock(mutex_);
  snapshot_.state = state;
  snapshot_.message = std::move(message);
  snapshot_.retry_at.reset();
}

void CounterCamera::Run() {
  while (!StopRequested()) {
    Publish(CounterCameraState::kOpening, StrCat("opening ", options_.device));
    auto opened = open_source_(options_.device);
    if (!opened) {
      FailAndWait(opened.error());
      continue;
    }
    std::unique_ptr<FrameSource> source = std::move(*opened);
    if (!source) {
      FailAndWait(Error(ErrorKind::kInternal,
                        StrCat(options_.device, ": the frame source factory returned nothing")));
      continue;
    }
    const std::string description = source->Describe();
    {
      std::lock_guard lock(mutex_);
      if (stopping_) break;
      // From here on Stop() interrupts this source's frame waits.
      current_source_ = source.get();
      snapshot_.state = CounterCameraState::kRunning;
      snapshot_.message = description;
      snapshot_.retry_at.reset();
    }
    LogInfo(kComponent, "reading ", description);
    failure_log_.Reset();
    const std::optional<Error> broke = ReadFrames(*source);
    {
      std::lock_guard lock(mutex_);
      current_source_ = nullptr;
    }
    source.reset();  // closes the device before a retry opens it again
    if (!broke) break;
    FailAndWait(*broke);
  }
  Publish(CounterCameraState::kStopped, "stopped");
}

void CounterCamera::FailAndWait(const Error& error) {
  // A missing camera fails the same way every few seconds: log each new reason once.
  if (failure_log_.Changed(error.message())) {
    LogWarning(kComponent, error.message(), "; retrying every ", Seconds(options_.retry_after),
               " s");
  }
  const steady_clock::time_point retry_at = clock_.MonotonicNow() + options_.retry_after;
  std::unique_lock lock(mutex_);
  snapshot_.state = CounterCameraState::kFailed;
  snapshot_.message = error.message();
  snapshot_.retry_at =
      clock_.WallNow() + std::chrono::duration_cast<system_clock::duration>(options_.retry_after);
  while (!stopping_) {
    const steady_clock::time_point now = clock_.MonotonicNow();
    if (now >= retry_at) break;
    wake_.wait_for(lock, std::min<steady_clock::duration>(retry_at - now, kClockRecheck));
  }
}

std::optional<Error> CounterCamera::ReadFrames(FrameSource& source) {
  const steady_clock::duration min_interval =
      options_.max_fps > 0
          ? std::chrono::duration_cast<steady_clock::duration>(std::chrono::seconds(1)) /
                options_.max_fps
          : steady_clock::duration::zero();
  steady_clock::time_point last_frame_at = clock_.MonotonicNow();
  std::optional<steady_clock::time_point> last_decoded_at;
  while (!StopRequested()) {
    Result<GreyImage> frame = source.NextFrame(options_.frame_timeout);
    if (StopRequested()) break;
    const steady_clock::time_point now = clock_.MonotonicNow();
    if (!frame) {
      if (frame.error().kind() != ErrorKind::kUnavailable) return frame.error();
      if (now - last_frame_at >= options_.reopen_after_silence) {
        return Error(ErrorKind::kIo, StrCat(options_.device, ": no frame for ",
                                            Seconds(options_.reopen_after_silence), " s (",
                                            frame.error().message(), ")"));
      }
      continue;
    }
    last_frame_at = now;
    // Dropped, not queued: the next frame read is the newest the device has.
    const bool decode = !last_decoded_at || now - *last_decoded_at >= min_interval;
    {
      std::lock_guard lock(mutex_);
      ++snapshot_.frames_read;
    }
    if (!decode) continue;
    last_decoded_at = now;
    const auto decode_started = steady_clock::now();
    const ScanResult result = ScanFrame(*frame, LiveScanSteps());
    if (options_.decode_seconds != nullptr) {
      options_.decode_seconds->Observe(
          std::chrono::duration<double>(steady_clock::now() - decode_started).count());
    }
    RecordTexts(result.texts, now);
  }
  return std::nullopt;
}

void CounterCamera::RecordTexts(const std::vector<std::string>& texts,
                                steady_clock::time_point now) {
  std::vector<const std::string*> fresh;
  for (const std::string& text : texts) {
    const auto [seen, inserted] = last_seen_.try_emplace(text, now);
    if (inserted || now - seen->second >= options_.repeat_after) fresh.push_back(&text);
    seen->second = now;
  }
  std::erase_if(last_seen_,
                [&](const auto& entry) { return now - entry.second >= options_.repeat_after; });
  const system_clock::time_point wall_now = clock_.WallNow();
  std::lock_guard lock(mutex_);
  ++snapshot_.frames_decoded;
  for (const std::string* text : fresh) {
    const std::uint64_t serial = snapshot_.read ? snapshot_.read->serial + 1 : 1;
    snapshot_.read = CounterCameraRead{serial, *text, wall_now};
  }
}

boost::json::object CounterCameraJson(const CounterCameraSnapshot& snapshot) {
  boost::json::object json{{"state", ToString(snapshot.state)},
                           {"device", snapshot.device},
                           {"message", snapshot.message},
                           {"frames", snapshot.frames_decoded},
                           {"frames_read", snapshot.frames_read}};
  if (snapshot.retry_at) json["retry_at"] = FormatUtc(*snapshot.retry_at);
  if (snapshot.read) {
    json["read"] = boost::json::object{{"serial", snapshot.read->serial},
                                       {"text", snapshot.read->text},
                                       {"at", FormatUtc(snapshot.read->at)},
                                       {"at_ms", EpochMs(snapshot.read->at)}};
  } else {
    json["read"] = nullptr;
  }
  return json;
}

}  // namespace kiosk_edge
