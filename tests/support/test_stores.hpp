#pragma once

// The profile store's two backends for parameterised suites: each such suite runs on SQLite and
// on PostgreSQL (a schema of its own in the shared throwaway cluster).
//
//   class MyTest : public ::testing::TestWithParam<testing::Backend> { ... };
//   INSTANTIATE_TEST_SUITE_P(Backends, MyTest, testing::BothBackends(), testing::BackendName);
//
// StoreSuite is such a fixture with a store already open on a fresh database.

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <utility>

#include "common/clock.hpp"
#include "common/crypto.hpp"
#include "common/error.hpp"
#include "common/fake_clock.hpp"
#include "common/strings.hpp"
#include "support/postgres_cluster.hpp"
#include "support/temp_dir.hpp"
#include "sync/profile_store/identity.hpp"
#include "sync/profile_store/pg_connection.hpp"
#include "sync/profile_store/postgres_store.hpp"
#include "sync/profile_store/sqlite_store.hpp"

namespace kiosk_edge::testing {

enum class Backend { kSqlite, kPostgres };

inline auto BothBackends() { return ::testing::Values(Backend::kSqlite, Backend::kPostgres); }

inline std::string BackendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
}

// HQ's identity with a fresh X25519 key pair and `index_key` (32 bytes) as its blind-index key.
inline Result<HqIdentity> TestHqIdentity(const std::string& index_key) {
  auto keys = GenerateX25519KeyPair();
  if (!keys) return keys.error();
  return HqIdentity::Create(keys->private_key, index_key);
}

// A connection to the shared throwaway cluster ("postgres" database); fails with the cluster's
// error when PostgreSQL could not be started. For looking under a TestDatabase's store.
inline Result<PgConnection> ConnectToSharedCluster() {
  auto& cluster = SharedPostgresCluster();
  if (!cluster.ok()) return Error(ErrorKind::kUnavailable, cluster.error());
  return PgConnection::Connect(cluster.conninfo());
}

// Ends the shared cluster's sessions of one database (kDatabase: datname = `name`) or one
// application (kApplication: application_name = `name`), as a restart or failover of the server
// would, over `admin`, a connection outside them. Each is waited for (up to 10 s), so their
// goodbyes are on the wire on return. How many ended.
enum class SessionsOf { kDatabase, kApplication };
inline Result<std::int64_t> EndSessions(PgConnection& admin, SessionsOf which,
                                        const std::string& name) {
  // Materialized first: other tests' sessions are never candidates.
  auto ended = admin.Query(
      StrCat("WITH ours AS MATERIALIZED (SELECT pid FROM pg_stat_activity WHERE ",
             which == SessionsOf::kDatabase ? "datname" : "application_name",
             " = $1) SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 10000)) FROM ours"),
      {name});
  if (!ended) return ended.error();
  return ended->Int(0, 0);
}

// The store on `backend`: SQLite in `sqlite_file` (keeping its device scan index or not), or
// PostgreSQL as `postgres` says.
inline Result<std::unique_ptr<StoreBackend>> OpenStoreOn(
    Backend backend, const std::filesystem::path& sqlite_file, const PostgresStoreOptions& postgres,
    const HqIdentity& identity, const Clock& clock,
    SqliteStore::DeviceScans device_scans = SqliteStore::DeviceScans::kKept) {
  if (backend == Backend::kSqlite) {
    auto store = SqliteStore::Open(sqlite_file, identity, clock, device_scans);
    if (!store) return store.error();
    return std::unique_ptr<StoreBackend>(std::move(*store));
  }
  auto store = PostgresStore::Open(postgres, identity, clock);
  if (!store) return store.error();
  return std::unique_ptr<StoreBackend>(std::move(*store));
}

// One test's database: the SQLite file `sqlite_file`, or a PostgreSQL schema no other test uses.
// Open may be called again to open the same data, as another profile-store instance would.
class TestDatabase {
 public:
  TestDatabase(Backend backend, std::filesystem::path sqlite_file)
      : backend_(backend), sqlite_file_(std::move(sqlite_file)) {
    if (backend_ == Backend::kPostgres) schema_ = SharedPostgresCluster().FreshSchema();
  }

  // The store on this database; PostgreSQL with `connections` connections, SQLite keeping its
  // device scan index or not. Fails with the cluster's error when PostgreSQL could not be started.
  Result<std::unique_ptr<StoreBackend>> Open(
      const HqIdentity& identity, const Clock& clock, int connections = 2,
      SqliteStore::DeviceScans device_scans = SqliteStore::DeviceScans::kKept) const {
    PostgresStoreOptions postgres{.conninfo = "", .schema = schema_, .connections = connections};
    if (backend_ == Backend::kPostgres) {
      auto& cluster = SharedPostgresCluster();
      if (!cluster.ok()) return Error(ErrorKind::kUnavailable, cluster.error());
      postgres.conninfo = cluster.conninfo();
    }
    return OpenStoreOn(backend_, sqlite_file_, postgres, identity, clock, device_scans);
  }

  const std::string& schema() const { return schema_; }  // PostgreSQL only

 private:
  Backend backend_;
  std::filesystem::path sqlite_file_;
  std::string schema_;
};

// A parameterised suite's fixture: store_ open on this test's database (PostgreSQL with 3
// connections), under identity_ (HQ's keys, a random index key) and clock_.
class StoreSuite : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    auto index_key = RandomBytes(32);
    ASSERT_TRUE(index_key);
    auto identity = TestHqIdentity(*index_key);
    ASSERT_TRUE(identity) << identity.error().message();
    identity_ = std::make_unique<HqIdentity>(std::move(*identity));
    store_ = Open();
    ASSERT_NE(store_, nullptr);
  }

  // A store on this test's database; a second call opens the same data again.
  std::unique_ptr<StoreBackend> Open() {
    auto store = database_.Open(*identity_, clock_, 3);
    EXPECT_TRUE(store) << store.error().message();
    return store ? std::move(*store) : nullptr;
  }

  BatchAnswer Ingest(const EventBatch& batch) {
    auto answer = store_->Ingest(batch);
    EXPECT_TRUE(answer) << answer.error().message();
    return answer ? *answer : BatchAnswer{};
  }

  TempDir dir_;
  FakeClock clock_;
  TestDatabase database_{GetParam(), dir_ / "hq.db"};
  std::unique_ptr<HqIdentity> identity_;
  std::unique_ptr<StoreBackend> store_;
};

}  // namespace kiosk_edge::testing
