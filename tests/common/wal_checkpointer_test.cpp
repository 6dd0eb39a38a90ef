#include "common/wal_checkpointer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>

#include "support/temp_dir.hpp"

namespace kiosk_edge {
namespace {

using testing::TempDir;

constexpr std::uintmax_t kPage = 4096;

// A writer that commits `commits` transactions of one page-sized row each, back to back.
void CommitRows(Database& writer, int commits) {
  auto insert = writer.Prepare("INSERT INTO t (blob) VALUES (zeroblob(4000))");
  ASSERT_TRUE(insert) << insert.error().message();
  for (int i = 0; i < commits; ++i) {
    auto ran = insert->Run();
    ASSERT_TRUE(ran) << ran.error().message();
    insert->Reset();
  }
}

Database OpenWriter(const std::filesystem::path& path) {
  DatabaseOptions options;
  options.durable = false;  // the WAL works the same; the test needs no fsyncs
  auto db = Database::Open(path, options);
  EXPECT_TRUE(db) << db.error().message();
  EXPECT_TRUE(db->Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, blob BLOB)"));
  return std::move(*db);
}

// A checkpointer on `writer` that checkpoints every `checkpoint_at` frames and restarts the WAL
// at `restart_at`; null (and a failure) when it could not start.
std::unique_ptr<WalCheckpointer> StartCheckpointer(Database& writer, int checkpoint_at,
                                                   int restart_at) {
  auto started = WalCheckpointer::Start(
      writer,
      WalCheckpointPolicy{.checkpoint_at_frames = checkpoint_at, .restart_at_frames = restart_at},
      "test");
  EXPECT_TRUE(started) << started.error().message();
  return started ? std::move(*started) : nullptr;
}

TEST(WalCheckpointerTest, CopiesTheWalIntoTheDatabaseOnItsOwnThread) {
  TempDir dir;
  Database moved_away = OpenWriter(dir / "a.db");
  const auto empty_bytes = std::filesystem::file_size(dir / "a.db");
  auto checkpointer = StartCheckpointer(moved_away, 50, 1 << 30);
  ASSERT_NE(checkpointer, nullptr);
  Database writer = std::move(moved_away);  // the hook follows the connection
  // SQLite's automatic checkpoint is off, and this writer never runs one: only the thread can
  // make the database file grow. The writer goes on committing until it has.
  int commits = 0;
  while (std::filesystem::file_size(dir / "a.db") <= empty_bytes + 50 * kPage && commits < 20'000) {
    CommitRows(writer, 10);
    commits += 10;
  }
  EXPECT_LT(commits, 20'000) << "the thread never copied the WAL into the database";
}

TEST(WalCheckpointerTest, TheLastCheckpointRunsWhenItStops) {
  TempDir dir;
  Database writer = OpenWriter(dir / "a.db");
  auto checkpointer = StartCheckpointer(writer, 1 << 30, 1 << 30);
  ASSERT_NE(checkpointer, nullptr);
  CommitRows(writer, 100);
  const auto before_bytes = std::filesystem::file_size(dir / "a.db");
  checkpointer.reset();
  EXPECT_GT(std::filesystem::file_size(dir / "a.db"), before_bytes + 90 * kPage);
}

// The thread's PASSIVE checkpoints never catch up with a writer that commits without pause, and
// SQLite reuses the WAL only after one has: without the writer's RESTART, this WAL grew to hold
// every frame written (125 MB).
TEST(WalCheckpointerTest, TheWalStaysBoundedUnderAWriterThatNeverPauses) {
  TempDir dir;
  Database writer = OpenWriter(dir / "a.db");
  auto checkpointer = StartCheckpointer(writer, 64, 256);
  ASSERT_NE(checkpointer, nullptr);
  std::uintmax_t largest_wal = 0;
  for (int round = 0; round < 100; ++round) {
    CommitRows(writer, 100);
    largest_wal = std::max(largest_wal, std::filesystem::file_size(dir / "a.db-wal"));
  }
  EXPECT_GT(std::filesystem::file_size(dir / "a.db"), 9'000 * kPage);
  // Each restart starts writing frames (a page and a 24-byte header) at the file's start again.
  EXPECT_LT(largest_wal, 300 * (kPage + 24));
}

// An online backup holds a read transaction for minutes. The writer's RESTART must not wait for
// it (DatabaseOptions::busy_timeout, 5 s, at every COMMIT past the restart point); once the reader
// has let go, the WAL is restarted again.
TEST(WalCheckpointerTest, AReaderHoldingTheWalDoesNotStallTheWriter) {
  TempDir dir;
  Database writer = OpenWriter(dir / "a.db");
  auto checkpointer = StartCheckpointer(writer, 64, 256);
  ASSERT_NE(checkpointer, nullptr);
  CommitRows(writer, 10);
  auto reader = Database::Open(dir / "a.db", DatabaseOptions{});
  ASSERT_TRUE(reader) << reader.error().message();
  ASSERT_TRUE(reader->Exec("BEGIN"));
  ASSERT_TRUE(reader->QueryInt("SELECT COUNT(*) FROM t"));  // its read transaction starts here

  const auto start = std::chrono::steady_clock::now();
  for (int commit = 0; commit < 500; ++commit) {  // most end past the restart point
    CommitRows(writer, 1);
    ASSERT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4))
        << "COMMIT " << commit << " waited for the reader";
  }

  ASSERT_TRUE(reader->Exec("COMMIT"));
  const auto held_wal = std::filesystem::file_size(dir / "a.db-wal");
  EXPECT_GT(held_wal, 400 * kPage) << "the reader should have kept the WAL from restarting";
  CommitRows(writer, 2000);
  EXPECT_LE(std::filesystem::file_size(dir / "a.db-wal"), held_wal + 300 * (kPage + 24));
}

}  // namespace
}  // namespace kiosk_edge
