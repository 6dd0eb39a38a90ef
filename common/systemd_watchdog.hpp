#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "common/systemd_notify.hpp"

namespace kiosk_edge {

// Keeps systemd's watchdog (WatchdogSec=) fed from the event loop itself: WATCHDOG=1 is sent
// by a timer on `io` every half of the interval. When the loop hangs, the pings stop and
// systemd kills and restarts the service, which is the point; a thread of its own would keep
// pinging for a dead loop. Does nothing when the notifier has no watchdog interval.
//
// Contract: construct and Stop() on io's thread (or before io runs); destroy after io stopped
// running or on its thread. A failed ping is logged once until pings succeed again.
class SystemdWatchdog {
 public:
  SystemdWatchdog(boost::asio::io_context& io, SystemdNotifier notifier);
  ~SystemdWatchdog();
  SystemdWatchdog(const SystemdWatchdog&) = delete;
  SystemdWatchdog& operator=(const SystemdWatchdog&) = delete;

  // Sends no more pings and releases io (io.run() may return once nothing else is pending).
  void Stop();

 private:
  void ScheduleNextPing();

  SystemdNotifier notifier_;
  boost::asio::steady_timer timer_;
  bool stopped_ = false;
  bool last_ping_failed_ = false;
};

}  // namespace kiosk_edge
