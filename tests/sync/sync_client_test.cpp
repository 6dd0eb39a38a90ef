// The kiosk's uploader against an in-memory HQ: order, exactly once, limits, failures, backoff,
// Retry-After, dead letters, wake-ups and config pulls.
#include "sync/client/sync_client.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <set>
#include <thread>

#include "common/fake_clock.hpp"
#include "common/gzip.hpp"

namespace kiosk_edge {
namespace {

using std::chrono::milliseconds;

WireEvent MakeEvent(std::int64_t seq, std::size_t payload_bytes = 40) {
  WireEvent event;
  event.seq = seq;
  event.type = "scan";
  event.occurred_at_ms = 1'800'000'000'000 + seq;
  event.monotonic_ns = seq * 1000;
  event.boot_id = "boot-a";
  event.channel_id = "EL3-POSTER-V2";
  event.payload_version = 1;
  event.payload_json = R"({"pad":")" + std::string(payload_bytes, 'x') + R"("})";
  return event;
}

// The kiosk's journal: events in memory, the sync mark, the dead letters.
class FakeJournal : public SyncJournal {
 public:
  void Add(std::size_t count, std::size_t payload_bytes = 40) {
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < count; ++i) {
      events_.push_back(MakeEvent(static_cast<std::int64_t>(events_.size()) + 1, payload_bytes));
    }
  }
  Result<Position> ReadPosition() override {
    const CallGuard call(*this);
    std::lock_guard lock(mutex_);
    return Position{"kiosk-a", "inc-1", synced_, static_cast<std::int64_t>(events_.size())};
  }
  Result<std::vector<WireEvent>> ReadAfter(std::int64_t after, std::size_t max_events) override {
    const CallGuard call(*this);
    std::lock_guard lock(mutex_);
    reads_.emplace_back(after, synced_);
    std::vector<WireEvent> out;
    for (auto i = static_cast<std::size_t>(after); i < events_.size() && out.size() < max_events;
         ++i) {
      out.push_back(events_[i]);
    }
    return out;
  }
  Result<void> Acknowledge(std::int64_t high_water, const std::vector<RejectedEvent>& rejected,
                           const std::vector<std::int64_t>& /*erased*/) override {
    const CallGuard call(*this);
    std::lock_guard lock(mutex_);
    synced_ = std::max(synced_, high_water);
    for (const auto& r : rejected) dead_letters_[r.seq] = r.reason;
    changed_.notify_all();
    return {};
  }
  // Waits until everything is acknowledged (bounded, so a broken client fails the test).
  bool WaitCaughtUp() {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(20), [this] {
      return synced_ == static_cast<std::int64_t>(events_.size());
    });
  }
  std::int64_t synced() {
    std::lock_guard lock(mutex_);
    return synced_;
  }
  std::map<std::int64_t, std::string> dead_letters() {
    std::lock_guard lock(mutex_);
    return dead_letters_;
  }
  // Each ReadAfter: the seq it read after, and the synced mark at the time.
  std::vector<std::pair<std::int64_t, std::int64_t>> reads() {
    std::lock_guard lock(mutex_);
    return reads_;
  }
  // True when two calls ever ran at once (the SyncJournal contract forbids it).
  bool calls_overlapped() const { return overlapped_; }

 private:
  class CallGuard {
   public:
    explicit CallGuard(FakeJournal& journal) : journal_(journal) {
      if (journal_.calls_in_progress_.fetch_add(1) != 0) journal_.overlapped_ = true;
    }
    ~CallGuard() { journal_.calls_in_progress_.fetch_sub(1); }

   private:
    FakeJournal& journal_;
  };

  std::atomic<int> calls_in_progress_{0};
  std::atomic<bool> overlapped_{false};
  std::vector<std::pair<std::int64_t, std::int64_t>> reads_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<WireEvent> events_;
  std::int64_t synced_ = 0;
  std::map<std::int64_t, std::string> dead_letters_;
};

// HQ in memory: stores each (seq) once, answers the high-water mark. Faults are queued per
// request: fail before storing, store then lose the answer, answer 503 with Retry-After.
class FakeHq : public SyncTransport {
 public:
  enum class Fault { kNone, kUnreachable, kLoseAnswer, kBusy };

  boost::asio::awaitable<Result<SyncResponse>> Send(
      const std::string& method, const std::string& target,
      const std::vector<std::pair<std::string, std::string>>& headers,
      const std::string& body) override {
    std::lock_guard lock(mutex_);
    requests_.push_back({method, target, headers});
    const Fault fault = faults_.empty() ? Fault::kNone : faults_.front();
    if (!faults_.empty()) faults_.pop_front();
    if (fault == Fault::kUnreachable) co_return Error(ErrorKind::kIo, "connection refused");
    if (fault == Fault::kBusy) co_return SyncResponse{503, {{"retry-after", "7"}}, "busy"};
    if (target.starts_with("/v1/sync/config")) co_return Config(headers);
    auto batch = DecodeBatch(body);
    if (!batch) co_return SyncResponse{400, {}, batch.error().message()};
    if (on_batch) on_batch(*batch);
    const auto raw = Gunzip(body, kMaxBatchBytes);
    max_batch_bytes_ = std::max(max_batch_bytes_, raw ? raw->size() : 0);
    max_batch_events_ = std::max(max_batch_events_, batch->events.size());
    BatchAnswer answer{batch->incarnation, 0, {}, {}};
    for (const WireEvent& event : batch->events) {
      if (!stored_.emplace(event.seq, event.payload_json).second) ++duplicates_;
      if (reject_.contains(event.seq)) answer.rejected.push_back({event.seq, "test rejection"});
    }
    while (stored_.contains(high_water_ + 1)) ++high_water_;
    answer.high_water = high_water_;
    if (fault == Fault::kLoseAnswer) co_return Error(ErrorKind::kIo, "connection reset");
    co_return SyncResponse{200, {}, EncodeAnswer(answer).value()};
  }

  SyncResponse Config(const std::vector<std::pair<std::string, std::string>>& headers) {
    for (const auto& [name, value] : headers) {
      if (name == "if-none-match" && value == ConfigBundleEtag(bundle_.version)) {
        return SyncResponse{304, {}, ""};
      }
    }
    return SyncResponse{200, {}, EncodeConfigBundle(bundle_).value()};
  }

  void QueueFaults(std::initializer_list<Fault> faults) {
    std::lock_guard lock(mutex_);
    faults_.insert(faults_.end(), faults);
  }
  void Reject(std::int64_t seq) { reject_.insert(seq); }
  std::size_t stored() {
    std::lock_guard lock(mutex_);
    return stored_.size();
  }
  int duplicates() const { return duplicates_; }
  std::size_t max_batch_events() const { return max_batch_events_; }
  std::size_t max_batch_bytes() const { return max_batch_bytes_; }
  std::size_t requests_to(const std::string& target) {
    std::lock_guard lock(mutex_);
    return static_cast<std::size_t>(std::count_if(
        requests_.begin(), requests_.end(), [&](const auto& r) { return r.target == target; }));
  }
  // The targets of the requests, in order.
  std::vector<std::string> targets() {
    std::lock_guard lock(mutex_);
    std::vector<std::string> all;
    for (const Request& request : requests_) all.push_back(request.target);
    return all;
  }
  // The value of header `name` in each request to `target`, in order ("" where it was absent).
  std::vector<std::string> HeaderValues(const std::string& target, const std::string& name) {
    std::lock_guard lock(mutex_);
    std::vector<std::string> values;
    for (const Request& request : requests_) {
      if (request.target != target) continue;
      values.emplace_back();
      for (const auto& [key, value] : request.headers) {
        if (key == name) values.back() = value;
      }
    }
    return values;
  }
  std::function<void(const EventBatch&)> on_batch;  // sees each batch as it arrives
  ConfigBundle bundle_ = [] {
    ConfigBundle bundle;
    bundle.hq_public_key = std::string(32, 'k');
    return bundle;
  }();

 private:
  struct Request {
    std::string method, target;
    std::vector<std::pair<std::string, std::string>> headers;
  };
  std::mutex mutex_;
  std::deque<Fault> faults_;
  std::vector<Request> requests_;
  std::map<std::int64_t, std::string> stored_;
  std::set<std::int64_t> reject_;
  std::int64_t high_water_ = 0;
  int duplicates_ = 0;
  std::size_t max_batch_events_ = 0, max_batch_bytes_ = 0;
};

class SyncClientTest : public ::testing::Test {
 protected:
  SyncClientOptions FastOptions() {
    SyncClientOptions options;
    options.backoff_base = milliseconds(1);
    options.backoff_cap = milliseconds(20);
    options.config_interval = std::chrono::hours(1);
    return options;
  }
  void MakeClient(SyncClientOptions options) {
    client_ = std::make_unique<SyncClient>(
        io_.get_executor(), pool_, journal_, hq_,
        [this](const ConfigBundle& bundle) -> Result<void> {
          std::lock_guard lock(applied_mutex_);
          if (refuse_bundles_) return Error(ErrorKind::kInvalidArgument, "refused by the test");
          applied_.push_back(bundle.version);
          return {};
        },
        options, clock_);
  }
  // Runs the client's Run() on a thread until Stop().
  void StartRunning() {
    boost::asio::co_spawn(io_, client_->Run(), boost::asio::detached);
    io_thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    if (io_thread_.joinable()) {
      client_->Stop();
      io_thread_.join();
    }
    pool_.join();
  }
  // Runs one coroutine of the client to completion on this thread.
  template <class Awaitable>
  auto RunToCompletion(Awaitable awaitable) {
    auto future = boost::asio::co_spawn(io_, std::move(awaitable), boost::asio::use_future);
    io_.restart();
    io_.run();
    return future.get();
  }

  boost::asio::io_context io_;
  boost::asio::thread_pool pool_{2};
  FakeClock clock_;
  FakeJournal journal_;
  FakeHq hq_;
  std::vector<std::int64_t> applied_;
  bool refuse_bundles_ = false;  // the applier fails
  std::mutex applied_mutex_;
  std::unique_ptr<SyncClient> client_;
  std::thread io_thread_;
};

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
    EXPECT_EQ(value, "erasure,redeemed-delta");
  }
}

// After a restart, the kiosk's saved copy is in force: the first pull asks for what is new.
TEST_F(SyncClientTest, APullAfterARestartResumesFromTheSavedBundle) {
  hq_.bundle_.version = 3;
  hq_.bundle_.redeemed.through = 5;
  hq_.bundle_.redeemed.through_key = "kiosk-2/00000000000000a5";
  MakeClient(FastOptions());
  client_->ResumeConfig(3, {5, "kiosk-2/00000000000000a5"});
  EXPECT_EQ(client_->Status().config_version, 3);
  ASSERT_TRUE(RunToCompletion(client_->PullConfig()));
  EXPECT_TRUE(applied_.empty()) << "304: the saved copy is HQ's current bundle";
  EXPECT_EQ(hq_.targets(), (std::vector<std::string>{kHeld5}));
  EXPECT_EQ(hq_.HeaderValues(hq_.targets().back(), "if-none-match"),
            (std::vector<std::string>{"\"v3\""}));
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
