#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace kiosk_edge {

// Tells the service manager how this process is doing: the sd_notify(3) protocol without
// libsystemd. Each message is one datagram to the AF_UNIX socket named by $NOTIFY_SOCKET, a path
// ("/run/systemd/notify") or an abstract name ("@name"). Not under systemd (no $NOTIFY_SOCKET),
// every call is a no-op that succeeds, so daemons call it unconditionally. Sending never blocks:
// a full socket queue is an error, not a wait, so calling from the I/O thread is safe.
class SystemdNotifier {
 public:
  // Looks an environment variable up; nullptr when unset (std::getenv's contract).
  using GetEnv = std::function<const char*(const char*)>;

  // A notifier that sends nothing.
  SystemdNotifier() = default;

  // What systemd passed this process: $NOTIFY_SOCKET, and $WATCHDOG_USEC when $WATCHDOG_PID is
  // unset or `own_pid` (a watchdog meant for another process is ignored). A malformed
  // $WATCHDOG_USEC means no watchdog; a malformed $NOTIFY_SOCKET shows up as Send's error.
  static SystemdNotifier FromEnvironment(const GetEnv& get_env, pid_t own_pid);
  // The same for this process: std::getenv and getpid().
  static SystemdNotifier FromEnvironment();

  // Whether $NOTIFY_SOCKET was set (not empty).
  bool enabled() const { return !socket_.empty(); }
  // WatchdogSec= of the unit: systemd kills and restarts the service (Restart=) when no
  // WATCHDOG=1 arrives within it. nullopt when the watchdog is off.
  std::optional<std::chrono::microseconds> watchdog_interval() const { return watchdog_interval_; }

  // Sends `state` (newline-separated VARIABLE=value lines, e.g. "READY=1\nSTATUS=up") as one
  // datagram. Errors name the socket and the reason; a disabled notifier always succeeds.
  // SystemdWatchdog sends "WATCHDOG=1" through it.
  Result<void> Send(std::string_view state) const;

  // READY=1 with a STATUS= line (Type=notify: systemd starts dependent units after this).
  // These helpers log a warning when sending fails and never fail themselves: a service
  // manager that cannot be told is no reason to stop serving.
  void NotifyReady(std::string_view status) const;
  // STOPPING=1 with a STATUS= line: shutdown has begun.
  void NotifyStopping(std::string_view status) const;

 private:
  void SendOrWarn(const std::string& state) const;

  std::string socket_;  // empty: not under systemd
  std::optional<std::chrono::microseconds> watchdog_interval_;
};

}  // namespace kiosk_edge
