#include "common/sqlite.hpp"

#include <gtest/gtest.h>

#include <array>
#include <fstream>

#include "support/temp_dir.hpp"

namespace kiosk_edge {
namespace {

using testing::TempDir;

TEST(SqliteTest, OpensInWalModeWithFullSynchronous) {
  TempDir dir;
  auto db = Database::Open(dir / "a.db", DatabaseOptions{});
  ASSERT_TRUE(db) << db.error().message();
  EXPECT_EQ(*db->QueryText("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(*db->QueryInt("PRAGMA synchronous"), 2) << "2 is FULL";
  EXPECT_EQ(*db->QueryInt("PRAGMA busy_timeout"), 5000);
}

TEST(SqliteTest, StatementsBindStepAndReadColumns) {
  TempDir dir;
  auto db = Database::Open(dir / "a.db", DatabaseOptions{});
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->Exec("CREATE TABLE t (n INTEGER, s TEXT)"));
  auto insert = db->Prepare("INSERT INTO t VALUES (?, ?)");
  ASSERT_TRUE(insert);
  for (int i = 0; i < 3; ++i) {
    insert->Reset();
    ASSERT_TRUE(insert->Bind(1, std::int64_t{i}));
    ASSERT_TRUE(i == 2 ? insert->BindNull(2) : insert->Bind(2, std::string(i + 1, 'x')));
    ASSERT_TRUE(insert->Run());
  }
  auto select = db->Prepare("SELECT n, s FROM t ORDER BY n");
  ASSERT_TRUE(select);
  ASSERT_TRUE(*select->Step());
  EXPECT_EQ(select->ColumnInt(0), 0);
  EXPECT_EQ(select->ColumnText(1), "x");
  ASSERT_TRUE(*select->Step());
  EXPECT_EQ(select->ColumnText(1), "xx");
  ASSERT_TRUE(*select->Step());
  EXPECT_TRUE(select->ColumnIsNull(1));
  EXPECT_FALSE(*select->Step());
}

TEST(SqliteTest, ErrorsNameTheFileAndTheProblem) {
  TempDir dir;
  auto db = Database::Open(dir / "a.db", DatabaseOptions{});
  ASSERT_TRUE(db);
  auto bad = db->Prepare("SELEKT 1");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("a.db"), std::string::npos) << bad.error().message();
  EXPECT_NE(bad.error().message().find("syntax error"), std::string::npos);

  ASSERT_TRUE(db->Exec("CREATE TABLE u (k TEXT UNIQUE)"));
  ASSERT_TRUE(db->Exec("INSERT INTO u VALUES ('a')"));
  auto duplicate = db->Exec("INSERT INTO u VALUES ('a')");
  ASSERT_FALSE(duplicate);
  EXPECT_EQ(duplicate.error().kind(), ErrorKind::kInvalidArgument);
}

TEST(SqliteTest, TransactionRollsBackUnlessCommitted) {
  TempDir dir;
  auto db = Database::Open(dir / "a.db", DatabaseOptions{});
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->Exec("CREATE TABLE t (n INTEGER)"));
  {
    auto transaction = Transaction::Begin(*db);
    ASSERT_TRUE(transaction);
    ASSERT_TRUE(db->Exec("INSERT INTO t VALUES (1)"));
  }
  EXPECT_EQ(*db->QueryInt("SELECT count(*) FROM t"), 0);
  {
    auto transaction = Transaction::Begin(*db);
    ASSERT_TRUE(transaction);
    ASSERT_TRUE(db->Exec("INSERT INTO t VALUES (2)"));
    ASSERT_TRUE(transaction->Commit());
  }
  EXPECT_EQ(*db->QueryInt("SELECT count(*) FROM t"), 1);
}

TEST(SqliteTest, MigrationsApplyOnceInOrderAndRefuseDowngrades) {
  TempDir dir;
  const std::array migrations = {Migration{1, "CREATE TABLE a (x INTEGER);"},
                                 Migration{2, "ALTER TABLE a ADD COLUMN y TEXT;"}};
  {
    auto db = Database::Open(dir / "m.db", DatabaseOptions{});
    ASSERT_TRUE(db);
    ASSERT_TRUE(Migrate(*db, std::span(migrations).first(1)));
    EXPECT_EQ(*db->QueryInt("PRAGMA user_version"), 1);
    ASSERT_TRUE(Migrate(*db, migrations));
    ASSERT_TRUE(Migrate(*db, migrations)) << "a second run must be a no-op";
    EXPECT_EQ(*db->QueryInt("PRAGMA user_version"), 2);
    ASSERT_TRUE(db->Exec("INSERT INTO a (x, y) VALUES (1, 'b')"));
  }
  auto db = Database::Open(dir / "m.db", DatabaseOptions{});
  ASSERT_TRUE(db);
  auto downgrade = Migrate(*db, std::span(migrations).first(1));
  ASSERT_FALSE(downgrade);
  EXPECT_NE(downgrade.error().message().find("newer"), std::string::npos);
}

TEST(SqliteTest, FailedMigrationLeavesTheVersionUnchanged) {
  TempDir dir;
  const std::array migrations = {Migration{1, "CREATE TABLE a (x INTEGER);"},
                                 Migration{2, "CREATE TABLE b (x INTEGER); NOT SQL;"}};
  auto db = Database::Open(dir / "m.db", DatabaseOptions{});
  ASSERT_TRUE(db);
  auto migrated = Migrate(*db, migrations);
  ASSERT_FALSE(migrated);
  EXPECT_NE(migrated.error().message().find("migration 2"), std::string::npos);
  EXPECT_EQ(*db->QueryInt("PRAGMA user_version"), 1);
  EXPECT_EQ(*db->QueryInt("SELECT count(*) FROM sqlite_master WHERE name = 'b'"), 0);
}

TEST(SqliteTest, NonDatabaseFileIsReportedAsCorrupt) {
  TempDir dir;
  std::ofstream(dir / "junk.db") << std::string(4096, 'j');
  auto db = Database::Open(dir / "junk.db", DatabaseOptions{});
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().kind(), ErrorKind::kCorrupt) << db.error().message();
}

}  // namespace
}  // namespace kiosk_edge
