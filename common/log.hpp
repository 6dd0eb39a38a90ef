#pragma once

#include <mutex>
#include <string>
#include <string_view>

#include "common/strings.hpp"

namespace kiosk_edge {

// Levels carry syslog priorities so that journald files them correctly.
enum class LogLevel { kError = 3, kWarning = 4, kInfo = 6, kDebug = 7 };

// Messages below `level` are dropped. Thread-safe.
void SetLogLevel(LogLevel level);
LogLevel ParseLogLevelOr(std::string_view name, LogLevel fallback);

// Writes one line to stderr: "<6>component: message" (the sd-daemon prefix journald reads) when
// stderr is not a terminal, "2026-11-22T10:00:00.123Z info component: message" when it is.
// Contract: callers never pass personal data (names, phone numbers, tokens) in `message`.
void Log(LogLevel level, std::string_view component, std::string_view message);

// Whether messages at `level` are written; the helpers below check it before formatting.
bool LogEnabled(LogLevel level);

template <class... Parts>
void LogError(std::string_view component, const Parts&... parts) {
  if (LogEnabled(LogLevel::kError)) Log(LogLevel::kError, component, StrCat(parts...));
}
template <class... Parts>
void LogWarning(std::string_view component, const Parts&... parts) {
  if (LogEnabled(LogLevel::kWarning)) Log(LogLevel::kWarning, component, StrCat(parts...));
}
template <class... Parts>
void LogInfo(std::string_view component, const Parts&... parts) {
  if (LogEnabled(LogLevel::kInfo)) Log(LogLevel::kInfo, component, StrCat(parts...));
}
template <class... Parts>
void LogDebug(std::string_view component, const Parts&... parts) {
  if (LogEnabled(LogLevel::kDebug)) Log(LogLevel::kDebug, component, StrCat(parts...));
}

// Remembers the last state a repeating check reported ("" for fine), so that a failure that
// repeats (a missing camera, a probed health check) is logged once per change. Thread-safe.
class LogOnChange {
 public:
  // True when `state` differs from the one before it (initially "").
  bool Changed(std::string_view state) {
    std::lock_guard lock(mutex_);
    if (state == last_) return false;
    last_ = state;
    return true;
  }
  // Back to "" without asking: the next failure is news again.
  void Reset() { (void)Changed(""); }

 private:
  std::mutex mutex_;
  std::string last_;
};

}  // namespace kiosk_edge
