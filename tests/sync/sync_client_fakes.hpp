#pragma once

// The kiosk's uploader's world in memory, for the SyncClient tests: a journal, an HQ, and a
// fixture that runs the client against them.

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <ostream>
#include <set>
#include <thread>
#include <utility>

#include "common/fake_clock.hpp"
#include "common/gzip.hpp"
#include "sync/client/sync_client.hpp"
#include "sync/protocol/certificate_renewal.hpp"
#include "sync/protocol/erasure.hpp"

namespace kiosk_edge {

inline void PrintTo(const MissingSeqs& range, std::ostream* out) {
  *out << range.first_seq << ".." << range.last_seq;
}

}  // namespace kiosk_edge

namespace kiosk_edge::testing {

using std::chrono::milliseconds;

inline WireEvent ScanWireEvent(std::int64_t seq, std::size_t payload_bytes = 40) {
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
      events_.push_back(
          ScanWireEvent(static_cast<std::int64_t>(events_.size()) + 1, payload_bytes));
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
      if (!shed_.contains(events_[i].seq)) out.push_back(events_[i]);
    }
    return out;
  }
  // Drops synced events first..last, as the journal sheds them for space.
  void Shed(std::int64_t first, std::int64_t last) {
    std::lock_guard lock(mutex_);
    for (std::int64_t seq = first; seq <= std::min(last, synced_); ++seq) shed_.insert(seq);
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
  std::set<std::int64_t> shed_;
  std::int64_t synced_ = 0;
  std::map<std::int64_t, std::string> dead_letters_;
};

// HQ in memory: stores each (seq) once, answers the high-water mark and, to kiosks that announce
// kSyncFeatureRefill, its gaps. Faults are queued per request: fail before storing, store then
// lose the answer, answer 503 with Retry-After.
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
    if (target.starts_with("/v1/sync/config")) co_return Config(target, headers);
    if (target == kCertificateRenewalPath) co_return Renew(body);
    auto batch = DecodeBatch(body);
    if (!batch) co_return SyncResponse{400, {}, batch.error().message()};
    if (on_batch) on_batch(*batch);
    const auto raw = Gunzip(body, kMaxBatchBytes);
    max_batch_bytes_ = std::max(max_batch_bytes_, raw ? raw->size() : 0);
    max_batch_events_ = std::max(max_batch_events_, batch->events.size());
    batches_.push_back({batch->first_seq, batch->last_seq});
    incarnation_ = batch->incarnation;
    BatchAnswer answer{batch->incarnation, 0, {}, {}, {}};
    for (const WireEvent& event : batch->events) {
      if (!stored_.emplace(event.seq, event.payload_json).second) ++duplicates_;
      if (reject_.contains(event.seq)) answer.rejected.push_back({event.seq, "test rejection"});
    }
    while (stored_.contains(high_water_ + 1)) ++high_water_;
    answer.high_water = high_water_;
    if (ListsFeature(headers, kSyncFeatureRefill)) {
      answer.missing = Gaps();
      if (claims_left_ > 0) {
        --claims_left_;
        answer.missing = claim_missing_;
      }
    }
    if (fault == Fault::kLoseAnswer) co_return Error(ErrorKind::kIo, "connection reset");
    co_return SyncResponse{200, {}, EncodeAnswer(answer).value()};
  }

  SyncResponse Config(const std::string& target,
                      const std::vector<std::pair<std::string, std::string>>& headers) {
    std::vector<std::pair<std::string, std::string>> answer_headers;
    if (date_header) answer_headers.emplace_back("date", *date_header);
    if (ListsFeature(headers, kSyncFeatureRefill)) {
      const StreamEnd end =
          stored_.empty() ? StreamEnd{} : StreamEnd{incarnation_, stored_.rbegin()->first};
      answer_headers.emplace_back(kStreamEndHeader,
                                  stream_end_header.value_or(EncodeStreamEnd(end)));
    }
    if (redeemed_pages) {
      return SyncResponse{200, answer_headers, EncodeConfigBundle(redeemed_pages(target)).value()};
    }
    for (const auto& [name, value] : headers) {
      if (name == "if-none-match" && value == ConfigBundleEtag(bundle_.version)) {
        return SyncResponse{304, answer_headers, ""};
      }
    }
    return SyncResponse{200, answer_headers, EncodeConfigBundle(bundle_).value()};
  }

  // A certificate renewal: 200 with "certificate <n>" for the n-th, or `renewal_refusal`'s status.
  SyncResponse Renew(const std::string& body) {
    auto csr = DecodeRenewalRequest(body);
    if (!csr) return SyncResponse{400, {}, csr.error().message()};
    renewal_csrs_.push_back(*csr);
    if (renewal_refusal) {
      std::vector<std::pair<std::string, std::string>> headers;
      if (renewal_retry_after) headers.emplace_back("retry-after", *renewal_retry_after);
      return SyncResponse{*renewal_refusal, std::move(headers),
                          R"({"error":"refused by the test"})"};
    }
    return SyncResponse{
        200, {}, EncodeRenewalAnswer("certificate " + std::to_string(renewal_csrs_.size()))};
  }
  // The CSRs of the certificate renewals asked for, in order.
  std::vector<std::string> renewal_csrs() {
    std::lock_guard lock(mutex_);
    return renewal_csrs_;
  }

  void QueueFaults(std::initializer_list<Fault> faults) {
    std::lock_guard lock(mutex_);
    faults_.insert(faults_.end(), faults);
  }
  void Reject(std::int64_t seq) { reject_.insert(seq); }
  // Loses events first..last, as a restore from an older backup does.
  void Forget(std::int64_t first, std::int64_t last) {
    std::lock_guard lock(mutex_);
    stored_.erase(stored_.lower_bound(first), stored_.upper_bound(last));
    high_water_ = std::min(high_water_, first - 1);
  }
  // The next `answers` answers list `missing` instead of HQ's real gaps.
  void ClaimMissing(std::vector<MissingSeqs> missing, int answers) {
    std::lock_guard lock(mutex_);
    claim_missing_ = std::move(missing);
    claims_left_ = answers;
  }
  // first..last of each batch received, in order.
  std::vector<MissingSeqs> batches() {
    std::lock_guard lock(mutex_);
    return batches_;
  }
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
  // When set: the kStreamEndHeader value of config answers, instead of where the events end.
  std::optional<std::string> stream_end_header;
  // When set: the bundle for each config pull's target, always 200 (a redeemed list in pages).
  std::function<ConfigBundle(const std::string&)> redeemed_pages;
  std::optional<unsigned> renewal_refusal;  // when set: the status renewals are answered with
  std::optional<std::string> renewal_retry_after;  // when set: the Retry-After of those answers
  std::optional<std::string> date_header;          // when set: the Date of config answers
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
  static bool ListsFeature(const std::vector<std::pair<std::string, std::string>>& headers,
                           std::string_view feature) {
    for (const auto& [name, value] : headers) {
      if (name == kSyncFeaturesHeader && ListsSyncFeature(value, feature)) return true;
    }
    return false;
  }
  // The runs of seqs below the highest stored that are not stored, the highest few.
  std::vector<MissingSeqs> Gaps() const {
    std::vector<MissingSeqs> gaps;
    std::int64_t previous = 0;
    for (const auto& [seq, payload] : stored_) {
      if (seq > previous + 1) gaps.push_back({previous + 1, seq - 1});
      previous = seq;
    }
    if (gaps.size() > kMaxMissingRanges) gaps.erase(gaps.begin(), gaps.end() - kMaxMissingRanges);
    return gaps;
  }
  std::mutex mutex_;
  std::deque<Fault> faults_;
  std::vector<Request> requests_;
  std::vector<std::string> renewal_csrs_;
  std::map<std::int64_t, std::string> stored_;
  std::string incarnation_;  // of the latest batch
  std::set<std::int64_t> reject_;
  std::int64_t high_water_ = 0;
  std::vector<MissingSeqs> claim_missing_, batches_;
  int claims_left_ = 0;
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

}  // namespace kiosk_edge::testing
