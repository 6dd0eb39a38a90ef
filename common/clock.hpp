#pragma once

#include <chrono>
#include <cstdint>
#include <string>

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

// A duration for people, rounded down: "45 s", "12 min", "3 h", "2 d" (up to 119 s, 119 min,
// 47 h, then days); "0 s" for a negative one.
std::string FormatAge(std::int64_t ms);

}  // namespace kiosk_edge
