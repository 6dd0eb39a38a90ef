// The kiosk sends again the synced events HQ lists as missing (its database was restored from an
// older backup, say), from what its journal still holds, and never anything past its synced mark.
#include <gtest/gtest.h>

#include <utility>

#include "sync/client/sync_client.hpp"
#include "sync/sync_client_fakes.hpp"

namespace kiosk_edge {
namespace {

using std::chrono::milliseconds;

class SyncClientResendTest : public testing::SyncClientTest {
 protected:
  // One round: uploads until caught up.
  Result<void> Round() {
    std::optional<milliseconds> retry_after;
    return RunToCompletion(client_->UploadUntilCaughtUp(&retry_after));
  }
  // A kiosk whose journal holds `events` events, all acknowledged by HQ.
  void StartSynced(std::size_t events) {
    journal_.Add(events);
    MakeClient(FastOptions());
    ASSERT_TRUE(Round());
  }
  // A config pull, then a round: what an idle kiosk does at every config interval.
  Result<void> PullThenRound() {
    if (Result<void> pulled = RunToCompletion(client_->PullConfig()); !pulled) {
      return pulled.error();
    }
    return Round();
  }
};

TEST_F(SyncClientResendTest, EventsHqLostAreSentAgainFromTheJournal) {
  ASSERT_NO_FATAL_FAILURE(StartSynced(1200));
  hq_.Forget(301, 1200);  // HQ's database restored from a backup taken at seq 300

  journal_.Add(10);
  auto round = Round();
  ASSERT_TRUE(round) << round.error().message();
  EXPECT_EQ(hq_.stored(), 1210u) << "every event the journal holds, again at HQ";
  EXPECT_EQ(hq_.duplicates(), 0);
  EXPECT_EQ(hq_.batches(), (std::vector<MissingSeqs>{{1, 500},
                                                     {501, 1000},
                                                     {1001, 1200},
                                                     {1201, 1210},  // HQ answers: 301..1200 missing
                                                     {301, 800},
                                                     {801, 1200}}));
  EXPECT_EQ(journal_.synced(), 1210);
  const SyncStatus status = client_->Status();
  EXPECT_EQ(status.events_resent, 900);
  EXPECT_EQ(status.events_sent, 1210 + 900);
}

TEST_F(SyncClientResendTest, EventsTheJournalShedStayMissingAndAreNotReadForAgain) {
  ASSERT_NO_FATAL_FAILURE(StartSynced(1000));
  hq_.Forget(101, 900);
  journal_.Shed(1, 500);

  journal_.Add(5);
  ASSERT_TRUE(Round());
  EXPECT_EQ(hq_.batches().back(), (MissingSeqs{501, 900})) << "what the journal still holds";
  EXPECT_EQ(hq_.stored(), 1005u - 400u) << "101..500 are gone for good";
  EXPECT_EQ(client_->Status().events_resent, 400);

  // HQ keeps listing 101..500; the kiosk finds none of them and sends only its new events.
  const std::size_t batches = hq_.batches().size();
  journal_.Add(5);
  ASSERT_TRUE(Round());
  EXPECT_EQ(hq_.batches().size(), batches + 1);
  EXPECT_EQ(hq_.batches().back(), (MissingSeqs{1006, 1010}));
  EXPECT_EQ(client_->Status().events_resent, 400);
  EXPECT_EQ(hq_.duplicates(), 0);
}

// Definition events are never shed, so the journal can hold single events inside a gap: each run
// without holes is a batch of its own.
TEST_F(SyncClientResendTest, AResentBatchIsARunWithoutHoles) {
  ASSERT_NO_FATAL_FAILURE(StartSynced(20));
  hq_.Forget(1, 20);
  journal_.Shed(1, 4);
  journal_.Shed(6, 14);

  journal_.Add(1);
  ASSERT_TRUE(Round());
  const std::vector<MissingSeqs> batches = hq_.batches();
  ASSERT_GE(batches.size(), 3u);
  EXPECT_EQ(std::vector(batches.end() - 3, batches.end()),
            (std::vector<MissingSeqs>{{21, 21}, {5, 5}, {15, 20}}));
  EXPECT_EQ(client_->Status().events_resent, 7);
}

TEST_F(SyncClientResendTest, NothingPastTheSyncedMarkIsSentAsAResend) {
  journal_.Add(100);
  MakeClient(FastOptions());
  hq_.ClaimMissing({{1, 5000}}, 1);  // an HQ claiming more than the kiosk ever sent
  hq_.on_batch = [this, first = true](const EventBatch&) mutable {
    if (std::exchange(first, false)) journal_.Add(400);  // captured while the batch is in flight
  };
  ASSERT_TRUE(Round());
  ASSERT_TRUE(Round());  // the new events, if the first round's read-ahead came before them
  EXPECT_EQ(hq_.batches(), (std::vector<MissingSeqs>{{1, 100}, {1, 100}, {101, 500}}))
      << "the resend stops at the synced mark; 101.. go out in order, as new events";
  EXPECT_EQ(hq_.duplicates(), 100);
  EXPECT_EQ(client_->Status().events_resent, 100);
  EXPECT_EQ(journal_.synced(), 500);
}

TEST_F(SyncClientResendTest, AnHqThatStillMissesWhatItCommittedEndsTheRound) {
  ASSERT_NO_FATAL_FAILURE(StartSynced(10));
  journal_.Add(1);
  hq_.ClaimMissing({{3, 4}}, 2);  // and again after the resend
  auto failed = Round();
  ASSERT_FALSE(failed);
  EXPECT_NE(failed.error().message().find("HQ still misses seq 3"), std::string::npos)
      << failed.error().message();
  EXPECT_EQ(hq_.batches(), (std::vector<MissingSeqs>{{1, 10}, {11, 11}, {3, 4}}))
      << "one resend, not a loop";
  EXPECT_EQ(journal_.synced(), 11);
}

// A resend cut short by an outage goes on at the next round, before any new event.
TEST_F(SyncClientResendTest, AnInterruptedResendGoesOnAtTheNextRound) {
  ASSERT_NO_FATAL_FAILURE(StartSynced(1000));
  hq_.Forget(1, 1000);
  journal_.Add(1);
  hq_.QueueFaults({testing::FakeHq::Fault::kNone, testing::FakeHq::Fault::kNone,
                   testing::FakeHq::Fault::kUnreachable});
  EXPECT_FALSE(Round()) << "1001, then 1..500 resent, then HQ unreachable";
  EXPECT_EQ(hq_.stored(), 501u);
  ASSERT_TRUE(Round());
  EXPECT_EQ(hq_.stored(), 1001u) << "501..1000 without a new event to carry the news";
  EXPECT_EQ(client_->Status().events_resent, 1000);
}

// A kiosk with no new events learns of HQ's loss from its config pull: it sends its last synced
// event again, and HQ's answer to it names the rest.
TEST_F(SyncClientResendTest, AnIdleKioskLearnsOfHqsLossAtItsConfigPull) {
  ASSERT_NO_FATAL_FAILURE(StartSynced(1200));
  hq_.Forget(301, 1200);
  ASSERT_TRUE(Round());
  EXPECT_EQ(hq_.batches().size(), 3u) << "no new events: nothing to carry HQ's answer";

  ASSERT_TRUE(PullThenRound());
  EXPECT_EQ(hq_.stored(), 1200u);
  EXPECT_EQ(hq_.duplicates(), 0);
  const std::vector<MissingSeqs> batches = hq_.batches();
  EXPECT_EQ(std::vector(batches.begin() + 3, batches.end()),
            (std::vector<MissingSeqs>{{1200, 1200}, {301, 800}, {801, 1199}}));
  EXPECT_EQ(client_->Status().events_resent, 900);

  ASSERT_TRUE(PullThenRound());  // HQ holds everything again (304)
  EXPECT_EQ(hq_.batches().size(), batches.size()) << "nothing more to send";
}

TEST_F(SyncClientResendTest, AnHqHoldingAnotherIncarnationOnlyGetsTheLastSyncedEventAgain) {
  ASSERT_NO_FATAL_FAILURE(StartSynced(50));
  hq_.stream_end_header = "inc-0/5000";  // HQ holds none of this journal's incarnation
  ASSERT_TRUE(PullThenRound());
  EXPECT_EQ(hq_.batches(), (std::vector<MissingSeqs>{{1, 50}, {50, 50}}))
      << "this HQ holds 1..50 after all: its answer lists nothing missing";
  EXPECT_EQ(client_->Status().events_resent, 1);
}

// The journal shed seq 20 and all it acknowledged before but a definition event (seq 15, never
// shed): that is what goes again, and HQ's answer names gaps the journal no longer holds.
TEST_F(SyncClientResendTest, AKioskThatShedItsLastSyncedEventSendsTheHighestItHolds) {
  ASSERT_NO_FATAL_FAILURE(StartSynced(20));
  hq_.Forget(6, 20);
  journal_.Shed(1, 14);
  journal_.Shed(16, 20);

  ASSERT_TRUE(PullThenRound());
  EXPECT_EQ(hq_.batches(), (std::vector<MissingSeqs>{{1, 20}, {15, 15}}));
  EXPECT_EQ(hq_.stored(), 6u);
  EXPECT_EQ(client_->Status().events_resent, 1);

  ASSERT_TRUE(PullThenRound());  // HQ's end is 15 now: nothing above held
  EXPECT_EQ(hq_.batches().size(), 2u);
}

// Every pull still shows HQ's loss; the kiosk, holding none of it, says so once per loss.
TEST_F(SyncClientResendTest, AKioskThatShedWhatHqLostSaysSoOnce) {
  ASSERT_NO_FATAL_FAILURE(StartSynced(20));
  hq_.Forget(6, 20);
  journal_.Shed(1, 20);
  const auto pull_log = [this] {
    ::testing::internal::CaptureStderr();
    EXPECT_TRUE(PullThenRound());
    return ::testing::internal::GetCapturedStderr();
  };
  const std::string lost = "the journal has shed seq 6..20, so HQ has lost them for good";
  EXPECT_NE(pull_log().find(lost), std::string::npos);
  EXPECT_EQ(pull_log().find("HQ holds this journal"), std::string::npos) << "not again";
  EXPECT_EQ(hq_.batches(), (std::vector<MissingSeqs>{{1, 20}})) << "nothing to send";

  journal_.Add(1);  // HQ's answer to seq 21 lists 6..20: it holds 21 and the journal 21
  ASSERT_TRUE(Round());
  hq_.Forget(21, 21);
  journal_.Shed(21, 21);
  EXPECT_NE(pull_log().find("the journal has shed seq 6..21"), std::string::npos)
      << "a new loss is news";
}

TEST_F(SyncClientResendTest, AMalformedStreamEndFromHqIsIgnored) {
  ASSERT_NO_FATAL_FAILURE(StartSynced(50));
  for (const char* header : {"", "inc-1", "inc-1/", "inc-1/0", "inc-1/x", "in c/5", "/5"}) {
    hq_.stream_end_header = header;
    ASSERT_TRUE(PullThenRound()) << header;
  }
  EXPECT_EQ(hq_.batches(), (std::vector<MissingSeqs>{{1, 50}}));
}

TEST_F(SyncClientResendTest, BatchesAnnounceTheRefillFeature) {
  ASSERT_NO_FATAL_FAILURE(StartSynced(1));
  EXPECT_EQ(hq_.HeaderValues("/v1/sync/batch", std::string(kSyncFeaturesHeader)),
            (std::vector<std::string>{"erasure,refill"}));
}

}  // namespace
}  // namespace kiosk_edge
