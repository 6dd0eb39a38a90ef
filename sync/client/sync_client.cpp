#include "sync/client/sync_client.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>

#include "common/blocking.hpp"
#include "common/log.hpp"
#include "common/strings.hpp"
#include "sync/protocol/certificate_renewal.hpp"
#include "sync/protocol/erasure.hpp"

namespace kiosk_edge {
namespace {

using boost::asio::awaitable;
using std::chrono::milliseconds;

constexpr std::string_view kComponent = "sync";
constexpr std::string_view kBatchTarget = "/v1/sync/batch";
constexpr std::size_t kQuotedBytes = 200;  // of HQ's answer, in an error
// How soon a renewal HQ answered "busy" without a Retry-After is tried again.
constexpr std::chrono::milliseconds kBusyRenewalRetry{60'000};

}  // namespace

std::optional<std::string> SyncResponse::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return std::nullopt;
}

milliseconds FullJitterBackoff(int attempt, milliseconds base, milliseconds cap, double unit) {
  // base * 2^(attempt-1), without overflow: past 30 doublings anything is over the cap.
  const int doublings = std::clamp(attempt - 1, 0, 30);
  const double ceiling = std::min(
      static_cast<double>(cap.count()),
      static_cast<double>(base.count()) * static_cast<double>(std::int64_t{1} << doublings));
  return milliseconds(static_cast<std::int64_t>(std::clamp(unit, 0.0, 1.0) * ceiling));
}

std::optional<milliseconds> ParseRetryAfter(std::optional<std::string> value, milliseconds cap) {
  if (!value) return std::nullopt;
  std::int64_t seconds = 0;
  const auto [end, error] = std::from_chars(value->data(), value->data() + value->size(), seconds);
  if (error != std::errc() || end != value->data() + value->size() || seconds < 0) {
    return std::nullopt;
  }
  return std::min<milliseconds>(milliseconds(std::min<std::int64_t>(seconds, 1'000'000) * 1000),
                                cap);
}

SyncClient::SyncClient(boost::asio::any_io_executor executor,
                       boost::asio::thread_pool& blocking_pool, SyncJournal& journal,
                       SyncTransport& transport, ConfigBundleApplier apply_config,
                       SyncClientOptions options, const Clock& clock)
    : executor_(executor),
      pool_(blocking_pool),
      journal_(journal),
      transport_(transport),
      apply_config_(std::move(apply_config)),
      options_(options),
      clock_(clock),
      timer_(executor),
      random_(std::random_device{}()) {}

void SyncClient::Wake() {
  boost::asio::post(executor_, [this] {
    std::lock_guard lock(mutex_);
    pending_wake_ = true;
    if (waiting_for_events_) timer_.cancel();
  });
}

void SyncClient::SyncNow() {
  boost::asio::post(executor_, [this] {
    std::lock_guard lock(mutex_);
    sync_now_ = true;
    timer_.cancel();
  });
}

void SyncClient::RenewCertificateNow() {
  boost::asio::post(executor_, [this] {
    std::lock_guard lock(mutex_);
    sync_now_ = true;
    renew_certificate_now_ = true;
    timer_.cancel();
  });
}

void SyncClient::Stop() {
  boost::asio::post(executor_, [this] {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    timer_.cancel();
  });
}

SyncStatus SyncClient::Status() const {
  std::lock_guard lock(mutex_);
  return status_;
}

void SyncClient::NoteFailure(const Error& error) {
  std::lock_guard lock(mutex_);
  ++status_.consecutive_failures;
  // Log the first failure of a run and every tenth: an outage must not flood the log.
  if (status_.consecutive_failures == 1 || status_.consecutive_failures % 10 == 0) {
    LogWarning(kComponent, "HQ: ", error.message(), " (failure ", status_.consecutive_failures,
               " in a row; retrying with backoff)");
  }
  status_.last_error = error.message();
}

Result<std::optional<SyncClient::EncodedBatch>> SyncClient::ReadAndEncode(
    SyncJournal& journal, const SyncClientOptions& options, std::optional<std::int64_t> after,
    const std::string& incarnation) {
  auto position = journal.ReadPosition();
  if (!position) return position.error();
  if (!incarnation.empty() && position->incarnation != incarnation) {
    return Error(ErrorKind::kUnavailable, "the journal was recreated");
  }
  const std::int64_t after_seq = after.value_or(position->synced_seq);
  if (after_seq >= position->last_seq) return std::optional<EncodedBatch>();
  auto events = journal.ReadAfter(after_seq, options.max_batch_events);
  if (!events) return events.error();
  if (events->empty() || events->front().seq != after_seq + 1) {
    return Error(ErrorKind::kInternal,
                 StrCat("journal has no event ", after_seq + 1, " to upload"));
  }
  auto batch = Encode(*position, options, std::move(*events));
  if (!batch) return batch.error();
  return std::optional(std::move(*batch));
}

SyncClient::ReadAheadResult SyncClient::ReadMissingAndEncode(
    SyncJournal& journal, const SyncClientOptions& options, const std::string& incarnation,
    const std::vector<MissingSeqs>& missing) {
  auto position = journal.ReadPosition();
  if (!position) return position.error();
  if (position->incarnation != incarnation) return std::optional<EncodedBatch>();
  for (const MissingSeqs& range : missing) {
    const std::int64_t last = std::min(range.last_seq, position->synced_seq);
    if (range.first_seq > last) continue;
    const auto wanted = static_cast<std::size_t>(std::min<std::int64_t>(
        last - range.first_seq + 1, static_cast<std::int64_t>(options.max_batch_events)));
    auto events = journal.ReadAfter(range.first_seq - 1, wanted);
    if (!events) return events.error();
    // Shedding (and definition events, never shed) leaves holes below the synced mark: the batch
    // is the run without holes that starts at the first event still held.
    std::size_t run = 0;
    while (run < events->size() && (*events)[run].seq <= last &&
           (run == 0 || (*events)[run].seq == (*events)[run - 1].seq + 1)) {
      ++run;
    }
    if (run == 0) continue;  // shed: HQ keeps the gap
    events->resize(run);
    auto batch = Encode(*position, options, std::move(*events));
    if (!batch) return batch.error();
    batch->resent = true;
    return std::optional(std::move(*batch));
  }
  return std::optional<EncodedBatch>();
}

Result<SyncClient::EncodedBatch> SyncClient::Encode(const SyncJournal::Position& position,
                                                    const SyncClientOptions& options,
                                                    std::vector<WireEvent> events) {
  // Pack by the protocol's exact accounting; one event always fits (payloads are at most 16 KiB).
  std::size_t bytes = kMaxBatchEnvelopeBytes, count = 0;
  for (; count < events.size(); ++count) {
    const std::size_t next = EncodedEventBytes(events[count]);
    if (count > 0 && bytes + next > options.max_batch_bytes) break;
    bytes += next;
  }
  events.resize(count);

  EventBatch batch;
  batch.schema_version = kSyncSchemaVersion;
  batch.kiosk_id = position.kiosk_id;
  batch.incarnation = position.incarnation;
  batch.first_seq = events.front().seq;
  batch.last_seq = events.back().seq;
  batch.events = std::move(events);
  auto body = EncodeBatch(batch);
  if (!body) return body.error().WithContext("encode batch");
  return EncodedBatch{std::move(batch.incarnation),
                      batch.first_seq,
                      batch.last_seq,
                      std::max(position.last_seq, batch.last_seq),
                      std::move(*body),
                      false};
}

awaitable<SyncClient::ReadAheadResult> SyncClient::ReadAhead(std::optional<std::int64_t> after,
                                                             std::string incarnation) {
  const auto read = [journal = &journal_, options = options_, after,
                     incarnation = std::move(incarnation)] {
    return ReadAndEncode(*journal, options, after, incarnation);
  };
  co_return co_await RunBlocking(pool_, read);
}

awaitable<Result<SyncResponse>> SyncClient::SendTimed(
    const std::string& method, const std::string& target,
    const std::vector<std::pair<std::string, std::string>>& headers, const std::string& body) {
  const auto start = std::chrono::steady_clock::now();
  Result<SyncResponse> response = co_await transport_.Send(method, target, headers, body);
  if (response && response->status == 200 && options_.batch_upload_seconds != nullptr) {
    options_.batch_upload_seconds->Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  co_return response;
}

awaitable<Result<void>> SyncClient::UploadBatch(const EncodedBatch& batch,
                                                std::optional<milliseconds>* retry_after,
                                                ReadAheadResult* next) {
  std::vector<std::pair<std::string, std::string>> headers = {
      {"content-type", "application/json"},
      {"content-encoding", "gzip"},
      {std::string(kSyncFeaturesHeader), StrCat(kSyncFeatureErasure, ",", kSyncFeatureRefill)},
      {std::string(kJournalLastSeqHeader), std::to_string(batch.journal_last_seq)}};
  if (const auto not_after_ms =
          options_.https_not_after_ms ? options_.https_not_after_ms() : std::nullopt) {
    headers.emplace_back(kHttpsNotAfterHeader, std::to_string(*not_after_ms));
  }
  const std::string method = "POST", target(kBatchTarget);
  Result<SyncResponse> response = Error(ErrorKind::kInternal, "sending the batch failed");
  if (next == nullptr) {
    response = co_await SendTimed(method, target, headers, batch.body);
  } else {
    // The batch after this one is read and encoded on the pool while this one is on the wire; it
    // goes out only after this one's answer, and only if this one was committed.
    auto send = boost::asio::co_spawn(executor_, SendTimed(method, target, headers, batch.body),
                                      boost::asio::deferred);
    auto read = boost::asio::co_spawn(executor_, ReadAhead(batch.last_seq, batch.incarnation),
                                      boost::asio::deferred);
    auto both = boost::asio::experimental::make_parallel_group(std::move(send), std::move(read));
    auto [order, send_failure, sent, read_failure, read_ahead] = co_await both.async_wait(
        boost::asio::experimental::wait_for_all(), boost::asio::use_awaitable);
    (void)order;
    if (!send_failure) response = std::move(sent);
    *next =
        read_failure ? Error(ErrorKind::kInternal, "reading ahead failed") : std::move(read_ahead);
  }
  {
    std::lock_guard lock(mutex_);
    status_.hq_reachable = response.has_value();
  }
  if (!response) co_return response.error();
  if (response->status == 429 || response->status == 503) {
    *retry_after = ParseRetryAfter(response->Header("retry-after"), options_.backoff_cap);
    // HQ says why (one batch at a time, the kiosk's events of the day): kioskctl status shows it.
    co_return Error(ErrorKind::kUnavailable, StrCat("HQ is busy (", response->status, ")",
                                                    response->body.empty() ? "" : ": ",
                                                    OneLine(response->body, kQuotedBytes)));
  }
  if (response->status != 200) {
    co_return Error(ErrorKind::kIo,
                    StrCat("HQ refused the batch of seq ", batch.first_seq, "..", batch.last_seq,
                           ": ", response->status, " ", OneLine(response->body, kQuotedBytes)));
  }
  auto answer = DecodeAnswer(response->body);
  if (!answer) co_return answer.error().WithContext("HQ's answer");
  if (answer->incarnation != batch.incarnation) {
    co_return Error(ErrorKind::kIo, "HQ answered for another journal incarnation");
  }
  if (answer->high_water < batch.last_seq && !batch.resent) {
    // HQ committed this batch but is missing earlier events (it records the gap). Those were
    // acknowledged before: the kiosk goes on, and sends again those it still holds (missing_).
    LogWarning(kComponent, "HQ holds this journal only up to seq ", answer->high_water,
               " after committing ", batch.first_seq, "..", batch.last_seq, ": a gap at HQ");
  }
  for (const RejectedEvent& rejected : answer->rejected) {
    if (rejected.seq < batch.first_seq || rejected.seq > batch.last_seq) {
      co_return Error(ErrorKind::kIo, StrCat("HQ rejected seq ", rejected.seq,
                                             ", which is not in the batch it answered"));
    }
  }
  for (std::int64_t erased : answer->erased) {
    if (erased < batch.first_seq || erased > batch.last_seq) {
      co_return Error(ErrorKind::kIo,
                      StrCat("HQ erased seq ", erased, ", which is not in the batch it answered"));
    }
  }
  const auto acknowledge = [journal = &journal_, last = batch.last_seq, rejected = answer->rejected,
                            erased = answer->erased] {
    return journal->Acknowledge(last, rejected, erased);
  };
  Result<void> acknowledged = co_await RunBlocking(pool_, acknowledge);
  if (!acknowledged) co_return acknowledged.error().WithContext("mark synced");
  {
    std::lock_guard lock(mutex_);
    ++status_.batches_sent;
    status_.events_sent += batch.last_seq - batch.first_seq + 1;
    if (batch.resent) status_.events_resent += batch.last_seq - batch.first_seq + 1;
    status_.dead_letters += static_cast<std::int64_t>(answer->rejected.size());
    status_.last_success = clock_.WallNow();
    status_.consecutive_failures = 0;
    status_.last_error.clear();
  }
  for (const RejectedEvent& rejected : answer->rejected) {
    LogWarning(kComponent, "HQ rejected seq ", rejected.seq, ": ", rejected.reason,
               " (kept in the dead-letter table)");
  }
  missing_ = std::move(answer->missing);
  missing_incarnation_ = batch.incarnation;
  if (batch.resent && std::any_of(missing_.begin(), missing_.end(), [&](const MissingSeqs& gap) {
        return gap.first_seq <= batch.first_seq && batch.first_seq <= gap.last_seq;
      })) {
    // HQ committed the events yet still misses them: sending them again would never end.
    missing_.clear();
    co_return Error(ErrorKind::kIo,
                    StrCat("HQ still misses seq ", batch.first_seq, " after committing it again"));
  }
  co_return Result<void>();
}

awaitable<Result<void>> SyncClient::ResendMissing(std::optional<milliseconds>* retry_after) {
  std::int64_t resent = 0, lowest = 0, highest = 0;
  while (!missing_.empty()) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) co_return Result<void>();  // missing_ stays for a next run, if any
    }
    const auto read = [journal = &journal_, options = options_, missing = missing_,
                       incarnation = missing_incarnation_] {
      return ReadMissingAndEncode(*journal, options, incarnation, missing);
    };
    ReadAheadResult batch = co_await RunBlocking(pool_, read);
    if (!batch) co_return batch.error().WithContext("read the events HQ misses");
    if (!*batch) break;  // the journal holds none of them (shed): HQ keeps showing the gaps
    if (resent == 0) lowest = (*batch)->first_seq;
    Result<void> uploaded = co_await UploadBatch(**batch, retry_after, nullptr);
    if (!uploaded) co_return uploaded.error();
    resent += (*batch)->last_seq - (*batch)->first_seq + 1;
    highest = std::max(highest, (*batch)->last_seq);
  }
  missing_.clear();
  if (resent > 0) {
    LogInfo(kComponent, "HQ was missing events it had acknowledged; sent ", resent,
            " of them again from the journal (seq ", lowest, "..", highest, ")");
  }
  co_return Result<void>();
}

awaitable<Result<void>> SyncClient::UploadUntilCaughtUp(std::optional<milliseconds>* retry_after) {
  // A resend an earlier round could not finish goes on first, new events or not.
  if (Result<void> resent = co_await ResendMissing(retry_after); !resent) co_return resent.error();
  std::optional<EncodedBatch> next;  // read ahead while the batch before it was in flight
  while (true) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) co_return Result<void>();
    }
    if (!next) {
      const std::optional<std::int64_t> from_synced_mark;
      ReadAheadResult read = co_await ReadAhead(from_synced_mark, std::string());
      if (!read) co_return read.error();
      if (!*read) co_return Result<void>();  // caught up
      next = std::move(**read);
    }
    const EncodedBatch batch = std::move(*next);
    next.reset();
    ReadAheadResult after = std::optional<EncodedBatch>();
    Result<void> uploaded = co_await UploadBatch(batch, retry_after, &after);
    if (!uploaded) co_return uploaded.error();
    if (Result<void> resent = co_await ResendMissing(retry_after); !resent) {
      co_return resent.error();
    }
    // A failed read-ahead is not this round's failure: read again, from the synced mark.
    if (!after) continue;
    if (!*after) co_return Result<void>();  // nothing after this batch: caught up
    next = std::move(**after);
  }
}

awaitable<Result<void>> SyncClient::RenewCertificate(std::optional<milliseconds>* retry_after) {
  auto csr = options_.client_certificate->MakeCsr();
  if (!csr) co_return csr.error().WithContext("a CSR for the device key");
  // Named locals: GCC 12 mishandles temporaries in a co_await expression.
  const std::string method = "POST";
  const std::string target(kCertificateRenewalPath);
  const std::vector<std::pair<std::string, std::string>> headers{
      {"content-type", "application/json"}};
  const std::string body = EncodeRenewalRequest(*csr);
  auto response = co_await transport_.Send(method, target, headers, body);
  if (!response) co_return response.error();
  if (response->status == 429 || response->status == 503) {
    *retry_after = ParseRetryAfter(response->Header("retry-after"), options_.certificate_retry);
    co_return Error(ErrorKind::kUnavailable,
                    StrCat("HQ is busy (", response->status, "): the certificate was not renewed"));
  }
  if (response->status != 200) {
    co_return Error(ErrorKind::kIo, StrCat("HQ refused the certificate renewal: ", response->status,
                                           " ", OneLine(response->body, kQuotedBytes)));
  }
  auto certificate = DecodeRenewalAnswer(response->body);
  if (!certificate) co_return certificate.error();
  co_return co_await options_.client_certificate->Install(std::move(*certificate));
}

awaitable<void> SyncClient::RenewCertificateIfDue(bool forced) {
  if (options_.client_certificate == nullptr) co_return;
  const auto now = clock_.MonotonicNow();
  const bool due = clock_.WallNow() >= options_.client_certificate->RenewalDue() &&
                   (!certificate_retry_at_ || now >= *certificate_retry_at_);
  if (!forced && !due) co_return;
  std::optional<milliseconds> retry_after;  // HQ's, when it was busy
  Result<void> renewed = co_await RenewCertificate(&retry_after);
  std::lock_guard lock(mutex_);
  if (renewed) {
    certificate_retry_at_.reset();
    status_.certificate_renewed = clock_.WallNow();
    status_.certificate_renewal_error.clear();
    LogInfo(kComponent, "renewed the HQ client certificate");
    co_return;
  }
  // A busy HQ is asked again when it says (a minute when it does not), and one whose connection
  // timed out or dropped (kUnavailable) a minute later; anything else waits an hour.
  const milliseconds wait =
      renewed.error().kind() == ErrorKind::kUnavailable
          ? std::min(retry_after.value_or(kBusyRenewalRetry), options_.certificate_retry)
          : options_.certificate_retry;
  certificate_retry_at_ = now + wait;
  status_.certificate_renewal_error = renewed.error().message();
  LogWarning(kComponent, "renewing the HQ client certificate: ", renewed.error().message(),
             " (trying again in ", FormatAge(wait.count()), ")");
}

awaitable<void> SyncClient::Run() {
  std::optional<std::chrono::steady_clock::time_point> last_config_pull;
  while (true) {
    bool forced = false;  // SyncNow(): talk to HQ even when nothing is due
    bool renew_certificate = false;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) break;
      forced = sync_now_;
      sync_now_ = false;
      renew_certificate = renew_certificate_now_;
      renew_certificate_now_ = false;
      pending_wake_ = false;
      ++status_.rounds_started;
    }
    std::optional<milliseconds> retry_after;
    Result<void> pulled;
    const auto now = std::chrono::steady_clock::now();
    if (forced || !last_config_pull || now - *last_config_pull >= options_.config_interval) {
      pulled = co_await PullConfig();
      if (pulled) last_config_pull = now;
    }
    // A config HQ cannot serve does not hold up the upload, nor the other way round.
    Result<void> round = co_await UploadUntilCaughtUp(&retry_after);
    if (round && !pulled) round = pulled.error();
    if (!round) NoteFailure(round.error());
    if (round || renew_certificate) co_await RenewCertificateIfDue(renew_certificate);
    {
      std::lock_guard lock(mutex_);
      ++status_.rounds_finished;
      if (round) {
        status_.last_caught_up = clock_.WallNow();
        status_.consecutive_failures = 0;
        status_.last_error.clear();
      }
    }

    milliseconds delay{0};
    {
      std::lock_guard lock(mutex_);
      if (stopping_) break;
      if (!round) {
        std::uniform_real_distribution<double> unit(0.0, 1.0);
        delay = retry_after.value_or(FullJitterBackoff(status_.consecutive_failures,
                                                       options_.backoff_base, options_.backoff_cap,
                                                       unit(random_)));
      } else {
        const auto since_pull = std::chrono::steady_clock::now() - last_config_pull.value_or(now);
        delay = std::chrono::duration_cast<milliseconds>(options_.config_interval - since_pull);
        if (pending_wake_) delay = milliseconds(0);  // events arrived during the round
      }
      if (sync_now_) delay = milliseconds(0);
      waiting_for_events_ = static_cast<bool>(round);
    }
    if (delay > milliseconds(0)) {
      timer_.expires_after(delay);
      boost::system::error_code ignored;
      co_await timer_.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ignored));
    }
    std::lock_guard lock(mutex_);
    waiting_for_events_ = false;
  }
}

}  // namespace kiosk_edge
