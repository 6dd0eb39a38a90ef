#pragma once

// Wiring of the sync client (sync/client) into kiosk-agent: the journal as the uploader sees it,
// and HQ's config bundle handed to the HqConfigKeeper (hq_config_keeper.hpp).

#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "agent/hq_config_keeper.hpp"
#include "agent/hq_enrollment.hpp"
#include "agent/journal.hpp"
#include "common/https_client.hpp"
#include "sync/client/sync_client.hpp"

namespace kiosk_edge {

// The journal, for the uploader. Events go out exactly as stored.
class JournalSyncSource final : public SyncJournal {
 public:
  explicit JournalSyncSource(Journal& journal) : journal_(journal) {}
  Result<Position> ReadPosition() override;
  Result<std::vector<WireEvent>> ReadAfter(std::int64_t after_seq, std::size_t max_events) override;
  // Scrubs `erased` first, then marks synced: a crash between the two sends the batch again.
  Result<void> Acknowledge(std::int64_t high_water, const std::vector<RejectedEvent>& rejected,
                           const std::vector<std::int64_t>& erased) override;

 private:
  Journal& journal_;
};

// The sync client's exchanges, over the kept-alive mutual-TLS connection to HQ.
class HttpsSyncTransport final : public SyncTransport {
 public:
  explicit HttpsSyncTransport(HttpsClient& client) : client_(client) {}
  boost::asio::awaitable<Result<SyncResponse>> Send(
      const std::string& method, const std::string& target,
      const std::vector<std::pair<std::string, std::string>>& headers,
      const std::string& body) override;

 private:
  HttpsClient& client_;
};

// Everything kiosk-agent runs to sync with HQ once enrolled: the HTTPS connection, the journal
// source and the sync client, spawned on `io`; bundles go to `keeper` (which has applied the
// saved copy already; the client resumes from it). New events wake the client through the
// journal's commit listener. It holds the client certificate, which the client renews through HQ
// when due (sync/protocol/certificate_renewal.hpp), into hq-client-cert.pem.
// Start's error names the client certificate when it does not load. Use it on `io`'s thread.
class HqSync final : public ClientCertificateHolder {
 public:
  static Result<std::unique_ptr<HqSync>> Start(boost::asio::io_context& io,
                                               boost::asio::thread_pool& blocking_pool,
                                               Journal& journal, HqConfigKeeper& keeper,
                                               const HqEnrollment& enrollment,
                                               const SyncClientOptions& options);
  // Detaches the journal's commit listener.
  ~HqSync() override;
  // Ends the client's loop at its next wait (any thread).
  void Stop() { client_->Stop(); }
  SyncStatus Status() const { return client_->Status(); }
  // Whether a round (a config pull or an upload) has started and not finished.
  bool RoundInFlight() const {
    const SyncStatus status = client_->Status();
    return status.rounds_started > status.rounds_finished;
  }
  // Upload and pull now, even while backing off (any thread).
  void SyncNow() { client_->SyncNow(); }
  // SyncNow(), renewing the client certificate in that round even when not due (any thread).
  void RenewCertificateNow() { client_->RenewCertificateNow(); }

  // ClientCertificateHolder, for the sync client.
  std::chrono::system_clock::time_point RenewalDue() const override { return renewal_due_; }
  Result<std::string> MakeCsr() const override;
  // Checks that `certificate_pem` is this kiosk's for its device key, uses it for the next
  // connection, then writes hq-client-cert.pem (on the blocking pool); if that write fails, the
  // certificate before stays in use (HQ accepts it until it ends) and the error is returned.
  boost::asio::awaitable<Result<void>> Install(std::string certificate_pem) override;

  // The end (Unix ms) of the client certificate in use.
  std::int64_t client_certificate_not_after_ms() const { return client_certificate_not_after_ms_; }
  // After `kioskctl enroll` certified this kiosk again with the same HQ (HQ then refuses the
  // certificate before): `renewed`'s client certificate for the connections from now on. False
  // when it is the one in use already. kConflict when `renewed` names another HQ (its URL or CA:
  // that takes a restart); the certificate's own error when it does not load. On an error the
  // one in use stays.
  Result<bool> RenewClientCertificate(const HqEnrollment& renewed);

 private:
  HqSync(Journal& journal, boost::asio::thread_pool& blocking_pool, HqEnrollment enrollment)
      : journal_(journal),
        blocking_pool_(blocking_pool),
        source_(journal),
        enrollment_(std::move(enrollment)) {}
  // Takes `certificate_pem` as the one in use (its times; the connection is the caller's).
  Result<void> NoteCertificate(const std::string& certificate_pem);

  Journal& journal_;
  boost::asio::thread_pool& blocking_pool_;
  JournalSyncSource source_;
  std::unique_ptr<HttpsClient> https_;
  std::optional<HttpsSyncTransport> transport_;
  std::unique_ptr<SyncClient> client_;
  HqEnrollment enrollment_;  // in use
  std::int64_t client_certificate_not_after_ms_ = 0;
  std::chrono::system_clock::time_point renewal_due_;
};

// kiosk-agent's sync with HQ: none until the kiosk is enrolled. Started at start, or when the
// kiosk enrolls while the agent runs (`kioskctl enroll`, SIGHUP); renewed when it enrolls again.
// Use it on the I/O thread.
class HqSyncSlot {
 public:
  // HqSync::Start with the agent's journal, keeper and options, after what the agent does first
  // for an enrollment (personal data sealed for that HQ's key).
  using Starter = std::function<Result<std::unique_ptr<HqSync>>(const HqEnrollment&)>;
  HqSyncSlot(std::filesystem::path state_dir, Starter start)
      : state_dir_(std::move(state_dir)), start_(std::move(start)) {}

  // The sync in progress; nullptr while the kiosk is not enrolled.
  HqSync* get() const { return sync_.get(); }
  // Starts syncing with `enrollment` (at start). Start's error when it cannot.
  Result<void> Start(const HqEnrollment& enrollment);
  // Reads the kiosk's enrollment in the state folder again (SIGHUP; `kioskctl enroll` on a running
  // agent): starts syncing if the kiosk enrolled since, or renews the client certificate. What
  // happened, also logged after "<trigger>: " ("" when the kiosk is not enrolled and nothing
  // happened), or the error, logged too: kConflict when it takes a restart (another HQ, or the
  // enrollment files gone), the loader's or Start's otherwise. On an error what is in use stays.
  Result<std::string> Reload(std::string_view trigger);
  // Ends the sync's loop at its next wait, and starts none from now on (the agent is stopping).
  void Stop();
  // Destroys the sync (at the end, before what it uses goes away).
  void Reset() { sync_.reset(); }

 private:
  Result<std::string> ReloadOnce();

  const std::filesystem::path state_dir_;
  const Starter start_;
  std::unique_ptr<HqSync> sync_;
  bool stopped_ = false;
};

}  // namespace kiosk_edge
