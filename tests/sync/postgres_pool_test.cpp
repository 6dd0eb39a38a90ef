// PostgresStore's pool against a real PostgreSQL (tests/support/postgres_cluster.hpp, which these
// tests FAIL without): sessions the server ended while they sat idle, as a restart or a failover
// of the database does, are replaced before they are lent, so no call fails for them; a call the
// server never answers fails at its deadline, and the connection is replaced; so does a call's
// wait for a free connection.

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/fake_clock.hpp"
#include "common/strings.hpp"
#include "support/hq_database.hpp"
#include "support/temp_dir.hpp"
#include "support/test_stores.hpp"
#include "sync/store_test_events.hpp"

namespace kiosk_edge {
namespace {

// store_ on a schema of its own, its sessions named after it (application_name, which tells them
// from other tests'), and admin_, a connection of the test's own.
class PostgresPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto identity = testing::TestHqIdentity(std::string(32, 'k'));
    ASSERT_TRUE(identity) << identity.error().message();
    identity_ = std::make_unique<HqIdentity>(std::move(*identity));
    auto admin = testing::ConnectToSharedCluster();
    ASSERT_TRUE(admin) << admin.error().message();
    admin_.emplace(std::move(*admin));
  }

  void OpenStore(int connections, std::chrono::milliseconds call_timeout) {
    PostgresStoreOptions options{
        StrCat(testing::SharedPostgresCluster().conninfo(), " application_name=", schema_), schema_,
        connections};
    options.call_timeout = call_timeout;
    auto store = PostgresStore::Open(options, *identity_, clock_);
    ASSERT_TRUE(store) << store.error().message();
    store_ = std::move(*store);
  }

  // The process of the server serving store_'s one connection (-1 when not found).
  pid_t StoreBackendPid() {
    return static_cast<pid_t>(
        AdminInt("SELECT pid FROM pg_stat_activity WHERE application_name = $1", {schema_}));
  }

  // The one integer `sql` answers on admin_ (-1 on failure).
  std::int64_t AdminInt(const std::string& sql, const PgParams& params) {
    auto result = admin_->Query(sql, params);
    EXPECT_TRUE(result) << result.error().message();
    return result && result->rows() == 1 ? result->Int(0, 0) : -1;
  }

  std::unique_ptr<HqIdentity> identity_;
  FakeClock clock_;
  std::optional<PgConnection> admin_;
  const std::string schema_ = testing::SharedPostgresCluster().FreshSchema();
  std::unique_ptr<PostgresStore> store_;
};

TEST_F(PostgresPoolTest, CallsAfterTheServerEndedEveryIdleSessionAreAnswered) {
  ASSERT_NO_FATAL_FAILURE(OpenStore(3, std::chrono::seconds(60)));
  auto ended = testing::EndSessions(*admin_, testing::SessionsOf::kApplication, schema_);
  ASSERT_TRUE(ended) << ended.error().message();
  ASSERT_EQ(*ended, 3);

  auto reachable = store_->CheckReachable();
  EXPECT_TRUE(reachable) << reachable.error().message();
  auto first = store_->Ingest(testing::ScanBatch("kiosk-0", "inc-0", 1, 10));
  ASSERT_TRUE(first) << first.error().message();
  EXPECT_EQ(first->high_water, 10);

  // Concurrent calls take the other sessions too.
  std::vector<Result<BatchAnswer>> answers(3, Error(ErrorKind::kInternal, "not run"));
  std::vector<std::thread> callers;
  for (int i = 0; i < 3; ++i) {
    callers.emplace_back([&, i] {
      answers[i] = store_->Ingest(testing::ScanBatch(StrCat("kiosk-", i + 1), "inc-0", 1, 10));
    });
  }
  for (std::thread& caller : callers) caller.join();
  for (const Result<BatchAnswer>& answer : answers) {
    ASSERT_TRUE(answer) << answer.error().message();
    EXPECT_EQ(answer->high_water, 10);
  }
}

// GET /healthz's check (CheckReachable) on a database that turns read-only, as a primary does when
// it becomes a standby: it fails while the database takes no writes, although it can be read, and
// passes again once it takes them, on a new session, without a restart of profile-store.
TEST_F(PostgresPoolTest, TheHealthCheckFailsWhileTheDatabaseTakesNoWrites) {
  testing::TempDir state;
  testing::HqDatabase storage(testing::Backend::kPostgres, state.path());
  ASSERT_TRUE(storage.ok()) << storage.error();
  auto store = storage.OpenStore(*identity_, clock_);
  ASSERT_TRUE(store) << store.error().message();
  auto reachable = (*store)->CheckReachable();
  EXPECT_TRUE(reachable) << reachable.error().message();

  ASSERT_TRUE(storage.SetPostgresReadOnly(true));
  const auto expect_refused = [&] {
    auto refused = (*store)->CheckReachable();
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().kind(), ErrorKind::kUnavailable) << refused.error().message();
    EXPECT_NE(refused.error().message().find("takes no writes"), std::string::npos)
        << refused.error().message();
  };
  expect_refused();
  auto counts = (*store)->Counts();  // reads still work, on a new (still read-only) session
  EXPECT_TRUE(counts) << counts.error().message();
  expect_refused();

  // The session the last check refused is made again at the next call, and now takes writes.
  ASSERT_TRUE(storage.SetPostgresReadOnly(false));
  reachable = (*store)->CheckReachable();
  EXPECT_TRUE(reachable) << reachable.error().message();
  auto stored = (*store)->Ingest(testing::ScanBatch("kiosk-0", "inc-0", 1, 10));
  ASSERT_TRUE(stored) << stored.error().message();
  EXPECT_EQ(stored->high_water, 10);
}

// A database server that stops answering (its process stopped, as a hung disk would hold it):
// the batch fails at the call's deadline instead of holding the call for good, and once the
// server is back the kiosk's retry of the same batch is answered on a new connection.
TEST_F(PostgresPoolTest, ABatchTheServerNeverAnswersFailsAtTheDeadlineAndItsRetryIsAnswered) {
  ASSERT_NO_FATAL_FAILURE(OpenStore(1, std::chrono::milliseconds(300)));
  const pid_t backend = StoreBackendPid();
  ASSERT_GT(backend, 0);

  const EventBatch batch = testing::ScanBatch("kiosk-0", "inc-0", 1, 10);
  ASSERT_EQ(::kill(backend, SIGSTOP), 0) << "cannot stop the server's process";
  const auto start = std::chrono::steady_clock::now();
  auto unanswered = store_->Ingest(batch);
  const auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(::kill(backend, SIGCONT), 0);
  ASSERT_FALSE(unanswered);
  EXPECT_EQ(unanswered.error().kind(), ErrorKind::kUnavailable) << unanswered.error().message();
  EXPECT_LT(waited, std::chrono::seconds(10));

  auto retried = store_->Ingest(batch);
  ASSERT_TRUE(retried) << retried.error().message();
  EXPECT_EQ(retried->high_water, 10);
  EXPECT_EQ(AdminInt(StrCat("SELECT count(*) FROM ", schema_, ".events"), {}), 10);
}

// Without a call timeout (0), a call waits for a free connection as long as the call holding it
// runs, instead of failing at once.
TEST_F(PostgresPoolTest, WithoutACallTimeoutAWaitForAFreeConnectionHasNoLimitEither) {
  ASSERT_NO_FATAL_FAILURE(OpenStore(1, std::chrono::milliseconds(0)));
  const pid_t backend = StoreBackendPid();
  ASSERT_GT(backend, 0);

  ASSERT_EQ(::kill(backend, SIGSTOP), 0) << "cannot stop the server's process";
  std::vector<std::future<Result<BatchAnswer>>> calls;
  for (int i = 0; i < 2; ++i) {
    calls.push_back(std::async(std::launch::async, [this, i] {
      return store_->Ingest(testing::ScanBatch(StrCat("kiosk-", i), "inc-0", 1, 10));
    }));
  }
  // One call holds the connection on the stopped server; the other waits for it. Neither may
  // have returned while the server is stopped.
  int returned = 0;
  for (auto& call : calls) {
    if (call.wait_for(std::chrono::milliseconds(500)) == std::future_status::ready) ++returned;
  }
  ASSERT_EQ(::kill(backend, SIGCONT), 0);
  EXPECT_EQ(returned, 0);
  for (auto& call : calls) {
    auto answer = call.get();
    ASSERT_TRUE(answer) << answer.error().message();
    EXPECT_EQ(answer->high_water, 10);
  }
}

// With every connection held by a call the server does not answer, a second call gives up its
// wait for a free connection after the call timeout, well before the first call's own deadline
// (the call timeout and 2 s more). Which of the two calls takes the connection is left to them.
TEST_F(PostgresPoolTest, AWaitForAFreeConnectionEndsAtTheCallTimeout) {
  const auto call_timeout = std::chrono::milliseconds(500);
  ASSERT_NO_FATAL_FAILURE(OpenStore(1, call_timeout));
  const pid_t backend = StoreBackendPid();
  ASSERT_GT(backend, 0);

  struct Call {
    std::optional<Error> error;
    std::chrono::steady_clock::duration took{};
  };
  std::vector<Call> calls(2);
  ASSERT_EQ(::kill(backend, SIGSTOP), 0) << "cannot stop the server's process";
  std::vector<std::thread> callers;
  for (int i = 0; i < 2; ++i) {
    callers.emplace_back([&, i] {
      const auto start = std::chrono::steady_clock::now();
      auto answer = store_->Ingest(testing::ScanBatch(StrCat("kiosk-", i), "inc-0", 1, 10));
      calls[i].took = std::chrono::steady_clock::now() - start;
      if (!answer) calls[i].error = answer.error();
    });
  }
  for (std::thread& caller : callers) caller.join();
  ASSERT_EQ(::kill(backend, SIGCONT), 0);

  int waited = 0;
  int unanswered = 0;
  for (const Call& call : calls) {
    ASSERT_TRUE(call.error) << "a call was answered by a stopped server";
    EXPECT_EQ(call.error->kind(), ErrorKind::kUnavailable) << call.error->message();
    if (call.error->message().find("no connection free within 500 ms") != std::string::npos) {
      ++waited;
      EXPECT_LT(call.took, call_timeout + std::chrono::milliseconds(1500));
    } else {
      ++unanswered;
      EXPECT_NE(call.error->message().find("no answer within 2500 ms"), std::string::npos)
          << call.error->message();
    }
  }
  EXPECT_EQ(waited, 1);
  EXPECT_EQ(unanswered, 1);

  auto after = store_->Ingest(testing::ScanBatch("kiosk-0", "inc-0", 1, 10));
  ASSERT_TRUE(after) << after.error().message();
  EXPECT_EQ(after->high_water, 10);
}

}  // namespace
}  // namespace kiosk_edge
