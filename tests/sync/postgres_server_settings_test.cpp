// PostgresStore on a server or under a role whose settings would undermine it: a server without
// fsync is warned of at Open, since profile-store acknowledges batches to kiosks on its commits
// (a cluster of its own, as the test changes a setting of the whole server); a role's short
// lock_timeout does not fail the migrations at Open, which wait for another instance's. Both
// against a real PostgreSQL (tests/support/postgres_cluster.hpp, which these tests FAIL without).

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "common/fake_clock.hpp"
#include "common/strings.hpp"
#include "support/postgres_cluster.hpp"
#include "support/test_stores.hpp"
#include "sync/profile_store/pg_connection.hpp"
#include "sync/profile_store/postgres_session.hpp"
#include "sync/profile_store/postgres_store.hpp"
#include "sync/store_test_events.hpp"

namespace kiosk_edge {
namespace {

constexpr std::string_view kFsyncWarning = "PostgreSQL runs with fsync = off";

TEST(PostgresServerSettingsTest, OpeningOnAServerWithoutFsyncWarns) {
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

// The role's sessions default to lock_timeout = 100 ms (set here in the connection string, as
// ALTER ROLE would): Open still waits for the migration lock another instance holds for longer,
// and the store then works.
TEST(PostgresServerSettingsTest, MigrationsWaitForTheLockDespiteTheRolesLockTimeout) {
  auto& cluster = testing::SharedPostgresCluster();
  ASSERT_TRUE(cluster.ok()) << cluster.error();
  const std::string schema = cluster.FreshSchema();
  auto identity = testing::TestHqIdentity(std::string(32, 'k'));
  ASSERT_TRUE(identity) << identity.error().message();
  FakeClock clock;
  auto admin = PgConnection::Connect(cluster.conninfo());
  ASSERT_TRUE(admin) << admin.error().message();
  ASSERT_TRUE(admin->Exec(StrCat("SELECT pg_advisory_lock(", kMigrationLockKey, ")")));

  std::atomic<bool> returned{false};
  Result<std::unique_ptr<PostgresStore>> opened = Error(ErrorKind::kInternal, "not run");
  std::thread opener([&] {
    opened =
        PostgresStore::Open({.conninfo = StrCat(cluster.conninfo(), " application_name=", schema,
                                                " options='-c lock_timeout=100'"),
                             .schema = schema},
                            *identity, clock);
    returned = true;
  });
  // Until the store's connection has waited for the lock for 300 ms (or Open gave up, which the
  // test reports).
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  bool waiting = false;
  while (!waiting && !returned && std::chrono::steady_clock::now() < give_up) {
    auto count = admin->Query(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND "
        "wait_event = 'advisory' AND clock_timestamp() - query_start > interval '300 ms'",
        {schema});
    if (!count) {
      ADD_FAILURE() << count.error().message();  // no ASSERT: the opener is to be joined
      break;
    }
    waiting = count->Int(0, 0) == 1;
  }
  EXPECT_TRUE(admin->Exec(StrCat("SELECT pg_advisory_unlock(", kMigrationLockKey, ")")));
  opener.join();
  EXPECT_TRUE(waiting) << "Open did not wait 300 ms for the migration lock";
  ASSERT_TRUE(opened) << opened.error().message();
  auto answer = (*opened)->Ingest(testing::ScanBatch("kiosk-0", "inc-0", 1, 10));
  ASSERT_TRUE(answer) << answer.error().message();
  EXPECT_EQ(answer->high_water, 10);
}

}  // namespace
}  // namespace kiosk_edge
