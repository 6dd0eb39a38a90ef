#pragma once

#include <mutex>

#include "common/clock.hpp"

namespace kiosk_edge {

// A clock that moves only when told to. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(std::chrono::system_clock::time_point wall_start =
                         std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000)))
      : wall_(wall_start) {}

  std::chrono::system_clock::time_point WallNow() const override {
    std::lock_guard lock(mutex_);
    return wall_;
  }
  std::chrono::steady_clock::time_point MonotonicNow() const override {
    std::lock_guard lock(mutex_);
    return monotonic_;
  }
  void Advance(std::chrono::nanoseconds step) {
    std::lock_guard lock(mutex_);
    wall_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(step);
    monotonic_ += std::chrono::duration_cast<std::chrono::steady_clock::duration>(step);
  }

 private:
  mutable std::mutex mutex_;
  std::chrono::system_clock::time_point wall_;
  std::chrono::steady_clock::time_point monotonic_{};
};

}  // namespace kiosk_edge
