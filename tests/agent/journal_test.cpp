#include "agent/journal.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "agent/journal_file.hpp"
#include "common/fake_clock.hpp"
#include "common/sqlite.hpp"
#include "support/temp_dir.hpp"

namespace kiosk_edge {
namespace {

using testing::TempDir;

EventDraft ScanDraft(std::string channel = "poster-1", std::string payload = R"({"ua":"ios"})") {
  return EventDraft{"scan", std::move(channel), 1, std::move(payload), std::nullopt};
}

class JournalTest : public ::testing::Test {
 protected:
  JournalOptions Options() {
    JournalOptions options;
    options.path = dir_ / "journal.db";
    options.kiosk_id = "kiosk-test";
    options.clock = &clock_;
    options.boot_id = "boot-a";
    return options;
  }
  std::unique_ptr<Journal> OpenJournal(JournalOptions options) {
    auto journal = Journal::Open(std::move(options));
    EXPECT_TRUE(journal) << (journal ? "" : journal.error().message());
    return journal ? std::move(*journal) : nullptr;
  }
  std::unique_ptr<Journal> OpenJournal() { return OpenJournal(Options()); }

  TempDir dir_;
  FakeClock clock_;
};

TEST_F(JournalTest, StoresTheFullEnvelope) {
  auto journal = OpenJournal();
  clock_.Advance(std::chrono::milliseconds(1500));
  auto seq =
      journal->Append(EventDraft{"signup", "counter-7", 3, R"({"consent":"v2"})", std::nullopt});
  ASSERT_TRUE(seq) << seq.error().message();
  EXPECT_EQ(*seq, 1);

  auto events = journal->ReadAfter(0, 10);
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 1u);
  const JournalEvent& event = events->front();
  EXPECT_EQ(event.kiosk_id, "kiosk-test");
  EXPECT_EQ(event.incarnation, journal->incarnation());
  EXPECT_EQ(event.incarnation.size(), 16u);
  EXPECT_EQ(event.seq, 1);
  EXPECT_EQ(event.type, "signup");
  EXPECT_EQ(event.occurred_at_ms, 1'800'000'001'500);
  EXPECT_EQ(event.monotonic_ns, 1'500'000'000);
  EXPECT_EQ(event.boot_id, "boot-a");
  EXPECT_EQ(event.channel_id, "counter-7");
  EXPECT_EQ(event.payload_version, 3);
  EXPECT_EQ(event.payload_json, R"({"consent":"v2"})");
}

TEST_F(JournalTest, RefusesInvalidDraftsWithoutUsingASeq) {
  auto journal = OpenJournal();
  EXPECT_EQ(journal->Append(EventDraft{"", std::nullopt, 1, "{}", std::nullopt}).error().kind(),
            ErrorKind::kInvalidArgument);
  EXPECT_EQ(
      journal->Append(EventDraft{"scan", std::nullopt, 1, "[1,2]", std::nullopt}).error().kind(),
      ErrorKind::kInvalidArgument);
  EXPECT_EQ(journal->Append(EventDraft{"scan", std::nullopt, 1, "{not json", std::nullopt})
                .error()
                .kind(),
            ErrorKind::kInvalidArgument);
  EXPECT_EQ(
      journal->Append(EventDraft{"scan", "bad channel!", 1, "{}", std::nullopt}).error().kind(),
      ErrorKind::kInvalidArgument);
  EXPECT_EQ(
      journal->Append(ScanDraft("c", "{\"x\":\"" + std::string(kMaxPayloadBytes, 'a') + "\"}"))
          .error()
          .kind(),
      ErrorKind::kInvalidArgument);
  auto seq = journal->Append(ScanDraft());
  ASSERT_TRUE(seq);
  EXPECT_EQ(*seq, 1);
}

TEST_F(JournalTest, SeqIsGapFreeAcrossRestartsAndIncarnationIsKept) {
  std::string incarnation;
  for (int restart = 0; restart < 3; ++restart) {
    auto journal = OpenJournal();
    if (restart == 0) incarnation = journal->incarnation();
    EXPECT_EQ(journal->incarnation(), incarnation);
    for (int i = 0; i < 5; ++i) {
      auto seq = journal->Append(ScanDraft());
      ASSERT_TRUE(seq);
      EXPECT_EQ(*seq, restart * 5 + i + 1);
    }
  }
  auto journal = OpenJournal();
  auto events = journal->ReadAfter(0, 100);
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 15u);
  for (std::size_t i = 0; i < events->size(); ++i) EXPECT_EQ((*events)[i].seq, int(i) + 1);
}

TEST_F(JournalTest, SixteenConcurrentProducersEachEventExactlyOnce) {
  auto journal = OpenJournal();
  constexpr int kThreads = 16;
  constexpr int kPerThread = 200;
  std::mutex mutex;
  std::set<std::int64_t> acknowledged;
  std::vector<std::thread> producers;
  for (int t = 0; t < kThreads; ++t) {
    producers.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string payload =
            "{\"producer\":" + std::to_string(t) + ",\"n\":" + std::to_string(i) + "}";
        auto seq = journal->Append(ScanDraft("poster-1", payload));
        ASSERT_TRUE(seq) << seq.error().message();
        std::lock_guard lock(mutex);
        EXPECT_TRUE(acknowledged.insert(*seq).second) << "seq " << *seq << " acknowledged twice";
      }
    });
  }
  for (auto& producer : producers) producer.join();
  ASSERT_EQ(acknowledged.size(), std::size_t{kThreads * kPerThread});

  auto events = journal->ReadAfter(0, 10'000);
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), std::size_t{kThreads * kPerThread});
  std::set<std::string> payloads;
  for (std::size_t i = 0; i < events->size(); ++i) {
    EXPECT_EQ((*events)[i].seq, std::int64_t(i) + 1);
    payloads.insert((*events)[i].payload_json);
  }
  EXPECT_EQ(payloads.size(), std::size_t{kThreads * kPerThread}) << "an event was duplicated";
}

TEST_F(JournalTest, DeadLettersAreCopiedWithTheSyncMarkAndOutliveShedding) {
  auto journal = OpenJournal();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(journal->Append(ScanDraft()));
  ASSERT_TRUE(journal->MarkSynced(4, {{2, "payload_version 1 unknown for scan"}, {4, "bad"}}));
  ASSERT_TRUE(journal->MarkSynced(4, {{2, "replayed acknowledgement"}}));  // idempotent
  EXPECT_FALSE(journal->MarkSynced(4, {{5, "beyond the mark"}}));
  auto stats = journal->Stats();
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->synced_seq, 4);
  EXPECT_EQ(stats->dead_letter_count, 2);
  journal.reset();

  auto db = OpenJournalFileForReading(dir_ / "journal.db");
  ASSERT_TRUE(db);
  auto select = db->Prepare("SELECT seq, type, reason FROM dead_letters ORDER BY seq");
  ASSERT_TRUE(select);
  ASSERT_TRUE(*select->Step());
  EXPECT_EQ(select->ColumnInt(0), 2);
  EXPECT_EQ(select->ColumnText(1), "scan");
  EXPECT_EQ(select->ColumnText(2), "payload_version 1 unknown for scan");
}

TEST_F(JournalTest, TheCommitListenerHearsOfEveryCommitThatStoredEvents) {
  auto journal = OpenJournal();
  std::atomic<int> commits{0};
  journal->SetCommitListener([&commits] { ++commits; });
  ASSERT_TRUE(journal->Append(ScanDraft()));
  EXPECT_EQ(commits.load(), 1) << "called before the append is acknowledged";
  EXPECT_FALSE(journal->Append(EventDraft{"BAD TYPE", std::nullopt, 1, "{}", std::nullopt}));
  ASSERT_TRUE(journal->Append(ScanDraft()));
  EXPECT_EQ(commits.load(), 2);
}

TEST_F(JournalTest, ReadAfterPagesInOrderAndMarkSyncedMovesTheHighWaterMark) {
  auto journal = OpenJournal();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(journal->Append(ScanDraft()));
  auto page = journal->ReadAfter(4, 3);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->size(), 3u);
  EXPECT_EQ(page->front().seq, 5);
  EXPECT_EQ(page->back().seq, 7);

  ASSERT_TRUE(journal->MarkSynced(7));
  ASSERT_TRUE(journal->MarkSynced(3));  // a late, lower mark changes nothing
  auto stats = journal->Stats();
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->synced_seq, 7);
  EXPECT_EQ(stats->unsynced_count, 3);
  EXPECT_EQ(stats->stored_count, 10);

  auto beyond = journal->MarkSynced(11);
  ASSERT_FALSE(beyond);
  EXPECT_EQ(beyond.error().kind(), ErrorKind::kInvalidArgument);

  journal.reset();
  auto reopened = OpenJournal();
  auto reopened_stats = reopened->Stats();
  ASSERT_TRUE(reopened_stats);
  EXPECT_EQ(reopened_stats->synced_seq, 7) << "the sync mark must be durable";
}

TEST_F(JournalTest, OverBudgetShedsSyncedEventsOldestFirst) {
  auto options = Options();
  options.max_disk_bytes = 256 * 1024;
  auto journal = OpenJournal(options);
  const std::string payload = "{\"pad\":\"" + std::string(400, 'p') + "\"}";
  std::int64_t last = 0;
  // Fill up to the budget, then let HQ confirm everything.
  while (true) {
    auto seq = journal->Append(ScanDraft("poster-1", payload));
    if (!seq) {
      ASSERT_EQ(seq.error().kind(), ErrorKind::kJournalFull) << seq.error().message();
      break;
    }
    last = *seq;
  }
  ASSERT_GT(last, 100);
  ASSERT_TRUE(journal->MarkSynced(last));

  // New events now fit, because the oldest synced ones make room.
  for (int i = 0; i < 200; ++i) {
    auto seq = journal->Append(ScanDraft("poster-1", payload));
    ASSERT_TRUE(seq) << "append " << i << ": " << seq.error().message();
    EXPECT_EQ(*seq, last + i + 1);
  }
  auto stats = journal->Stats();
  ASSERT_TRUE(stats);
  EXPECT_LE(stats->disk_bytes, 256 * 1024);
  EXPECT_LT(stats->stored_count, last + 200) << "nothing was shed";
  auto oldest = journal->ReadAfter(0, 1);
  ASSERT_TRUE(oldest);
  ASSERT_EQ(oldest->size(), 1u);
  EXPECT_GT(oldest->front().seq, 1) << "the oldest synced events go first";
  EXPECT_EQ(stats->last_seq, last + 200);
  EXPECT_EQ(stats->unsynced_count, 200);
}

TEST_F(JournalTest, NeverShedsUnsyncedEventsAndRefusesWithADistinctError) {
  auto options = Options();
  options.max_disk_bytes = 128 * 1024;
  auto journal = OpenJournal(options);
  const std::string payload = "{\"pad\":\"" + std::string(400, 'p') + "\"}";
  std::int64_t acknowledged = 0;
  Error refusal(ErrorKind::kInternal, "never refused");
  for (int i = 0; i < 5000; ++i) {
    auto seq = journal->Append(EventDraft{"signup", std::nullopt, 1, payload, std::nullopt});
    if (!seq) {
      refusal = seq.error();
      break;
    }
    acknowledged = *seq;
  }
  EXPECT_EQ(refusal.kind(), ErrorKind::kJournalFull);
  EXPECT_NE(refusal.message().find("budget"), std::string::npos) << refusal.message();
  ASSERT_GT(acknowledged, 0);
  auto events = journal->ReadAfter(0, 10'000);
  ASSERT_TRUE(events);
  ASSERT_EQ(std::int64_t(events->size()), acknowledged) << "an unsynced signup was dropped";
  EXPECT_EQ(events->front().seq, 1);
}

TEST_F(JournalTest, CorruptJournalIsQuarantinedAndANewIncarnationBegins) {
  std::string first_incarnation;
  {
    auto journal = OpenJournal();
    first_incarnation = journal->incarnation();
    ASSERT_TRUE(journal->Append(ScanDraft()));
  }
  {
    // Overwrite the header and the first pages: no longer a database.
    std::fstream file(dir_ / "journal.db", std::ios::in | std::ios::out | std::ios::binary);
    const std::string garbage(8192, '\x5a');
    file.write(garbage.data(), std::streamsize(garbage.size()));
  }
  auto journal = OpenJournal();
  ASSERT_NE(journal, nullptr);
  EXPECT_NE(journal->incarnation(), first_incarnation);
  ASSERT_TRUE(journal->quarantined_to().has_value());
  EXPECT_TRUE(std::filesystem::exists(*journal->quarantined_to()));
  const auto listed = ListQuarantinedJournals(dir_ / "journal.db");
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed.front(), *journal->quarantined_to());
  auto seq = journal->Append(ScanDraft());
  ASSERT_TRUE(seq);
  EXPECT_EQ(*seq, 1) << "a new incarnation starts its seqs at 1";
}

TEST_F(JournalTest, RemovedJournalStartsANewIncarnation) {
  std::string first_incarnation;
  {
    auto journal = OpenJournal();
    first_incarnation = journal->incarnation();
    ASSERT_TRUE(journal->Append(ScanDraft()));
  }
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::filesystem::remove(dir_ / (std::string("journal.db") + suffix));
  }
  auto journal = OpenJournal();
  EXPECT_NE(journal->incarnation(), first_incarnation);
  EXPECT_FALSE(journal->quarantined_to().has_value());
  EXPECT_EQ(*journal->Append(ScanDraft()), 1);
}

TEST_F(JournalTest, RefusesAJournalThatBelongsToAnotherKiosk) {
  { OpenJournal(); }
  auto options = Options();
  options.kiosk_id = "kiosk-other";
  auto journal = Journal::Open(options);
  ASSERT_FALSE(journal);
  EXPECT_EQ(journal.error().kind(), ErrorKind::kConfig);
  EXPECT_NE(journal.error().message().find("kiosk-test"), std::string::npos);
}

TEST_F(JournalTest, EventsCannotBeUpdatedOrDeletedBeforeSync) {
  { ASSERT_TRUE(OpenJournal()->Append(ScanDraft())); }
  auto db = Database::Open(dir_ / "journal.db", DatabaseOptions{});
  ASSERT_TRUE(db);
  auto updated = db->Exec("UPDATE events SET type = 'forged'");
  ASSERT_FALSE(updated);
  EXPECT_NE(updated.error().message().find("append-only"), std::string::npos);
  auto deleted = db->Exec("DELETE FROM events");
  ASSERT_FALSE(deleted);
  EXPECT_NE(deleted.error().message().find("unsynced"), std::string::npos);
}

TEST_F(JournalTest, AClaimIsTakenOnceAndConflictsUseNoSeq) {
  auto journal = OpenJournal();
  EventDraft signup{"signup", "poster-1", 1, "{}", "signup:spring:ABC"};
  auto first = journal->Append(signup);
  ASSERT_TRUE(first);
  auto second = journal->Append(signup);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().kind(), ErrorKind::kConflict);
  auto next = journal->Append(ScanDraft());
  ASSERT_TRUE(next);
  EXPECT_EQ(*next, *first + 1) << "a refused claim must not use a seq";
  auto holder = journal->FindClaim("signup:spring:ABC");
  ASSERT_TRUE(holder);
  EXPECT_EQ(*holder, std::optional<std::int64_t>(*first));
  EXPECT_EQ(*journal->FindClaim("signup:spring:XYZ"), std::nullopt);
}

TEST_F(JournalTest, RacingClaimsYieldExactlyOneSuccess) {
  auto journal = OpenJournal();
  for (int trial = 0; trial < 50; ++trial) {
    const std::string claim = "redeem:V" + std::to_string(trial);
    std::atomic<int> successes{0}, conflicts{0};
    std::vector<std::thread> counters;
    for (int c = 0; c < 4; ++c) {
      counters.emplace_back([&] {
        auto seq = journal->Append(EventDraft{"redemption", std::nullopt, 1, "{}", claim});
        if (seq)
          ++successes;
        else if (seq.error().kind() == ErrorKind::kConflict)
          ++conflicts;
      });
    }
    for (auto& counter : counters) counter.join();
    EXPECT_EQ(successes.load(), 1) << "trial " << trial;
    EXPECT_EQ(conflicts.load(), 3) << "trial " << trial;
  }
}

TEST_F(JournalTest, ClaimsSurviveShedding) {
  auto options = Options();
  options.max_disk_bytes = 128 * 1024;
  auto journal = OpenJournal(options);
  ASSERT_TRUE(journal->Append(EventDraft{"signup", std::nullopt, 1, "{}", "signup:c:P1"}));
  const std::string payload = "{\"pad\":\"" + std::string(400, 'p') + "\"}";
  for (int i = 0; i < 2000; ++i) {
    auto seq = journal->Append(ScanDraft("poster-1", payload));
    ASSERT_TRUE(seq);
    ASSERT_TRUE(journal->MarkSynced(*seq));
  }
  auto first = journal->ReadAfter(0, 1);
  ASSERT_TRUE(first);
  ASSERT_GT(first->front().seq, 1) << "the signup event should have been shed by now";
  auto again = journal->Append(EventDraft{"signup", std::nullopt, 1, "{}", "signup:c:P1"});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind(), ErrorKind::kConflict);
}

TEST_F(JournalTest, DestructionCommitsEverythingAlreadySubmitted) {
  std::atomic<int> acknowledged{0};
  {
    auto journal = OpenJournal();
    for (int i = 0; i < 500; ++i) {
      journal->Submit(ScanDraft(), [&](Result<std::int64_t> seq) {
        if (seq) ++acknowledged;
      });
    }
  }
  EXPECT_EQ(acknowledged.load(), 500);
  auto journal = OpenJournal();
  auto stats = journal->Stats();
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->last_seq, 500);
}

}  // namespace
}  // namespace kiosk_edge
