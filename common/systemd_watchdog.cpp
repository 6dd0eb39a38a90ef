#include "common/systemd_watchdog.hpp"

#include "common/log.hpp"

namespace kiosk_edge {

SystemdWatchdog::SystemdWatchdog(boost::asio::io_context& io, SystemdNotifier notifier)
    : notifier_(std::move(notifier)), timer_(io) {
  if (notifier_.watchdog_interval()) ScheduleNextPing();
}

SystemdWatchdog::~SystemdWatchdog() { Stop(); }

void SystemdWatchdog::Stop() {
  stopped_ = true;
  timer_.cancel();
}

void SystemdWatchdog::ScheduleNextPing() {
  // Half the interval, as sd_watchdog_enabled(3) advises: one late tick still arrives in time.
  timer_.expires_after(*notifier_.watchdog_interval() / 2);
  timer_.async_wait([this](const boost::system::error_code& error) {
    if (error) return;  // cancelled: `this` may be gone, touch nothing
    if (stopped_) return;
    auto sent = notifier_.Send("WATCHDOG=1");
    if (!sent && !last_ping_failed_) {
      LogWarning("systemd", "watchdog ping not delivered (systemd may restart this service): ",
                 sent.error().message());
    }
    last_ping_failed_ = !sent;
    ScheduleNextPing();
  });
}

}  // namespace kiosk_edge
