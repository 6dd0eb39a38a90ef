#include "common/clock.hpp"

#include <algorithm>

#include "common/strings.hpp"

namespace kiosk_edge {
namespace {

class RealClock final : public Clock {
 public:
  std::chrono::system_clock::time_point WallNow() const override {
    return std::chrono::system_clock::now();
  }
  std::chrono::steady_clock::time_point MonotonicNow() const override {
    return std::chrono::steady_clock::now();
  }
};

}  // namespace

const Clock& SystemClock() {
  static const RealClock clock;
  return clock;
}

std::string FormatAge(std::int64_t ms) {
  const std::int64_t s = std::max<std::int64_t>(0, ms / 1000);
  if (s < 120) return StrCat(s, " s");
  if (s < 120 * 60) return StrCat(s / 60, " min");
  if (s < 48 * 3600) return StrCat(s / 3600, " h");
  return StrCat(s / 86400, " d");
}

}  // namespace kiosk_edge
