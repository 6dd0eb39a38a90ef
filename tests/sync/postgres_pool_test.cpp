// PostgresStore's pool against a real PostgreSQL (tests/support/postgres_cluster.hpp, which these
// tests FAIL without): sessions the server ended while they sat idle, as a restart or a failover
// of the database does, are replaced before they are lent, so no call fails for them; a call the
// server never answers fails at its deadline, and the connection is replaced.

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "common/fake_clock.hpp"
#include "common/strings.hpp"
#include "support/test_stores.hpp"
#include "sync/store_test_events.hpp"

namespace kiosk_edge {
namespace {

TEST(PostgresPoolTest, CallsAfterTheServerEndedEveryIdleSessionAreAnswered) {
  auto identity = testing::TestHqIdentity(std::string(32, 'k'));
  ASSERT_TRUE(identity) << identity.error().message();
  auto& cluster = testing::SharedPostgresCluster();
  ASSERT_TRUE(cluster.ok()) << cluster.error();
  const std::string schema = cluster.FreshSchema();
  // The application name tells this store's sessions from other tests'.
  const PostgresStoreOptions options{StrCat(cluster.conninfo(), " application_name=", schema),
                                     schema, 3};
  FakeClock clock;
  auto store = PostgresStore::Open(options, *identity, clock);
  ASSERT_TRUE(store) << store.error().message();

  auto admin = testing::ConnectToSharedCluster();
  ASSERT_TRUE(admin) << admin.error().message();
  // Waits (up to 10 s each) until the sessions are gone: their goodbyes are on the wire.
  auto ended = admin->Query(
      "WITH ours AS MATERIALIZED (SELECT pid FROM pg_stat_activity WHERE application_name = $1) "
      "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 10000)) FROM ours",
      {schema});
  ASSERT_TRUE(ended) << ended.error().message();
  ASSERT_EQ(ended->Int(0, 0), 3);

  auto reachable = (*store)->CheckReachable();
  EXPECT_TRUE(reachable) << reachable.error().message();
  auto first = (*store)->Ingest(testing::ScanBatch("kiosk-0", "inc-0", 1, 10));
  ASSERT_TRUE(first) << first.error().message();
  EXPECT_EQ(first->high_water, 10);

  // Concurrent calls take the other sessions too.
  std::vector<Result<BatchAnswer>> answers(3, Error(ErrorKind::kInternal, "not run"));
  std::vector<std::thread> callers;
  for (int i = 0; i < 3; ++i) {
    callers.emplace_back([&, i] {
      answers[i] = (*store)->Ingest(testing::ScanBatch(StrCat("kiosk-", i + 1), "inc-0", 1, 10));
    });
  }
  for (std::thread& caller : callers) caller.join();
  for (const Result<BatchAnswer>& answer : answers) {
    ASSERT_TRUE(answer) << answer.error().message();
    EXPECT_EQ(answer->high_water, 10);
  }
}

// A database server that stops answering (its process stopped, as a hung disk would hold it):
// the batch fails at the call's deadline instead of holding the call for good, and once the
// server is back the kiosk's retry of the same batch is answered on a new connection.
TEST(PostgresPoolTest, ABatchTheServerNeverAnswersFailsAtTheDeadlineAndItsRetryIsAnswered) {
  auto identity = testing::TestHqIdentity(std::string(32, 'k'));
  ASSERT_TRUE(identity) << identity.error().message();
  auto& cluster = testing::SharedPostgresCluster();
  ASSERT_TRUE(cluster.ok()) << cluster.error();
  const std::string schema = cluster.FreshSchema();
  PostgresStoreOptions options{StrCat(cluster.conninfo(), " application_name=", schema), schema, 1};
  options.call_timeout = std::chrono::milliseconds(300);
  FakeClock clock;
  auto store = PostgresStore::Open(options, *identity, clock);
  ASSERT_TRUE(store) << store.error().message();

  auto admin = testing::ConnectToSharedCluster();
  ASSERT_TRUE(admin) << admin.error().message();
  auto pid = admin->Query("SELECT pid FROM pg_stat_activity WHERE application_name = $1", {schema});
  ASSERT_TRUE(pid) << pid.error().message();
  ASSERT_EQ(pid->rows(), 1);
  const pid_t backend = static_cast<pid_t>(pid->Int(0, 0));

  const EventBatch batch = testing::ScanBatch("kiosk-0", "inc-0", 1, 10);
  ASSERT_EQ(::kill(backend, SIGSTOP), 0) << "cannot stop the server's process";
  const auto start = std::chrono::steady_clock::now();
  auto unanswered = (*store)->Ingest(batch);
  const auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(::kill(backend, SIGCONT), 0);
  ASSERT_FALSE(unanswered);
  EXPECT_EQ(unanswered.error().kind(), ErrorKind::kUnavailable) << unanswered.error().message();
  EXPECT_LT(waited, std::chrono::seconds(10));

  auto retried = (*store)->Ingest(batch);
  ASSERT_TRUE(retried) << retried.error().message();
  EXPECT_EQ(retried->high_water, 10);
  auto held = admin->Query(StrCat("SELECT count(*) FROM ", schema, ".events"));
  ASSERT_TRUE(held) << held.error().message();
  EXPECT_EQ(held->Int(0, 0), 10);
}

}  // namespace
}  // namespace kiosk_edge
