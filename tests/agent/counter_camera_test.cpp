// The counter camera's worker, driven by a fake frame source and a fake clock: reads appear with
// their text, a code held in front of the camera is one read, the frame-rate cap drops frames,
// a device that fails is retried, and Stop() interrupts a frame wait.
//
// Synchronisation without sleeps: the fake source counts the worker's frame requests, and the
// worker asks for frame n + 1 only after it has handled frame n, so waiting for request n + 1
// means frame n is decoded and published. States reached between requests (failed, running) are
// awaited by polling Snapshot(); the real-time bounds below only turn a hang into a failure.
#include "agent/counter_camera.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <string>
#include <thread>

#include "common/fake_clock.hpp"
#include "kiosk/qr/qr_code.hpp"
#include "kiosk/qr/qr_render.hpp"

namespace kiosk_edge {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr std::string_view kVoucher = "V1.AEBAGBAFAYDQQCIKBMGA2DQPCAIREEYUCULBOGAZDINRYHI6D4QA";
constexpr std::string_view kOtherVoucher =
    "V1.BOGAZDINRYHI6D4QAAEBAGBAFAYDQQCIKBMGA2DQPCAIREEYUCUL";

// Long enough never to matter: a hang shows up as a failed expectation, not a slow pass.
constexpr auto kGiveUp = std::chrono::seconds(60);

// A camera frame: 320 x 240, white, with `text` as a QR code (4-pixel modules and its quiet
// zone) near the middle. An empty text gives a blank frame.
GreyImage CameraFrame(std::string_view text = {}) {
  GreyImage frame{320, 240, std::vector<std::uint8_t>(320 * 240, 255)};
  if (text.empty()) return frame;
  auto qr = EncodeQr(text, QrErrorCorrection::kMedium);
  EXPECT_TRUE(qr) << qr.error().message();
  if (!qr) return frame;
  const GreyImage code = RasteriseQr(*qr, 4);
  EXPECT_LE(code.width, 300);
  const int left = (frame.width - code.width) / 2;
  const int top = (frame.height - code.height) / 2;
  for (int y = 0; y < code.height; ++y) {
    for (int x = 0; x < code.width; ++x) {
      frame.pixels[static_cast<std::size_t>((top + y) * frame.width + left + x)] =
          code.pixels[static_cast<std::size_t>(y * code.width + x)];
    }
  }
  return frame;
}

// The fake device behind every source the factory opens. The test queues what the camera
// "sees" next; each frame is delivered after the fake clock moved on by its delay.
class FakeCamera {
 public:
  explicit FakeCamera(FakeClock& clock) : clock_(clock) {}

  void Show(GreyImage frame, milliseconds after) { Push(std::move(frame), after); }
  void Break(Error error, milliseconds after = milliseconds(0)) { Push(std::move(error), after); }
  // The next open fails with `error`.
  void FailNextOpen(Error error) {
    std::lock_guard lock(mutex_);
    open_failures_.push_back(std::move(error));
  }

  // Waits until the worker has asked for `count` frames in all: it has handled every frame
  // before the last request.
  bool AwaitFrameRequests(int count) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kGiveUp, [&] { return frame_requests_ >= count; });
  }
  // Unblocks every NextFrame, for a test that is failing anyway.
  void ReleaseAll() {
    std::lock_guard lock(mutex_);
    released_ = true;
    changed_.notify_all();
  }

  int opens() const {
    std::lock_guard lock(mutex_);
    return opens_;
  }
  int interrupts() const {
    std::lock_guard lock(mutex_);
    return interrupts_;
  }
  std::string last_device() const {
    std::lock_guard lock(mutex_);
    return last_device_;
  }

  FrameSourceFactory Factory() {
    return [this](const std::string& device) -> Result<std::unique_ptr<FrameSource>> {
      std::lock_guard lock(mutex_);
      ++opens_;
      last_device_ = device;
      changed_.notify_all();
      if (!open_failures_.empty()) {
        Error error = open_failures_.front();
        open_failures_.pop_front();
        return error;
      }
      return std::unique_ptr<FrameSource>(std::make_unique<Source>(*this));
    };
  }

 private:
  struct Shot {
    Result<GreyImage> frame;
    milliseconds after;
  };

  class Source final : public FrameSource {
   public:
    explicit Source(FakeCamera& camera) : camera_(camera) {}
    Result<GreyImage> NextFrame(milliseconds timeout) override {
      return camera_.Next(*this, timeout);
    }
    void Interrupt() override {
      std::lock_guard lock(camera_.mutex_);
      interrupted_ = true;
      ++camera_.interrupts_;
      camera_.changed_.notify_all();
    }
    std::string Describe() const override { return "/dev/video0 (fake, GREY 320x240)"; }

   private:
    friend class FakeCamera;
    FakeCamera& camera_;
    bool interrupted_ = false;  // guarded by camera_.mutex_
  };

  void Push(Result<GreyImage> frame, milliseconds after) {
    std::lock_guard lock(mutex_);
    shots_.push_back(Shot{std::move(frame), after});
    changed_.notify_all();
  }

  // Honours `timeout` (in real time) like a device would.
  Result<GreyImage> Next(Source& source, milliseconds timeout) {
    std::unique_lock lock(mutex_);
    ++frame_requests_;
    changed_.notify_all();
    changed_.wait_for(lock, timeout,
                      [&] { return !shots_.empty() || source.interrupted_ || released_; });
    if (source.interrupted_ || released_) {
      return Error(ErrorKind::kUnavailable, "/dev/video0: interrupted");
    }
    if (shots_.empty()) {
      return Error(ErrorKind::kUnavailable, "/dev/video0: timed out waiting for a frame");
    }
    Shot shot = std::move(shots_.front());
    shots_.pop_front();
    clock_.Advance(shot.after);
    return std::move(shot.frame);
  }

  FakeClock& clock_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Shot> shots_;
  std::deque<Error> open_failures_;
  int frame_requests_ = 0;
  int opens_ = 0;
  int interrupts_ = 0;
  bool released_ = false;
  std::string last_device_;
};

// Polls the camera's snapshot until `done` holds; false if it never does.
template <class Done>
bool Eventually(const CounterCamera& camera, Done done) {
  const auto give_up = std::chrono::steady_clock::now() + kGiveUp;
  while (std::chrono::steady_clock::now() < give_up) {
    if (done(camera.Snapshot())) return true;
    std::this_thread::yield();
  }
  return false;
}

bool IsState(const CounterCameraSnapshot& snapshot, CounterCameraState state) {
  return snapshot.state == state;
}

CounterCameraOptions TestOptions() {
  CounterCameraOptions options;
  options.device = "/dev/video0";
  options.max_fps = 0;  // every frame decoded unless a test is about the cap
  options.repeat_after = seconds(2);
  options.retry_after = seconds(3);
  options.frame_timeout = std::chrono::hours(1);  // the fake blocks until fed or interrupted
  options.reopen_after_silence = seconds(10);
  return options;
}

class CounterCameraTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  FakeCamera fake_{clock_};
};

TEST_F(CounterCameraTest, ReadsTheCodeInAFrame) {
  CounterCamera camera(TestOptions(), clock_, fake_.Factory());
  EXPECT_FALSE(camera.Snapshot().read);
  fake_.Show(CameraFrame(kVoucher), milliseconds(250));
  ASSERT_TRUE(fake_.AwaitFrameRequests(2));

  const CounterCameraSnapshot snapshot = camera.Snapshot();
  EXPECT_EQ(fake_.last_device(), "/dev/video0");
  EXPECT_EQ(snapshot.state, CounterCameraState::kRunning);
  EXPECT_EQ(snapshot.message, "/dev/video0 (fake, GREY 320x240)");
  EXPECT_EQ(snapshot.frames_read, 1u);
  EXPECT_EQ(snapshot.frames_decoded, 1u);
  ASSERT_TRUE(snapshot.read);
  EXPECT_EQ(snapshot.read->serial, 1u);
  EXPECT_EQ(snapshot.read->text, kVoucher);
  EXPECT_EQ(snapshot.read->at, clock_.WallNow());
}

TEST_F(CounterCameraTest, ACodeHeldInFrontOfTheCameraIsOneRead) {
  CounterCamera camera(TestOptions(), clock_, fake_.Factory());
  int requests = 1;
  const auto show = [&](std::string_view text, int after_ms) {
    fake_.Show(CameraFrame(text), milliseconds(after_ms));
    return fake_.AwaitFrameRequests(++requests);
  };
  const auto serial = [&] {
    const auto read = camera.Snapshot().read;
    return read ? read->serial : 0u;
  };

  ASSERT_TRUE(show(kVoucher, 100));
  EXPECT_EQ(serial(), 1u);
  const auto first_at = camera.Snapshot().read->at;
  ASSERT_TRUE(show(kVoucher, 500));
  ASSERT_TRUE(show(kVoucher, 500));
  EXPECT_EQ(serial(), 1u);
  // Out of sight for 1.5 s (a blurred frame, a hand in the way): still the same read.
  ASSERT_TRUE(show({}, 1000));
  ASSERT_TRUE(show(kVoucher, 500));
  EXPECT_EQ(serial(), 1u);
  EXPECT_EQ(camera.Snapshot().read->at, first_at);
  // Out of sight for 2.5 s, then shown again: a new read.
  ASSERT_TRUE(show({}, 1000));
  ASSERT_TRUE(show({}, 1400));
  EXPECT_EQ(serial(), 1u);
  ASSERT_TRUE(show(kVoucher, 100));
  EXPECT_EQ(serial(), 2u);
  EXPECT_EQ(camera.Snapshot().read->text, kVoucher);
  EXPECT_EQ(camera.Snapshot().read->at, clock_.WallNow());
  // Another code is a new read at once.
  ASSERT_TRUE(show(kOtherVoucher, 100));
  EXPECT_EQ(serial(), 3u);
  EXPECT_EQ(camera.Snapshot().read->text, kOtherVoucher);
  EXPECT_EQ(camera.Snapshot().frames_decoded, 9u);
}

TEST_F(CounterCameraTest, FrameRateCapDropsFramesInsteadOfQueueingThem) {
  CounterCameraOptions options = TestOptions();
  options.max_fps = 5;
  CounterCamera camera(options, clock_, fake_.Factory());
  // 100 frames in one simulated second.
  for (int i = 0; i < 100; ++i) fake_.Show(CameraFrame(kVoucher), milliseconds(10));
  ASSERT_TRUE(fake_.AwaitFrameRequests(101));

  const CounterCameraSnapshot snapshot = camera.Snapshot();
  EXPECT_EQ(snapshot.frames_read, 100u);
  EXPECT_GE(snapshot.frames_decoded, 5u);
  EXPECT_LE(snapshot.frames_decoded, 6u);
  ASSERT_TRUE(snapshot.read);
  EXPECT_EQ(snapshot.read->serial, 1u);
}

TEST_F(CounterCameraTest, ADeviceThatFailsToOpenIsRetried) {
  fake_.FailNextOpen(Error(ErrorKind::kNotFound, "/dev/video0: no such device"));
  CounterCamera camera(TestOptions(), clock_, fake_.Factory());
  ASSERT_TRUE(
      Eventually(camera, [](const auto& s) { return IsState(s, CounterCameraState::kFailed); }));

  CounterCameraSnapshot snapshot = camera.Snapshot();
  EXPECT_EQ(snapshot.message, "/dev/video0: no such device");
  ASSERT_TRUE(snapshot.retry_at);
  EXPECT_EQ(*snapshot.retry_at, clock_.WallNow() + seconds(3));
  EXPECT_EQ(fake_.opens(), 1);  // the retry is not due until the clock moves

  clock_.Advance(seconds(3));
  ASSERT_TRUE(
      Eventually(camera, [](const auto& s) { return IsState(s, CounterCameraState::kRunning); }));
  EXPECT_EQ(fake_.opens(), 2);
  EXPECT_FALSE(camera.Snapshot().retry_at);

  fake_.Show(CameraFrame(kVoucher), milliseconds(100));
  ASSERT_TRUE(fake_.AwaitFrameRequests(2));
  ASSERT_TRUE(camera.Snapshot().read);
  EXPECT_EQ(camera.Snapshot().read->text, kVoucher);
}

TEST_F(CounterCameraTest, AnUnpluggedDeviceIsReopened) {
  CounterCamera camera(TestOptions(), clock_, fake_.Factory());
  fake_.Show(CameraFrame(kVoucher), milliseconds(100));
  fake_.Break(Error(ErrorKind::kIo, "/dev/video0: device unplugged"));
  ASSERT_TRUE(
      Eventually(camera, [](const auto& s) { return IsState(s, CounterCameraState::kFailed); }));
  EXPECT_EQ(camera.Snapshot().message, "/dev/video0: device unplugged");
  EXPECT_EQ(fake_.opens(), 1);
  // What was read before the unplug stays visible.
  ASSERT_TRUE(camera.Snapshot().read);
  EXPECT_EQ(camera.Snapshot().read->serial, 1u);

  clock_.Advance(seconds(3));
  ASSERT_TRUE(
      Eventually(camera, [](const auto& s) { return IsState(s, CounterCameraState::kRunning); }));
  EXPECT_EQ(fake_.opens(), 2);
}

TEST_F(CounterCameraTest, ASilentDeviceIsReopened) {
  CounterCamera camera(TestOptions(), clock_, fake_.Factory());
  // Two timeouts spanning 12 s, with no frame in between.
  fake_.Break(Error(ErrorKind::kUnavailable, "/dev/video0: timed out waiting for a frame"),
              seconds(6));
  ASSERT_TRUE(fake_.AwaitFrameRequests(2));
  EXPECT_EQ(camera.Snapshot().state, CounterCameraState::kRunning);  // 6 s: still waiting
  fake_.Break(Error(ErrorKind::kUnavailable, "/dev/video0: timed out waiting for a frame"),
              seconds(6));
  ASSERT_TRUE(
      Eventually(camera, [](const auto& s) { return IsState(s, CounterCameraState::kFailed); }));
  EXPECT_EQ(camera.Snapshot().message,
            "/dev/video0: no frame for 10 s (/dev/video0: timed out waiting for a frame)");
}

TEST_F(CounterCameraTest, StopInterruptsAFrameWait) {
  CounterCamera camera(TestOptions(), clock_, fake_.Factory());
  ASSERT_TRUE(fake_.AwaitFrameRequests(1));  // blocked in NextFrame, with an hour's timeout

  auto stopped = std::async(std::launch::async, [&] { camera.Stop(); });
  if (stopped.wait_for(kGiveUp) != std::future_status::ready) {
    fake_.ReleaseAll();
    stopped.wait();
    FAIL() << "Stop() did not interrupt the frame wait";
  }
  EXPECT_EQ(fake_.interrupts(), 1);
  EXPECT_EQ(camera.Snapshot().state, CounterCameraState::kStopped);
  camera.Stop();  // again: nothing left to do
}

TEST_F(CounterCameraTest, StopEndsARetryWait) {
  fake_.FailNextOpen(Error(ErrorKind::kNotFound, "/dev/video0: no such device"));
  CounterCamera camera(TestOptions(), clock_, fake_.Factory());
  ASSERT_TRUE(
      Eventually(camera, [](const auto& s) { return IsState(s, CounterCameraState::kFailed); }));
  camera.Stop();  // the fake clock never reaches the retry: only Stop() ends the wait
  EXPECT_EQ(camera.Snapshot().state, CounterCameraState::kStopped);
  EXPECT_EQ(fake_.opens(), 1);
}

TEST_F(CounterCameraTest, NoDeviceMeansNotConfiguredAndNoThread) {
  CounterCameraOptions options = TestOptions();
  options.device.clear();
  CounterCamera camera(options, clock_, fake_.Factory());
  const CounterCameraSnapshot snapshot = camera.Snapshot();
  EXPECT_EQ(snapshot.state, CounterCameraState::kNotConfigured);
  EXPECT_EQ(snapshot.message, "no counter camera configured");
  camera.Stop();
  EXPECT_EQ(fake_.opens(), 0);
  EXPECT_EQ(camera.Snapshot().state, CounterCameraState::kNotConfigured);

  const auto json = CounterCameraJson(camera.Snapshot());
  EXPECT_EQ(json.at("state").as_string(), "not_configured");
  EXPECT_TRUE(json.at("read").is_null());
}

TEST_F(CounterCameraTest, JsonCarriesStateFramesAndTheRead) {
  CounterCamera camera(TestOptions(), clock_, fake_.Factory());
  fake_.Show(CameraFrame(kVoucher), milliseconds(250));
  ASSERT_TRUE(fake_.AwaitFrameRequests(2));

  // Through text, as the counter page receives it.
  const boost::json::value parsed =
      boost::json::parse(boost::json::serialize(CounterCameraJson(camera.Snapshot())));
  const auto& json = parsed.as_object();
  EXPECT_EQ(json.at("state").as_string(), "running");
  EXPECT_EQ(json.at("device").as_string(), "/dev/video0");
  EXPECT_EQ(json.at("message").as_string(), "/dev/video0 (fake, GREY 320x240)");
  EXPECT_EQ(json.at("frames").to_number<int>(), 1);
  EXPECT_EQ(json.at("frames_read").to_number<int>(), 1);
  EXPECT_FALSE(json.contains("retry_at"));
  const auto& read = json.at("read").as_object();
  EXPECT_EQ(read.at("serial").to_number<int>(), 1);
  EXPECT_EQ(read.at("text").as_string(), kVoucher);
  // FakeClock starts at 1'800'000'000 s: 2027-01-15T08:00:00Z.
  EXPECT_EQ(read.at("at").as_string(), "2027-01-15T08:00:00.250Z");
  EXPECT_EQ(read.at("at_ms").to_number<std::int64_t>(), 1'800'000'000'250);
}

TEST_F(CounterCameraTest, JsonOfAFailedCameraSaysWhenItRetries) {
  fake_.FailNextOpen(Error(ErrorKind::kNotFound, "/dev/video0: no such device"));
  CounterCamera camera(TestOptions(), clock_, fake_.Factory());
  ASSERT_TRUE(
      Eventually(camera, [](const auto& s) { return IsState(s, CounterCameraState::kFailed); }));
  const auto json = CounterCameraJson(camera.Snapshot());
  EXPECT_EQ(json.at("state").as_string(), "failed");
  EXPECT_EQ(json.at("message").as_string(), "/dev/video0: no such device");
  EXPECT_EQ(json.at("retry_at").as_string(), "2027-01-15T08:00:03.000Z");
}

}  // namespace
}  // namespace kiosk_edge
