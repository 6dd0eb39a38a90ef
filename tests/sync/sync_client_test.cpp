// The kiosk's uploader against an in-memory HQ: order, exactly once, limits, failures, backoff,
// Retry-After, dead letters, wake-ups and config pulls.
#include "sync/client/sync_client.hpp"

#include <gtest/gtest.h>

#include "common/strings.hpp"
#include "sync/sync_client_fakes.hpp"

namespace kiosk_edge {
namespace {

using std::chrono::milliseconds;
using testing::FakeHq;
using testing::SyncClientTest;

TEST_F(SyncClientTest, UploadsABacklogInOrderExactlyOnceWithinTheBatchLimits) {
  journal_.Add(1234);
  MakeClient(FastOptions());
  std::optional<milliseconds> retry_after;
  auto done = RunToCompletion(client_->UploadUntilCaughtUp(&retry_after));
  ASSERT_TRUE(done) << done.error().message();
  EXPECT_EQ(journal_.synced(), 1234);
  EXPECT_EQ(hq_.stored(), 1234u);
  EXPECT_EQ(hq_.duplicates(), 0);
  EXPECT_EQ(hq_.max_batch_events(), kMaxBatchEvents);
  EXPECT_EQ(hq_.requests_to("/v1/sync/batch"), 3u);
  // Each batch tells HQ how far the journal reaches (HQ shows the backlog from it).
  EXPECT_EQ(hq_.HeaderValues("/v1/sync/batch", std::string(kJournalLastSeqHeader)),
            (std::vector<std::string>{"1234", "1234", "1234"}));
  // Without [https] there is no phones' certificate to report.
  EXPECT_EQ(hq_.HeaderValues("/v1/sync/batch", std::string(kHttpsNotAfterHeader)),
            (std::vector<std::string>{"", "", ""}));
  const SyncStatus status = client_->Status();
  EXPECT_EQ(status.events_sent, 1234);
  EXPECT_EQ(status.batches_sent, 3);
  EXPECT_TRUE(status.hq_reachable);
  EXPECT_TRUE(status.last_success);
}

TEST_F(SyncClientTest, EachBatchReportsThePhonesCertificatesEnd) {
  journal_.Add(600);
  SyncClientOptions options = FastOptions();
  options.https_not_after_ms = [] { return std::int64_t{1'800'000'000'000}; };
  MakeClient(options);
  std::optional<milliseconds> retry_after;
  auto done = RunToCompletion(client_->UploadUntilCaughtUp(&retry_after));
  ASSERT_TRUE(done) << done.error().message();
  EXPECT_EQ(hq_.HeaderValues("/v1/sync/batch", std::string(kHttpsNotAfterHeader)),
            (std::vector<std::string>{"1800000000000", "1800000000000"}));
}

TEST_F(SyncClientTest, ReadsTheNextBatchWhileOneIsInFlightAndSendsItOnlyAfterTheAnswer) {
  journal_.Add(1600);                                        // batches of 500, 500, 500 and 100
  std::vector<std::pair<std::int64_t, std::int64_t>> sends;  // first seq, synced mark at the time
  hq_.on_batch = [&](const EventBatch& batch) {
    sends.emplace_back(batch.first_seq, journal_.synced());
  };
  MakeClient(FastOptions());
  std::optional<milliseconds> retry_after;
  auto done = RunToCompletion(client_->UploadUntilCaughtUp(&retry_after));
  ASSERT_TRUE(done) << done.error().message();
  EXPECT_EQ(sends, (std::vector<std::pair<std::int64_t, std::int64_t>>{
                       {1, 0}, {501, 500}, {1001, 1000}, {1501, 1500}}))
      << "in seq order, each batch sent only after the one before it was answered and acked";
  EXPECT_EQ(journal_.reads(), (std::vector<std::pair<std::int64_t, std::int64_t>>{
                                  {0, 0}, {500, 0}, {1000, 500}, {1500, 1000}}))
      << "each batch after the first read while the one before it was still in flight";
  EXPECT_FALSE(journal_.calls_overlapped());
  EXPECT_EQ(journal_.synced(), 1600);
  EXPECT_EQ(hq_.duplicates(), 0);
}

TEST_F(SyncClientTest, LargeEventsSplitBatchesUnderOneMebibyte) {
  journal_.Add(300, 15 * 1024);  // 300 x 15 KiB: several batches by bytes, not by count
  MakeClient(FastOptions());
  std::optional<milliseconds> retry_after;
  ASSERT_TRUE(RunToCompletion(client_->UploadUntilCaughtUp(&retry_after)));
  EXPECT_EQ(hq_.stored(), 300u);
  EXPECT_LE(hq_.max_batch_bytes(), kMaxBatchBytes);
  EXPECT_GE(hq_.requests_to("/v1/sync/batch"), 5u);
}

TEST_F(SyncClientTest, BusyHqsRetryAfterIsHonoured) {
  journal_.Add(10);
  hq_.QueueFaults({FakeHq::Fault::kBusy});
  MakeClient(FastOptions());
  std::optional<milliseconds> retry_after;
  auto refused = RunToCompletion(client_->UploadUntilCaughtUp(&retry_after));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message(), "HQ is busy (503): busy") << "with HQ's reason";
  ASSERT_TRUE(retry_after);
  EXPECT_EQ(*retry_after, milliseconds(20)) << "7 s asked for, capped by backoff_cap (20 ms here)";
  EXPECT_EQ(journal_.synced(), 0);
}

TEST_F(SyncClientTest, OutagesAndLostAnswersEndWithEverythingAtHqExactlyOnce) {
  journal_.Add(2000);
  using F = FakeHq::Fault;
  hq_.QueueFaults({F::kUnreachable, F::kUnreachable, F::kNone, F::kLoseAnswer, F::kUnreachable,
                   F::kLoseAnswer, F::kBusy, F::kNone});
  MakeClient(FastOptions());
  StartRunning();
  ASSERT_TRUE(journal_.WaitCaughtUp());
  EXPECT_EQ(hq_.stored(), 2000u);
  EXPECT_GT(hq_.duplicates(), 0) << "lost answers made the client resend";
  EXPECT_EQ(client_->Status().consecutive_failures, 0);
  EXPECT_TRUE(client_->Status().last_error.empty());
}

TEST_F(SyncClientTest, RejectedEventsBecomeDeadLettersAndDoNotBlockTheRest) {
  journal_.Add(20);
  hq_.Reject(7);
  hq_.Reject(13);
  MakeClient(FastOptions());
  std::optional<milliseconds> retry_after;
  ASSERT_TRUE(RunToCompletion(client_->UploadUntilCaughtUp(&retry_after)));
  EXPECT_EQ(journal_.synced(), 20);
  const auto letters = journal_.dead_letters();
  ASSERT_EQ(letters.size(), 2u);
  EXPECT_EQ(letters.at(7), "test rejection");
  EXPECT_EQ(client_->Status().dead_letters, 2);
}

TEST_F(SyncClientTest, NewEventsWakeAnIdleClientAtOnce) {
  MakeClient(FastOptions());  // config every hour: only Wake() can start an upload
  StartRunning();
  for (int round = 1; round <= 3; ++round) {
    journal_.Add(5);
    client_->Wake();
    ASSERT_TRUE(journal_.WaitCaughtUp()) << "round " << round;
  }
  EXPECT_EQ(hq_.stored(), 15u);
}

TEST_F(SyncClientTest, ConfigBundlesAreAppliedOncePerVersion) {
  hq_.bundle_.version = 3;
  MakeClient(FastOptions());
  ASSERT_TRUE(RunToCompletion(client_->PullConfig()));
  ASSERT_TRUE(RunToCompletion(client_->PullConfig()));  // 304: unchanged
  hq_.bundle_.version = 4;
  ASSERT_TRUE(RunToCompletion(client_->PullConfig()));
  EXPECT_EQ(applied_, (std::vector<std::int64_t>{3, 4}));
  EXPECT_EQ(client_->Status().config_version, 4);
}

// Each pull tells HQ the kiosk's clock, so that HQ's kiosk health shows one that is off.
TEST_F(SyncClientTest, ConfigPullsTellHqTheKiosksClock) {
  MakeClient(FastOptions());
  ASSERT_TRUE(RunToCompletion(client_->PullConfig()));
  clock_.Advance(std::chrono::seconds(90));
  ASSERT_TRUE(RunToCompletion(client_->PullConfig()));
  EXPECT_EQ(hq_.HeaderValues("/v1/sync/config", std::string(kKioskClockHeader)),
            (std::vector<std::string>{"1800000000000", "1800000090000"}));
}

// ... and HQ's Date tells the kiosk how far its own clock is off, 200 and 304 alike.
TEST_F(SyncClientTest, HqsDateTellsTheKioskHowFarItsClockIsOff) {
  MakeClient(FastOptions());
  ASSERT_TRUE(RunToCompletion(client_->PullConfig()));
  EXPECT_FALSE(client_->Status().clock_offset_ms) << "HQ sent no Date";
  // The FakeClock reads 2027-01-15T08:00:00Z; HQ's clock is 7 min 30 s behind it.
  hq_.date_header = "Fri, 15 Jan 2027 07:52:30 GMT";
  ASSERT_TRUE(RunToCompletion(client_->PullConfig()));  // 304
  EXPECT_EQ(client_->Status().clock_offset_ms, 450'000);
  hq_.date_header = "not a date";
  ASSERT_TRUE(RunToCompletion(client_->PullConfig()));
  EXPECT_EQ(client_->Status().clock_offset_ms, 450'000) << "kept";
}

// A pull by a kiosk holding the redeemed vouchers through position 5.
constexpr char kHeld5[] =
    "/v1/sync/config?redeemed_through=5&redeemed_through_key=kiosk-2%2F00000000000000a5";

// HQ sends only the vouchers redeemed since the list the applied bundle holds (config_bundle.hpp).
TEST_F(SyncClientTest, ConfigPullsNameTheRedeemedListTheKioskHolds) {
  hq_.bundle_.version = 3;
  hq_.bundle_.redeemed.through = 5;
  hq_.bundle_.redeemed.through_key = "kiosk-2/00000000000000a5";
  MakeClient(FastOptions());
  ASSERT_TRUE(RunToCompletion(client_->PullConfig()));
  hq_.bundle_.version = 4;
  hq_.bundle_.redeemed.through = 9;
  hq_.bundle_.redeemed.through_key = "kiosk-2/00000000000000a9";
  refuse_bundles_ = true;
  EXPECT_FALSE(RunToCompletion(client_->PullConfig()));
  refuse_bundles_ = false;
  ASSERT_TRUE(RunToCompletion(client_->PullConfig()));
  ASSERT_TRUE(RunToCompletion(client_->PullConfig()));
  EXPECT_EQ(hq_.targets(),
            (std::vector<std::string>{"/v1/sync/config",  // nothing held yet: the whole list
                                      kHeld5,
                                      kHeld5,  // the refused one changed nothing
                                      "/v1/sync/config?redeemed_through=9&redeemed_through_key="
                                      "kiosk-2%2F00000000000000a9"}));
  for (const std::string& value : hq_.HeaderValues(hq_.targets().back(), "kiosk-sync-features")) {
    EXPECT_EQ(value, "erasure,redeemed-delta,refill,honoured-vouchers");
  }
}

// The honoured vouchers come again only when they change: the pull names the digest of the list
// the applied bundle holds (config_bundle.hpp), a restart's first pull too.
TEST_F(SyncClientTest, ConfigPullsNameTheHonouredVouchersTheKioskHolds) {
  hq_.bundle_.version = 3;
  hq_.bundle_.revoked_kiosks = {"kiosk-9"};
  hq_.bundle_.honoured_vouchers = {
      {"kiosk-9", {std::string(32, '9'), {{"00000000000000a1", std::string(32, 'd')}}}}};
  hq_.bundle_.honoured_digest = HonouredListDigest(hq_.bundle_.honoured_vouchers);
  const std::string digest = hq_.bundle_.honoured_digest;
  MakeClient(FastOptions());
  ASSERT_TRUE(RunToCompletion(client_->PullConfig()));
  hq_.bundle_.version = 4;
  hq_.bundle_.redeemed.through = 5;
  hq_.bundle_.redeemed.through_key = "kiosk-2/00000000000000a5";
  ASSERT_TRUE(RunToCompletion(client_->PullConfig()));
  ASSERT_TRUE(RunToCompletion(client_->PullConfig()));
  EXPECT_EQ(hq_.targets(),
            (std::vector<std::string>{"/v1/sync/config",
                                      StrCat("/v1/sync/config?honoured_digest=", digest),
                                      StrCat(kHeld5, "&honoured_digest=", digest)}));

  MakeClient(FastOptions());
  client_->ResumeConfig(4, {5, "kiosk-2/00000000000000a5"}, digest);
  ASSERT_TRUE(RunToCompletion(client_->PullConfig()));
  EXPECT_EQ(hq_.targets().back(), StrCat(kHeld5, "&honoured_digest=", digest));
}

// After a restart, the kiosk's saved copy is in force: the first pull asks for what is new.
TEST_F(SyncClientTest, APullAfterARestartResumesFromTheSavedBundle) {
  hq_.bundle_.version = 3;
  hq_.bundle_.redeemed.through = 5;
  hq_.bundle_.redeemed.through_key = "kiosk-2/00000000000000a5";
  MakeClient(FastOptions());
  client_->ResumeConfig(3, {5, "kiosk-2/00000000000000a5"}, "");
  EXPECT_EQ(client_->Status().config_version, 3);
  ASSERT_TRUE(RunToCompletion(client_->PullConfig()));
  EXPECT_TRUE(applied_.empty()) << "304: the saved copy is HQ's current bundle";
  EXPECT_EQ(hq_.targets(), (std::vector<std::string>{kHeld5}));
  EXPECT_EQ(hq_.HeaderValues(hq_.targets().back(), "if-none-match"),
            (std::vector<std::string>{"\"v3\""}));
}

// A long redeemed list comes in pages of one version: the kiosk pulls the next at once.
TEST_F(SyncClientTest, ARedeemedListInPagesIsPulledPageAfterPage) {
  const auto voucher = [](int i) { return StrCat("kiosk-2/00000000000000a", i); };
  const auto held = [&](int through) {
    return StrCat("/v1/sync/config?redeemed_through=", through,
                  "&redeemed_through_key=kiosk-2%2F00000000000000a", through);
  };
  hq_.redeemed_pages = [&](const std::string& target) {
    ConfigBundle bundle = hq_.bundle_;
    bundle.version = 7;
    const int after = target == held(2) ? 2 : target == held(4) ? 4 : 0;
    const int through = std::min(after + 2, 5);
    if (after > 0) bundle.redeemed.since = after;
    for (int i = after + 1; i <= through; ++i) {
      bundle.redeemed.vouchers.push_back(RedeemedVoucher{voucher(i), 1'900'000'000});
    }
    bundle.redeemed.through = through;
    bundle.redeemed.through_key = voucher(through);
    bundle.redeemed.more = through < 5;
    return bundle;
  };
  MakeClient(FastOptions());
  ASSERT_TRUE(RunToCompletion(client_->PullConfig()));
  EXPECT_EQ(hq_.targets(), (std::vector<std::string>{"/v1/sync/config", held(2), held(4)}));
  EXPECT_EQ(applied_, (std::vector<std::int64_t>{7, 7, 7}));
  EXPECT_EQ(client_->Status().config_version, 7);
}

// An HQ whose pages do not move the kiosk on would keep it pulling forever: the pull fails.
TEST_F(SyncClientTest, APageThatDoesNotMoveOnEndsThePull) {
  hq_.redeemed_pages = [&](const std::string&) {
    ConfigBundle bundle = hq_.bundle_;
    bundle.version = 7;
    bundle.redeemed.through = 2;
    bundle.redeemed.through_key = "kiosk-2/00000000000000a2";
    bundle.redeemed.more = true;
    return bundle;
  };
  MakeClient(FastOptions());
  auto pulled = RunToCompletion(client_->PullConfig());
  ASSERT_FALSE(pulled);
  EXPECT_NE(pulled.error().message().find("did not move past ledger position 2"), std::string::npos)
      << pulled.error().message();
  EXPECT_EQ(hq_.targets().size(), 2u);
}

TEST(SyncBackoffTest, FullJitterStaysWithinTheDoublingCeilingAndTheCap) {
  const milliseconds base(1000), cap(300'000);
  EXPECT_EQ(FullJitterBackoff(1, base, cap, 0.999999), milliseconds(999));
  EXPECT_EQ(FullJitterBackoff(3, base, cap, 0.5), milliseconds(2000));
  EXPECT_EQ(FullJitterBackoff(30, base, cap, 0.5), milliseconds(150'000));
  EXPECT_EQ(FullJitterBackoff(1000, base, cap, 1.0), cap);
  EXPECT_EQ(FullJitterBackoff(4, base, cap, 0.0), milliseconds(0));
}

TEST(SyncBackoffTest, RetryAfterTakesSecondsOnly) {
  const milliseconds cap(300'000);
  EXPECT_EQ(ParseRetryAfter("7", cap), milliseconds(7000));
  EXPECT_EQ(ParseRetryAfter("100000", cap), cap);
  EXPECT_FALSE(ParseRetryAfter("Wed, 21 Oct 2026 07:28:00 GMT", cap));
  EXPECT_FALSE(ParseRetryAfter("-1", cap));
  EXPECT_FALSE(ParseRetryAfter(std::nullopt, cap));
}

}  // namespace
}  // namespace kiosk_edge
