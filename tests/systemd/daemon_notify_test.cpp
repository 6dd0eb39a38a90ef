// kiosk-agent and profile-store under Type=notify: READY=1 once they serve, WATCHDOG=1 while
// their event loop runs, STOPPING=1 on SIGTERM (see systemd/*.service).

#include <gtest/gtest.h>

#include <string>

#include "support/notify_listener.hpp"
#include "support/running_agent.hpp"
#include "support/running_profile_store.hpp"
#include "support/scoped_env.hpp"
#include "support/temp_dir.hpp"

namespace kiosk_edge {
namespace {

using std::chrono::milliseconds;
using testing::NotifyListener;
using testing::ScopedEnv;
using testing::TempDir;

constexpr milliseconds kDaemonMessageArrives{10000};

TEST(DaemonNotify, KioskAgentReportsReadyPingsAndStopping) {
  TempDir dir;
  NotifyListener systemd((dir / "notify").string());
  ASSERT_TRUE(systemd.bound());
  ScopedEnv socket("NOTIFY_SOCKET", systemd.name());
  ScopedEnv watchdog("WATCHDOG_USEC", "200000");  // WatchdogSec=200ms: a ping every 100 ms

  testing::RunningAgent agent(dir.path());
  ASSERT_NE(agent.port(), 0);
  auto ready = systemd.ReceiveStartingWith("READY=1", kDaemonMessageArrives);
  ASSERT_TRUE(ready);
  EXPECT_NE(ready->find("STATUS="), std::string::npos) << *ready;
  EXPECT_NE(ready->find(std::to_string(agent.port())), std::string::npos) << *ready;
  EXPECT_EQ(systemd.ReceiveStartingWith("WATCHDOG=1", kDaemonMessageArrives), "WATCHDOG=1");

  EXPECT_EQ(agent.Stop(), 0);
  EXPECT_TRUE(systemd.ReceiveStartingWith("STOPPING=1", kDaemonMessageArrives));
}

TEST(DaemonNotify, ProfileStoreReportsReadyPingsAndStopping) {
  TempDir dir;
  NotifyListener systemd((dir / "notify").string());
  ASSERT_TRUE(systemd.bound());
  ScopedEnv socket("NOTIFY_SOCKET", systemd.name());
  ScopedEnv watchdog("WATCHDOG_USEC", "200000");

  testing::RunningProfileStore store(dir / "state");
  ASSERT_NE(store.port(), 0);
  auto ready = systemd.ReceiveStartingWith("READY=1", kDaemonMessageArrives);
  ASSERT_TRUE(ready);
  EXPECT_NE(ready->find(std::to_string(store.port())), std::string::npos) << *ready;
  EXPECT_EQ(systemd.ReceiveStartingWith("WATCHDOG=1", kDaemonMessageArrives), "WATCHDOG=1");

  EXPECT_EQ(store.Stop(), 0);
  EXPECT_TRUE(systemd.ReceiveStartingWith("STOPPING=1", kDaemonMessageArrives));
}

}  // namespace
}  // namespace kiosk_edge
