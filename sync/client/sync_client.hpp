#pragma once

// The kiosk's sync agent (DESIGN.md section 6): uploads the journal to HQ in seq order, one
// batch in flight, and pulls HQ's config bundle. It runs as a coroutine on kiosk-agent's
// io_context; journal reads and writes go to the blocking pool. sync/client knows nothing of
// agent/: the journal and the HTTPS connection come in through the two interfaces below.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.hpp"
#include "common/error.hpp"
#include "common/metrics.hpp"
#include "sync/protocol/batch.hpp"
#include "sync/protocol/config_bundle.hpp"

namespace kiosk_edge {

// The kiosk's journal as the uploader needs it. Called on the blocking pool, never on the I/O
// thread; calls never overlap.
class SyncJournal {
 public:
  struct Position {
    std::string kiosk_id;
    std::string incarnation;
    std::int64_t synced_seq = 0;  // HQ holds every event up to here
    std::int64_t last_seq = 0;    // the newest durable event
  };
  virtual ~SyncJournal() = default;
  virtual Result<Position> ReadPosition() = 0;
  // Up to `max_events` events with seq > `after_seq`, in seq order, without holes.
  virtual Result<std::vector<WireEvent>> ReadAfter(std::int64_t after_seq,
                                                   std::size_t max_events) = 0;
  // HQ committed everything up to `high_water`; `rejected` (all at or below it) went to HQ's
  // dead-letter table and are recorded in the kiosk's too; `erased` (seqs at or below it) belong
  // to shoppers HQ has erased, and their personal data must leave the journal before the events
  // are marked synced (sync/protocol/erasure.hpp). Idempotent.
  virtual Result<void> Acknowledge(std::int64_t high_water,
                                   const std::vector<RejectedEvent>& rejected,
                                   const std::vector<std::int64_t>& erased) = 0;
};

struct SyncResponse {
  unsigned status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::optional<std::string> Header(std::string_view name) const;
};

// One exchange with HQ over the kept-alive mutual-TLS connection.
class SyncTransport {
 public:
  virtual ~SyncTransport() = default;
  // `headers` are added to the request. An error means no answer (connect, TLS, deadline).
  virtual boost::asio::awaitable<Result<SyncResponse>> Send(
      const std::string& method, const std::string& target,
      const std::vector<std::pair<std::string, std::string>>& headers, const std::string& body) = 0;
};

// The kiosk's client certificate, as its renewal through HQ needs it
// (sync/protocol/certificate_renewal.hpp). Called on the executor, between exchanges with HQ.
class ClientCertificateHolder {
 public:
  virtual ~ClientCertificateHolder() = default;
  // When the certificate in use is due for renewal (CertificateRenewalDue).
  virtual std::chrono::system_clock::time_point RenewalDue() const = 0;
  // A CSR for the kiosk's device key, naming the kiosk.
  virtual Result<std::string> MakeCsr() const = 0;
  // Takes HQ's renewed certificate into use for the connections from now on and keeps it for
  // the next start. An error keeps the one in use.
  virtual boost::asio::awaitable<Result<void>> Install(std::string certificate_pem) = 0;
};

// Applies a new config bundle on the kiosk (channels, keys, trust list, revocations) and keeps it
// as the last good copy. Called on the blocking pool. An error keeps the previous bundle.
using ConfigBundleApplier = std::function<Result<void>(const ConfigBundle&)>;

struct SyncClientOptions {
  std::size_t max_batch_events = kMaxBatchEvents;
  std::size_t max_batch_bytes = kMaxBatchBytes;  // uncompressed JSON
  std::chrono::milliseconds backoff_base{1000};
  std::chrono::milliseconds backoff_cap{5 * 60 * 1000};
  std::chrono::milliseconds config_interval{60 * 1000};  // config pulls while HQ is reachable
  // Optional: observes, in seconds, each batch from sending to HQ's 200 answer.
  MetricHistogram* batch_upload_seconds = nullptr;
  // Optional: the end of validity (Unix ms) of the kiosk's [https] certificate as served now,
  // sent with every batch (kHttpsNotAfterHeader) so that HQ's kiosk health shows it; nullopt
  // without [https]. Called on the executor.
  std::function<std::optional<std::int64_t>()> https_not_after_ms;
  // Optional: renewed through HQ, after a round that reached HQ, once due; after a failed
  // renewal, tried again `certificate_retry` later (or at RenewCertificateNow()); when HQ was
  // busy (429, 503), after its Retry-After (a minute without one), and when the connection timed
  // out or dropped (kUnavailable: HQ was reachable a moment before), a minute later; at most
  // `certificate_retry`.
  ClientCertificateHolder* client_certificate = nullptr;
  std::chrono::milliseconds certificate_retry{60 * 60 * 1000};
};

struct SyncStatus {
  bool hq_reachable = false;  // the last exchange got an answer
  std::optional<std::chrono::system_clock::time_point> last_success;  // last batch committed
  // The end of the last round that left the kiosk caught up (everything uploaded, config pulled).
  std::optional<std::chrono::system_clock::time_point> last_caught_up;
  std::string last_error;  // empty after a success
  int consecutive_failures = 0;
  std::int64_t batches_sent = 0;
  std::int64_t events_sent = 0;
  // Of events_sent: synced events sent again because HQ's answer listed them as missing (its
  // database was restored from an older backup, say).
  std::int64_t events_resent = 0;
  std::int64_t dead_letters = 0;
  std::optional<std::int64_t> config_version;  // of the bundle in force
  // This kiosk's clock minus HQ's (from the Date of HQ's latest config answer, to within a
  // second); nothing before the first.
  std::optional<std::int64_t> clock_offset_ms;
  // Upload-and-pull rounds begun, and finished (succeeded or not). After SyncNow(), the first
  // round to finish with rounds_finished > the rounds_started read before the call has seen
  // every event committed before it.
  std::int64_t rounds_started = 0;
  std::int64_t rounds_finished = 0;
  // The last renewal of the client certificate that succeeded, since the start; and why the
  // last one failed (empty after a success).
  std::optional<std::chrono::system_clock::time_point> certificate_renewed;
  std::string certificate_renewal_error;
};

// Delay before retry `attempt` (1 for the first retry): exponential backoff with full jitter,
// uniform in [0, min(cap, base * 2^(attempt-1))]. `unit` is a uniform draw in [0, 1).
std::chrono::milliseconds FullJitterBackoff(int attempt, std::chrono::milliseconds base,
                                            std::chrono::milliseconds cap, double unit);

// The delay a Retry-After header asks for: delta-seconds only (HQ sends no dates); nullopt when
// absent or malformed. Capped at `cap`.
std::optional<std::chrono::milliseconds> ParseRetryAfter(std::optional<std::string> value,
                                                         std::chrono::milliseconds cap);

class SyncClient {
 public:
  // Everything passed in outlives the client.
  SyncClient(boost::asio::any_io_executor executor, boost::asio::thread_pool& blocking_pool,
             SyncJournal& journal, SyncTransport& transport, ConfigBundleApplier apply_config,
             SyncClientOptions options, const Clock& clock);

  // Uploads and pulls until Stop(). Spawn it once on the executor.
  boost::asio::awaitable<void> Run();
  // New events are durable: upload now unless backing off from a failure. Any thread.
  void Wake();
  // Ends Run() at its next wait (a batch in flight finishes first). Any thread.
  void Stop();
  // Upload and pull the config at the next opportunity, even while backing off or when no pull
  // is due ("kioskctl sync now").
  void SyncNow();
  // SyncNow(), and renew the client certificate in that round even when not due
  // ("kioskctl sync renew-certificate"). Any thread.
  void RenewCertificateNow();

  SyncStatus Status() const;

  // One round, for tests and for Run(): uploads batches until the journal is caught up. True
  // when caught up; an error when HQ could not be reached or refused (Retry-After, if any, in
  // *retry_after).
  boost::asio::awaitable<Result<void>> UploadUntilCaughtUp(
      std::optional<std::chrono::milliseconds>* retry_after);
  // Pulls the config bundle (If-None-Match with the version in force) and applies a new one; a
  // redeemed list HQ sends in pages, page after page until the last.
  boost::asio::awaitable<Result<void>> PullConfig();
  // The bundle in force before this client started (the kiosk's saved copy): pulls ask
  // If-None-Match its `version`, for the vouchers redeemed after `redeemed_end`, and name the
  // `honoured_digest` it holds, so a restart downloads nothing HQ sent before. Call before the
  // first pull.
  void ResumeConfig(std::int64_t version, RedeemedPosition redeemed_end,
                    std::string honoured_digest);

 private:
  // A batch read from the journal and encoded for the wire.
  struct EncodedBatch {
    std::string incarnation;
    std::int64_t first_seq = 0;
    std::int64_t last_seq = 0;
    std::int64_t journal_last_seq =
        0;                // the journal's newest seq when read (kJournalLastSeqHeader)
    std::string body;     // gzipped JSON
    bool resent = false;  // synced events HQ's answer listed as missing (ReadMissingAndEncode)
  };
  using ReadAheadResult = Result<std::optional<EncodedBatch>>;

  // Blocking: the batch after seq `after` (the journal's synced mark when nullopt) of journal
  // `incarnation` (any when empty), read and encoded; nothing when the journal holds no event
  // after it.
  static ReadAheadResult ReadAndEncode(SyncJournal& journal, const SyncClientOptions& options,
                                       std::optional<std::int64_t> after,
                                       const std::string& incarnation);
  // Blocking: the first batch of events in `missing` (HQ's gaps) that journal `incarnation` still
  // holds, read and encoded; nothing when it holds none of them. Only synced events: a batch never
  // reaches past the synced mark, so the events after it still go out in order, and an
  // acknowledgement of a resent batch never moves the mark.
  static ReadAheadResult ReadMissingAndEncode(SyncJournal& journal,
                                              const SyncClientOptions& options,
                                              const std::string& incarnation,
                                              const std::vector<MissingSeqs>& missing);
  // The journal's `events` (in seq order, without holes) as one batch of the protocol's size.
  static Result<EncodedBatch> Encode(const SyncJournal::Position& position,
                                     const SyncClientOptions& options,
                                     std::vector<WireEvent> events);
  // ReadAndEncode on the blocking pool.
  boost::asio::awaitable<ReadAheadResult> ReadAhead(std::optional<std::int64_t> after,
                                                    std::string incarnation);
  // Sends `batch` and, once HQ committed it, marks it synced. Meanwhile reads and encodes the
  // batch after it into *next, which the caller sends only after this one's answer: one batch in
  // flight, in seq order, and the journal is never called twice at once (the read-ahead runs while
  // the batch is on the wire; the acknowledgement after both).
  // With `next` null, reads nothing ahead. Sets missing_ from HQ's answer.
  boost::asio::awaitable<Result<void>> UploadBatch(
      const EncodedBatch& batch, std::optional<std::chrono::milliseconds>* retry_after,
      ReadAheadResult* next);
  // Sends again, batch by batch, the synced events HQ's latest answer listed as missing that the
  // journal still holds, until HQ misses none that the journal holds.
  boost::asio::awaitable<Result<void>> ResendMissing(
      std::optional<std::chrono::milliseconds>* retry_after);
  // One pull of PullConfig: true when the bundle applied is a page and HQ has more.
  boost::asio::awaitable<Result<bool>> PullConfigPage();
  // From a config pull's kStreamEndHeader: when HQ holds less of the journal than the synced mark
  // (its database restored from an older backup), sets missing_ to the highest synced event past
  // HQ's end that the journal still holds, which ResendMissing then sends again; HQ's answer to it
  // lists the gap below, and the resend goes on. When the journal holds none, logs that once.
  boost::asio::awaitable<Result<void>> CheckHqStreamEnd(const SyncResponse& response);
  // HQ holding less of the journal than its synced mark (CheckHqStreamEnd).
  struct HqShortfall {
    std::string incarnation;  // the journal's
    std::int64_t held = 0;    // where HQ's copy of it ends
    std::int64_t synced = 0;  // the journal's synced mark
    // The event to send again: `synced` when the journal holds it, else the highest of the
    // first batch of events it holds after `held`; none when it holds nothing past `held`.
    std::optional<std::int64_t> probe;
    bool operator==(const HqShortfall&) const = default;
  };
  // Blocking: what HQ, whose copy ends at `hq_end`, lacks of `journal`; nothing when it lacks
  // nothing.
  static Result<std::optional<HqShortfall>> FindShortfall(SyncJournal& journal,
                                                          const SyncClientOptions& options,
                                                          const StreamEnd& hq_end);
  void NoteFailure(const Error& error);
  // After a round that reached HQ: renews the client certificate when due (or `forced`), and
  // records the outcome in the status; a failure does not fail the round.
  boost::asio::awaitable<void> RenewCertificateIfDue(bool forced);
  // Sets `retry_after` to HQ's Retry-After when HQ was busy (429, 503: a kUnavailable error).
  boost::asio::awaitable<Result<void>> RenewCertificate(
      std::optional<std::chrono::milliseconds>* retry_after);
  // transport_.Send, timed into options_.batch_upload_seconds when HQ answered 200.
  boost::asio::awaitable<Result<SyncResponse>> SendTimed(
      const std::string& method, const std::string& target,
      const std::vector<std::pair<std::string, std::string>>& headers, const std::string& body);

  boost::asio::any_io_executor executor_;
  boost::asio::thread_pool& pool_;
  SyncJournal& journal_;
  SyncTransport& transport_;
  ConfigBundleApplier apply_config_;
  const SyncClientOptions options_;
  const Clock& clock_;
  boost::asio::steady_timer timer_;  // the current wait; cancelled to wake up early
  std::mt19937_64 random_;

  mutable std::mutex mutex_;  // guards the fields below (read by Status() from any thread)
  SyncStatus status_;
  bool stopping_ = false;
  bool waiting_for_events_ = false;  // idle (not backing off): Wake() ends the wait
  bool pending_wake_ = false;        // Wake() came during a round: go again at once
  bool sync_now_ = false;
  bool renew_certificate_now_ = false;
  // No renewal attempt before this (set after a failure), unless forced.
  std::optional<std::chrono::steady_clock::time_point> certificate_retry_at_;
  // Where the redeemed vouchers of the applied bundle end (through 0: none yet).
  RedeemedPosition redeemed_end_;
  // The honoured_digest of the applied bundle ("": none), named in pulls.
  std::string honoured_digest_;
  // HQ's gaps in journal incarnation `missing_incarnation_`, from its latest answer. Only the
  // round touches them.
  std::vector<MissingSeqs> missing_;
  std::string missing_incarnation_;
  // HQ's last reported loss of events the journal no longer holds (CheckHqStreamEnd).
  std::optional<HqShortfall> reported_shortfall_;
};

}  // namespace kiosk_edge
