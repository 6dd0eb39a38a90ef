// Kills a process that is appending to the journal at random moments, and checks after each
// kill that every event it acknowledged is stored, seqs are gap-free and the file is sound.
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "common/sqlite.hpp"
#include "support/child_process.hpp"
#include "support/temp_dir.hpp"

namespace kiosk_edge {
namespace {

// Reads one acknowledged seq; false at end of stream (the child is gone).
bool ReadAck(int fd, std::int64_t& seq) {
  std::size_t got = 0;
  auto* bytes = reinterpret_cast<char*>(&seq);
  while (got < sizeof seq) {
    const ssize_t n = ::read(fd, bytes + got, sizeof seq - got);
    if (n <= 0) return false;
    got += static_cast<std::size_t>(n);
  }
  return true;
}

TEST(JournalCrashTest, EveryAcknowledgedEventSurvivesSigkill) {
  testing::TempDir dir;
  const auto journal_path = dir / "journal.db";
  std::mt19937 random(20261122);
  std::uniform_int_distribution<int> acks_before_kill(0, 400);
  std::set<std::int64_t> acknowledged;
  std::string incarnation;
  constexpr int kKills = 60;

  for (int kill_number = 0; kill_number < kKills; ++kill_number) {
    testing::ChildProcess child({JOURNAL_CRASH_CHILD_BINARY, journal_path.string(), "kiosk-crash"});
    ASSERT_TRUE(child.started());
    const int wanted = acks_before_kill(random);
    std::int64_t seq = 0;
    for (int i = 0; i < wanted && ReadAck(child.stdout_fd(), seq); ++i) acknowledged.insert(seq);
    child.Signal(SIGKILL);
    // Acks already in the pipe were promised before the kill: they count too.
    while (ReadAck(child.stdout_fd(), seq)) acknowledged.insert(seq);
    const int status = child.Wait();
    ASSERT_TRUE(WIFSIGNALED(status))
        << "the child exited by itself (status " << status << ") on kill " << kill_number << ": "
        << child.ReadAllStderr();

    if (!std::filesystem::exists(journal_path)) continue;  // killed before it created the file
    auto db = Database::Open(journal_path, DatabaseOptions{});
    ASSERT_TRUE(db) << db.error().message();
    ASSERT_TRUE(db->CheckIntegrity(/*full=*/true)) << "kill " << kill_number;
    auto meta = db->Prepare("SELECT incarnation, last_seq FROM journal_meta");
    ASSERT_TRUE(meta);
    auto has_meta = meta->Step();
    ASSERT_TRUE(has_meta);
    if (!*has_meta) {
      ASSERT_TRUE(acknowledged.empty());
      continue;
    }
    if (incarnation.empty()) incarnation = meta->ColumnText(0);
    EXPECT_EQ(meta->ColumnText(0), incarnation) << "a kill must not start a new incarnation";
    const std::int64_t last_seq = meta->ColumnInt(1);

    auto select = db->Prepare("SELECT seq FROM events ORDER BY seq");
    ASSERT_TRUE(select);
    std::int64_t expected = 1;
    std::set<std::int64_t> stored;
    for (auto row = select->Step(); row && *row; row = select->Step()) {
      ASSERT_EQ(select->ColumnInt(0), expected) << "gap in seqs after kill " << kill_number;
      stored.insert(expected++);
    }
    EXPECT_EQ(expected - 1, last_seq);
    for (std::int64_t acked : acknowledged) {
      ASSERT_TRUE(stored.count(acked))
          << "acknowledged seq " << acked << " lost at kill " << kill_number;
    }
  }
  EXPECT_GT(acknowledged.size(), std::size_t{kKills}) << "the children barely appended";
  std::cout << "[ crash    ] " << kKills << " kills, " << acknowledged.size()
            << " acknowledged events, all present\n";
}

}  // namespace
}  // namespace kiosk_edge
