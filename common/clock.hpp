#pragma once

#include <chrono>
#include <cstdint>

namespace kiosk_edge {

// The source of time for everything that stamps or times out; tests inject a FakeClock.
class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time: what the event says happened "at". May jump.
  virtual std::chrono::system_clock::time_point WallNow() const = 0;
  // Monotonic time since an arbitrary point in this boot: for durations and ordering.
  virtual std::chrono::steady_clock::time_point MonotonicNow() const = 0;
};

// The real clocks. Lives for the whole process.
const Clock& SystemClock();

// `at` in milliseconds since the Unix epoch, the form events and APIs carry times in.
inline std::int64_t UnixMs(std::chrono::system_clock::time_point at) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count();
}

}  // namespace kiosk_edge
