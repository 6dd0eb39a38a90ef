// PostgresStore::Open on a server whose own settings let a crash lose committed rows: it warns,
// since profile-store acknowledges batches to kiosks on those commits. A cluster of its own
// (tests/support/postgres_cluster.hpp, which this test FAILS without), as the test changes a
// setting of the whole server.

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "common/fake_clock.hpp"
#include "support/postgres_cluster.hpp"
#include "support/test_stores.hpp"
#include "sync/profile_store/pg_connection.hpp"
#include "sync/profile_store/postgres_store.hpp"

namespace kiosk_edge {
namespace {

constexpr std::string_view kFsyncWarning = "PostgreSQL runs with fsync = off";

TEST(PostgresDurabilityTest, OpeningOnAServerWithoutFsyncWarns) {
  testing::PostgresCluster cluster;
  ASSERT_TRUE(cluster.ok()) << cluster.error();
  auto identity = testing::TestHqIdentity(std::string(32, 'k'));
  ASSERT_TRUE(identity) << identity.error().message();
  FakeClock clock;
  // The log Open writes ("" when it failed, which the test reports).
  auto open_and_log = [&] {
    ::testing::internal::CaptureStderr();
    auto store = PostgresStore::Open({.conninfo = cluster.conninfo()}, *identity, clock);
    const std::string log = ::testing::internal::GetCapturedStderr();
    EXPECT_TRUE(store) << store.error().message();
    return store ? log : "";
  };
  EXPECT_EQ(open_and_log().find(kFsyncWarning), std::string::npos);

  auto admin = PgConnection::Connect(cluster.conninfo());
  ASSERT_TRUE(admin) << admin.error().message();
  ASSERT_TRUE(admin->Exec("ALTER SYSTEM SET fsync = off"));
  ASSERT_TRUE(admin->Exec("SELECT pg_reload_conf()"));
  // The server reloads its settings in the background; a session sees them at its next call.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::string fsync;
  while (fsync != "off" && std::chrono::steady_clock::now() < give_up) {
    auto shown = admin->Query("SHOW fsync");
    ASSERT_TRUE(shown) << shown.error().message();
    fsync = shown->Text(0, 0);
  }
  ASSERT_EQ(fsync, "off") << "the server did not reload its settings";

  const std::string log = open_and_log();
  EXPECT_NE(log.find(kFsyncWarning), std::string::npos) << log;
  EXPECT_EQ(log.find("full_page_writes"), std::string::npos) << log;
}

}  // namespace
}  // namespace kiosk_edge
