// PgConnection's encodings, pipeline and deadlines against a real PostgreSQL
// (tests/support/postgres_cluster.hpp, which these tests FAIL without): what goes in through COPY
// rows and array parameters comes back byte for byte, a pipeline stops at its first failure, a
// session the server ended is seen as lost, a connection has deadlines its connection string
// may change, calls have the deadline SetCallTimeout gives them, and commits wait until durable.

#include "sync/profile_store/pg_connection.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/strings.hpp"
#include "support/postgres_cluster.hpp"

namespace kiosk_edge {
namespace {

// Text that needs every escape COPY and array literals have, and some that need none.
const std::vector<std::optional<std::string>> kAwkwardTexts = {
    "plain",
    "",
    "tab\there",
    "new\nline and \r carriage return",
    "back\\slash \\N \\\\",
    "quote \" and 'single'",
    "{braces}, commas, NULL",
    "NULL",
    std::nullopt,
    "\xe5\xbc\xa0\xe4\xbc\x9f",
    R"({"json":"with \"escapes\" and \\n","n":[1,2]})",
};

class PgConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto& cluster = testing::SharedPostgresCluster();
    ASSERT_TRUE(cluster.ok()) << cluster.error();
    auto connection = PgConnection::Connect(cluster.conninfo());
    ASSERT_TRUE(connection) << connection.error().message();
    connection_.emplace(std::move(*connection));
    const std::string schema = cluster.FreshSchema();
    ASSERT_TRUE(connection_->Exec(StrCat("CREATE SCHEMA ", schema, "; SET search_path TO ", schema,
                                         "; CREATE TABLE t (n BIGINT, s TEXT)")));
  }

  // Every row of t, in n order, as (n, s).
  std::vector<std::pair<std::int64_t, std::optional<std::string>>> Rows() {
    auto rows = connection_->Query("SELECT n, s FROM t ORDER BY n");
    EXPECT_TRUE(rows) << rows.error().message();
    std::vector<std::pair<std::int64_t, std::optional<std::string>>> out;
    for (int i = 0; rows && i < rows->rows(); ++i) {
      out.emplace_back(rows->Int(i, 0),
                       rows->IsNull(i, 1) ? std::nullopt : std::optional(rows->Text(i, 1)));
    }
    return out;
  }

  std::vector<std::pair<std::int64_t, std::optional<std::string>>> Expected() {
    std::vector<std::pair<std::int64_t, std::optional<std::string>>> expected;
    for (std::size_t i = 0; i < kAwkwardTexts.size(); ++i) {
      expected.emplace_back(static_cast<std::int64_t>(i), kAwkwardTexts[i]);
    }
    return expected;
  }

  std::optional<PgConnection> connection_;
};

TEST_F(PgConnectionTest, CopyRowsArriveByteForByte) {
  PgCopyRows rows;
  for (std::size_t i = 0; i < kAwkwardTexts.size(); ++i) {
    rows.Field(static_cast<std::int64_t>(i)).Field(kAwkwardTexts[i]).EndRow();
  }
  auto copied = connection_->CopyIn("COPY t (n, s) FROM STDIN", rows.text());
  ASSERT_TRUE(copied) << copied.error().message();
  EXPECT_EQ(Rows(), Expected());
}

TEST_F(PgConnectionTest, BinaryResultsReadIntegersOfEverySizeAndText) {
  auto rows = connection_->QueryBinary(
      "SELECT (-2)::smallint, 2147483647::integer, (-9007199254740993)::bigint, "
      "9223372036854775807::bigint, $1::text, NULL::bigint",
      Params("a\tb"));
  ASSERT_TRUE(rows) << rows.error().message();
  EXPECT_EQ(rows->BinaryInt(0, 0), -2);
  EXPECT_EQ(rows->BinaryInt(0, 1), 2147483647);
  EXPECT_EQ(rows->BinaryInt(0, 2), -9007199254740993);
  EXPECT_EQ(rows->BinaryInt(0, 3), 9223372036854775807);
  EXPECT_EQ(rows->View(0, 4), "a\tb");
  EXPECT_TRUE(rows->IsNull(0, 5));
  EXPECT_EQ(rows->BinaryInt(0, 5), 0);
}

TEST_F(PgConnectionTest, ArrayParametersArriveByteForByte) {
  PgArray numbers, texts, flags;
  for (std::size_t i = 0; i < kAwkwardTexts.size(); ++i) {
    numbers.Add(static_cast<std::int64_t>(i));
    texts.Add(kAwkwardTexts[i]);
    flags.Add(i % 2 == 0);
  }
  auto inserted = connection_->Query("INSERT INTO t SELECT * FROM unnest($1::bigint[], $2::text[])",
                                     Params(numbers, texts));
  ASSERT_TRUE(inserted) << inserted.error().message();
  EXPECT_EQ(inserted->Affected(), static_cast<std::int64_t>(kAwkwardTexts.size()));
  EXPECT_EQ(Rows(), Expected());
  auto counted =
      connection_->Query("SELECT count(*) FROM unnest($1::boolean[]) AS f WHERE f", Params(flags));
  ASSERT_TRUE(counted) << counted.error().message();
  EXPECT_EQ(counted->Int(0, 0), static_cast<std::int64_t>((kAwkwardTexts.size() + 1) / 2));
  auto empty = connection_->Query("SELECT cardinality($1::text[])", Params(PgArray()));
  ASSERT_TRUE(empty) << empty.error().message();
  EXPECT_EQ(empty->Int(0, 0), 0);
}

TEST_F(PgConnectionTest, APipelineAnswersInOrder) {
  ASSERT_TRUE(connection_->Prepare("insert", "INSERT INTO t VALUES ($1, $2)"));
  const std::vector<PgCommand> commands = {
      PgCommand::Sql("BEGIN"), PgCommand::Prepared("insert", Params(std::int64_t{1}, "one")),
      PgCommand::Prepared("insert", Params(std::int64_t{2}, "two")),
      PgCommand::Sql("SELECT s FROM t WHERE n >= $1 ORDER BY n", Params(std::int64_t{1})),
      PgCommand::Sql("COMMIT")};
  auto results = connection_->RunPipeline(commands);
  ASSERT_TRUE(results) << results.error().message();
  ASSERT_EQ(results->size(), commands.size());
  EXPECT_EQ((*results)[1].Affected(), 1);
  ASSERT_EQ((*results)[3].rows(), 2);
  EXPECT_EQ((*results)[3].Text(0, 0), "one");
  EXPECT_EQ((*results)[3].Text(1, 0), "two");
  EXPECT_EQ(Rows().size(), 2u) << "committed";
}

TEST_F(PgConnectionTest, APipelineStopsAtItsFirstFailureAndTheConnectionCarriesOn) {
  ASSERT_TRUE(connection_->Exec("ALTER TABLE t ADD PRIMARY KEY (n)"));
  const std::vector<PgCommand> commands = {
      PgCommand::Sql("BEGIN"), PgCommand::Sql("INSERT INTO t VALUES (1, 'first')"),
      PgCommand::Sql("INSERT INTO t VALUES (1, 'duplicate')"),
      PgCommand::Sql("INSERT INTO t VALUES (2, 'after the failure')"), PgCommand::Sql("COMMIT")};
  auto results = connection_->RunPipeline(commands);
  ASSERT_FALSE(results);
  EXPECT_EQ(results.error().kind(), ErrorKind::kInvalidArgument) << results.error().message();
  EXPECT_NE(results.error().message().find("23505"), std::string::npos)
      << results.error().message();
  EXPECT_EQ(connection_->last_sqlstate(), "23505");
  ASSERT_TRUE(connection_->Exec("ROLLBACK"));
  EXPECT_TRUE(Rows().empty()) << "nothing of the failed transaction remains";
  // Out of pipeline mode, and usable for both kinds of call again.
  auto again = connection_->RunPipeline(
      std::vector<PgCommand>{PgCommand::Sql("INSERT INTO t VALUES (3, 'three')"),
                             PgCommand::Sql("SELECT count(*) FROM t")});
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ((*again)[1].Int(0, 0), 1);
  EXPECT_EQ(connection_->last_sqlstate(), "");
  EXPECT_TRUE(connection_->Query("SELECT 1"));
}

// A session the server ends while the connection sits idle (a restart, a failover) is Lost before
// the next call, which would fail on it; a live one is not; Reset connects again.
TEST_F(PgConnectionTest, ASessionTheServerEndsWhileIdleIsLostBeforeTheNextCall) {
  auto pid = connection_->Query("SELECT pg_backend_pid()");
  ASSERT_TRUE(pid) << pid.error().message();
  EXPECT_FALSE(connection_->Lost());
  EXPECT_FALSE(connection_->Lost());  // and asking changes nothing

  auto admin = PgConnection::Connect(testing::SharedPostgresCluster().conninfo());
  ASSERT_TRUE(admin) << admin.error().message();
  // Returns once the session is gone (up to 10 s), its goodbye sent.
  auto ended = admin->Query("SELECT pg_terminate_backend($1::integer, 10000)", {pid->Text(0, 0)});
  ASSERT_TRUE(ended) << ended.error().message();
  ASSERT_TRUE(ended->Bool(0, 0));

  EXPECT_FALSE(connection_->Broken());  // libpq has not read since
  EXPECT_TRUE(connection_->Lost());
  EXPECT_TRUE(connection_->Lost());
  auto reset = connection_->Reset();
  ASSERT_TRUE(reset) << reset.error().message();
  EXPECT_FALSE(connection_->Lost());
  auto again = connection_->Query("SELECT pg_backend_pid()");
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_NE(again->Text(0, 0), pid->Text(0, 0));
}

// The server cancels a statement that outruns the call timeout, and the connection carries on,
// with the bound still set after a reconnect.
TEST_F(PgConnectionTest, AStatementPastTheCallTimeoutIsCancelledAndTheConnectionCarriesOn) {
  ASSERT_TRUE(connection_->SetCallTimeout(std::chrono::milliseconds(200)));
  const auto start = std::chrono::steady_clock::now();
  auto slept = connection_->Query("SELECT pg_sleep(10)");
  const auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(slept);
  EXPECT_EQ(slept.error().kind(), ErrorKind::kUnavailable) << slept.error().message();
  EXPECT_EQ(connection_->last_sqlstate(), "57014") << slept.error().message();
  EXPECT_LT(waited, std::chrono::seconds(2));
  EXPECT_FALSE(connection_->Lost());
  EXPECT_TRUE(connection_->Query("SELECT 1"));

  ASSERT_TRUE(connection_->Reset());
  auto setting = connection_->Query("SHOW statement_timeout");
  ASSERT_TRUE(setting) << setting.error().message();
  EXPECT_EQ(setting->Text(0, 0), "200ms");
}

// A server that stops answering altogether (here its process is stopped, as a hung disk would
// hold it): the call fails at its deadline and the connection is dropped; Reset connects again.
TEST_F(PgConnectionTest, ACallTheServerNeverAnswersFailsAtItsDeadlineAndDropsTheConnection) {
  auto pid = connection_->Query("SELECT pg_backend_pid()");
  ASSERT_TRUE(pid) << pid.error().message();
  ASSERT_TRUE(connection_->SetCallTimeout(std::chrono::milliseconds(200)));
  const pid_t backend = static_cast<pid_t>(pid->Int(0, 0));
  ASSERT_EQ(::kill(backend, SIGSTOP), 0) << "cannot stop the server's process";
  const auto start = std::chrono::steady_clock::now();
  auto answer = connection_->Query("SELECT 1");
  const auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(::kill(backend, SIGCONT), 0);
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().kind(), ErrorKind::kUnavailable);
  EXPECT_NE(answer.error().message().find("no answer within 2200 ms"), std::string::npos)
      << answer.error().message();
  EXPECT_GE(waited, std::chrono::milliseconds(2200));
  EXPECT_LT(waited, std::chrono::seconds(10));
  EXPECT_TRUE(connection_->Broken());

  ASSERT_TRUE(connection_->Reset());
  auto again = connection_->Query("SELECT 1");
  EXPECT_TRUE(again) << again.error().message();
}

// The tests' cluster serves TLS as a production database would (postgres_cluster.hpp), and
// results of many TLS records, rows and one large value, arrive whole under a call timeout.
TEST_F(PgConnectionTest, LargeResultsOverTlsArriveWholeUnderACallTimeout) {
  auto tls = connection_->Query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
  ASSERT_TRUE(tls) << tls.error().message();
  ASSERT_EQ(tls->rows(), 1);
  EXPECT_TRUE(tls->Bool(0, 0)) << "the connection is not over TLS";

  ASSERT_TRUE(connection_->SetCallTimeout(std::chrono::seconds(5)));
  auto rows = connection_->Query(
      "SELECT g, repeat(md5(g::text), 100) FROM generate_series(1, 3000) AS g ORDER BY g");
  ASSERT_TRUE(rows) << rows.error().message();
  ASSERT_EQ(rows->rows(), 3000);
  EXPECT_EQ(rows->Int(2999, 0), 3000);
  EXPECT_EQ(rows->View(2999, 1).size(), 3200u);
  auto value = connection_->Query("SELECT repeat('x', 6000000) || 'end'");
  ASSERT_TRUE(value) << value.error().message();
  EXPECT_EQ(value->View(0, 0).size(), 6000003u);
  EXPECT_TRUE(value->View(0, 0).ends_with("xend"));
}

// A session never acknowledges a commit a crash could still lose: "off", from the connection
// string here (or the database's or role's defaults), is raised to "on", also after a
// reconnect; the other levels are left as they are.
TEST_F(PgConnectionTest, CommitsWaitForDurabilityEvenWhereTheSessionDefaultIsOff) {
  const std::string conninfo = testing::SharedPostgresCluster().conninfo();
  auto setting = [](PgConnection& connection) {
    auto shown = connection.Query("SHOW synchronous_commit");
    EXPECT_TRUE(shown) << shown.error().message();
    return shown ? shown->Text(0, 0) : "";
  };
  auto off = PgConnection::Connect(conninfo + " options='-c synchronous_commit=off'");
  ASSERT_TRUE(off) << off.error().message();
  EXPECT_EQ(setting(*off), "on");
  ASSERT_TRUE(off->Reset());
  EXPECT_EQ(setting(*off), "on");

  auto local = PgConnection::Connect(conninfo + " options='-c synchronous_commit=local'");
  ASSERT_TRUE(local) << local.error().message();
  EXPECT_EQ(setting(*local), "local");
}

// Without a call timeout a connection's statements run as long as they take, even where the
// database or the role sets a statement_timeout (here the connection string); a lock_timeout that
// runs out is kUnavailable, as the busy condition it is.
TEST_F(PgConnectionTest, OnlyTheConnectionsOwnStatementTimeoutAppliesAndLockTimeoutsAreBusy) {
  const std::string conninfo = testing::SharedPostgresCluster().conninfo();
  auto connection = PgConnection::Connect(conninfo + " options='-c statement_timeout=100'");
  ASSERT_TRUE(connection) << connection.error().message();
  auto slept = connection->Query("SELECT pg_sleep(0.3)");
  EXPECT_TRUE(slept) << slept.error().message();

  ASSERT_TRUE(connection_->Exec("BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE"));
  auto path = connection_->Query("SELECT current_schema()");
  ASSERT_TRUE(path) << path.error().message();
  ASSERT_TRUE(
      connection->Exec(StrCat("SET search_path TO ", path->Text(0, 0), "; SET lock_timeout = 50")));
  auto blocked = connection->Query("SELECT count(*) FROM t");
  ASSERT_TRUE(connection_->Exec("ROLLBACK"));
  ASSERT_FALSE(blocked);
  EXPECT_EQ(connection->last_sqlstate(), "55P03") << blocked.error().message();
  EXPECT_EQ(blocked.error().kind(), ErrorKind::kUnavailable) << blocked.error().message();
}

// A session that takes no writes, as one on a standby (here by its default).
Result<PgConnection> ConnectReadOnly() {
  return PgConnection::Connect(testing::SharedPostgresCluster().conninfo() +
                               " options='-c default_transaction_read_only=on'");
}

// A server that refuses writes as read-only (a standby reached after a failover; here the
// session's default) fails the call as kUnavailable and marks the session lost, so that the pool
// reconnects, where target_session_attrs=read-write finds the primary.
TEST_F(PgConnectionTest, AWriteAReadOnlyServerRefusesLeavesTheSessionLost) {
  auto path = connection_->Query("SELECT current_schema()");
  ASSERT_TRUE(path) << path.error().message();
  auto standby = ConnectReadOnly();
  ASSERT_TRUE(standby) << standby.error().message();
  EXPECT_TRUE(standby->Query(StrCat("SELECT count(*) FROM ", path->Text(0, 0), ".t")));
  EXPECT_FALSE(standby->Lost());

  auto refused = standby->Query(StrCat("INSERT INTO ", path->Text(0, 0), ".t VALUES (1, 'x')"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(standby->last_sqlstate(), "25006") << refused.error().message();
  EXPECT_EQ(refused.error().kind(), ErrorKind::kUnavailable) << refused.error().message();
  EXPECT_TRUE(standby->Query("SELECT 1"));
  EXPECT_TRUE(standby->Lost());
  ASSERT_TRUE(standby->Reset());
  EXPECT_FALSE(standby->Lost());
}

// /healthz's check on PostgreSQL: a session that would refuse writes fails it and is then Lost.
TEST_F(PgConnectionTest, CheckWritableFailsOnAReadOnlySessionAndLeavesItLost) {
  EXPECT_TRUE(connection_->CheckWritable());
  EXPECT_FALSE(connection_->Lost());

  auto standby = ConnectReadOnly();
  ASSERT_TRUE(standby) << standby.error().message();
  auto refused = standby->CheckWritable();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind(), ErrorKind::kUnavailable);
  EXPECT_NE(refused.error().message().find("takes no writes"), std::string::npos)
      << refused.error().message();
  EXPECT_TRUE(standby->Lost());
}

// Connect's deadlines (pg_connection.hpp) apply unless the connection string sets its own.
TEST_F(PgConnectionTest, DeadlinesHaveDefaultsThatTheConnectionStringOverrides) {
  const std::string bare = StrCat("host=127.0.0.1 port=", testing::SharedPostgresCluster().port(),
                                  " user=kiosk_edge dbname=postgres");
  auto defaults = PgConnection::Connect(bare);
  ASSERT_TRUE(defaults) << defaults.error().message();
  EXPECT_EQ(defaults->Option("connect_timeout"), "10");
  EXPECT_EQ(defaults->Option("keepalives"), "1");
  EXPECT_EQ(defaults->Option("keepalives_idle"), "30");
  EXPECT_EQ(defaults->Option("keepalives_interval"), "10");
  EXPECT_EQ(defaults->Option("keepalives_count"), "3");
  EXPECT_EQ(defaults->Option("tcp_user_timeout"), "60000");
  EXPECT_EQ(defaults->Option("port"), std::to_string(testing::SharedPostgresCluster().port()));

  auto own = PgConnection::Connect(bare + " connect_timeout=4 keepalives_idle=5");
  ASSERT_TRUE(own) << own.error().message();
  EXPECT_EQ(own->Option("connect_timeout"), "4");
  EXPECT_EQ(own->Option("keepalives_idle"), "5");
  EXPECT_EQ(own->Option("tcp_user_timeout"), "60000");
  EXPECT_EQ(own->Option("dbname"), "postgres");
}

// A server that takes the TCP connection and never answers: without a deadline of its own in the
// connection string, Connect gives up after its default 10 s instead of waiting for good.
TEST(PgConnectionDeadlineTest, AServerThatNeverAnswersFailsTheConnect) {
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(listener, 4), 0);  // the kernel completes the handshake; nobody reads
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length), 0);

  const auto start = std::chrono::steady_clock::now();
  auto connection = PgConnection::Connect(
      StrCat("host=127.0.0.1 port=", ntohs(address.sin_port), " user=x dbname=y sslmode=disable"));
  const auto waited = std::chrono::steady_clock::now() - start;
  ::close(listener);
  ASSERT_FALSE(connection);
  EXPECT_EQ(connection.error().kind(), ErrorKind::kUnavailable) << connection.error().message();
  EXPECT_GE(waited, std::chrono::seconds(9));
  EXPECT_LT(waited, std::chrono::seconds(30));
}

}  // namespace
}  // namespace kiosk_edge
