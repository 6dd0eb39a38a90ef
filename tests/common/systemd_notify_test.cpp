#include "common/systemd_notify.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <functional>
#include <future>
#include <map>
#include <thread>

#include "common/systemd_watchdog.hpp"
#include "support/notify_listener.hpp"
#include "support/temp_dir.hpp"

namespace kiosk_edge {
namespace {

using std::chrono::milliseconds;
using testing::NotifyListener;
using testing::TempDir;

constexpr milliseconds kArrives{5000};  // generous: a message that is sent arrives in well under

// A notifier built from `variables` as if they were the whole environment of process `pid`.
SystemdNotifier FromVariables(const std::map<std::string, std::string>& variables,
                              pid_t pid = ::getpid()) {
  return SystemdNotifier::FromEnvironment(
      [&variables](const char* name) -> const char* {
        const auto found = variables.find(name);
        return found == variables.end() ? nullptr : found->second.c_str();
      },
      pid);
}

TEST(SystemdNotifier, ReadyAndStoppingReachASocketPath) {
  TempDir dir;
  NotifyListener systemd((dir / "notify").string());
  ASSERT_TRUE(systemd.bound());
  const SystemdNotifier notifier = FromVariables({{"NOTIFY_SOCKET", systemd.name()}});
  EXPECT_TRUE(notifier.enabled());

  notifier.NotifyReady("listening on port 8470");
  EXPECT_EQ(systemd.Receive(kArrives), "READY=1\nSTATUS=listening on port 8470");
  notifier.NotifyStopping("finishing requests\nFAKE=1");
  EXPECT_EQ(systemd.Receive(kArrives), "STOPPING=1\nSTATUS=finishing requests FAKE=1")
      << "a newline in the status must not smuggle in another assignment";
}

TEST(SystemdNotifier, ReachesAnAbstractSocketName) {
  NotifyListener systemd("@kiosk-edge-notify-test-" + std::to_string(::getpid()));
  ASSERT_TRUE(systemd.bound());
  const SystemdNotifier notifier = FromVariables({{"NOTIFY_SOCKET", systemd.name()}});
  ASSERT_TRUE(notifier.Send("WATCHDOG=1"));
  EXPECT_EQ(systemd.Receive(kArrives), "WATCHDOG=1");
}

TEST(SystemdNotifier, IsANoOpOutsideSystemd) {
  const SystemdNotifier notifier = FromVariables({});
  EXPECT_FALSE(notifier.enabled());
  EXPECT_FALSE(notifier.watchdog_interval());
  EXPECT_TRUE(notifier.Send("READY=1"));
  notifier.NotifyReady("nobody listens");  // must neither fail nor throw
}

TEST(SystemdNotifier, ReportsASocketItCannotReach) {
  TempDir dir;
  const std::string missing = (dir / "no-such-socket").string();
  auto sent = FromVariables({{"NOTIFY_SOCKET", missing}}).Send("READY=1");
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().kind(), ErrorKind::kIo);
  EXPECT_NE(sent.error().message().find(missing), std::string::npos) << sent.error().message();

  auto relative = FromVariables({{"NOTIFY_SOCKET", "run/notify"}}).Send("READY=1");
  ASSERT_FALSE(relative);
  EXPECT_NE(relative.error().message().find("absolute path"), std::string::npos);

  auto too_long = FromVariables({{"NOTIFY_SOCKET", "/" + std::string(200, 'x')}}).Send("READY=1");
  ASSERT_FALSE(too_long);
  EXPECT_NE(too_long.error().message().find("too long"), std::string::npos);
}

TEST(SystemdNotifier, TakesTheWatchdogIntervalMeantForThisProcess) {
  const pid_t self = ::getpid();
  EXPECT_EQ(FromVariables({{"WATCHDOG_USEC", "30000000"}}).watchdog_interval(),
            std::chrono::seconds(30));
  EXPECT_EQ(
      FromVariables({{"WATCHDOG_USEC", "20000000"}, {"WATCHDOG_PID", std::to_string(self)}}, self)
          .watchdog_interval(),
      std::chrono::seconds(20));
  EXPECT_FALSE(
      FromVariables({{"WATCHDOG_USEC", "20000000"}, {"WATCHDOG_PID", std::to_string(self + 1)}},
                    self)
          .watchdog_interval())
      << "a watchdog meant for another process (our parent, say) is not ours to feed";
  for (const char* malformed : {"", "0", "-5", "abc", "30s", "99999999999999999999999"}) {
    EXPECT_FALSE(FromVariables({{"WATCHDOG_USEC", malformed}}).watchdog_interval()) << malformed;
  }
}

TEST(SystemdWatchdog, PingsFromTheEventLoopAndStopsWhenItHangs) {
  TempDir dir;
  NotifyListener systemd((dir / "notify").string());
  ASSERT_TRUE(systemd.bound());
  // WatchdogSec=80ms: a ping every 40 ms while the loop runs.
  boost::asio::io_context io;
  SystemdWatchdog watchdog(
      io, FromVariables({{"NOTIFY_SOCKET", systemd.name()}, {"WATCHDOG_USEC", "80000"}}));

  // The loop has not started: nothing may ping on its behalf (no thread of its own).
  EXPECT_EQ(systemd.Receive(milliseconds(300)), std::nullopt);

  std::promise<void> unhang;
  bool released = false;
  std::promise<void> ran_out;
  std::future<void> unhung = unhang.get_future();
  std::future<void> loop_ended = ran_out.get_future();
  std::thread loop([&io, &ran_out] {
    io.run();
    ran_out.set_value();
  });
  // Whatever fails below, the loop is released and joined rather than left hanging.
  struct Cleanup {
    std::function<void()> run;
    ~Cleanup() { run(); }
  } cleanup{[&] {
    if (!released) unhang.set_value();
    io.stop();
    loop.join();
  }};

  EXPECT_EQ(systemd.Receive(kArrives), "WATCHDOG=1");
  EXPECT_EQ(systemd.Receive(kArrives), "WATCHDOG=1") << "pings repeat";

  // Hang the loop: the pings stop, so systemd would restart the service.
  std::promise<void> hung;
  std::future<void> hanging = hung.get_future();
  boost::asio::post(io, [&unhung, &hung] {
    hung.set_value();
    unhung.wait();
  });
  ASSERT_EQ(hanging.wait_for(kArrives), std::future_status::ready) << "the loop stopped running";
  while (systemd.Receive(milliseconds(0))) {
  }  // drop what was already sent before the hang
  EXPECT_EQ(systemd.Receive(milliseconds(300)), std::nullopt);

  unhang.set_value();
  released = true;
  EXPECT_EQ(systemd.Receive(kArrives), "WATCHDOG=1") << "pings resume with the loop";

  boost::asio::post(io, [&watchdog] { watchdog.Stop(); });
  EXPECT_EQ(loop_ended.wait_for(kArrives), std::future_status::ready)
      << "a stopped watchdog must keep no work pending, so io.run() returns";
}

TEST(SystemdWatchdog, KeepsNoWorkPendingWhenTheWatchdogIsOff) {
  boost::asio::io_context io;
  SystemdWatchdog watchdog(io, FromVariables({{"NOTIFY_SOCKET", "/nonexistent"}}));
  EXPECT_EQ(io.run(), 0u);
}

}  // namespace
}  // namespace kiosk_edge
