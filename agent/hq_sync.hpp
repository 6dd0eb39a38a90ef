#pragma once

// Wiring of the sync client (sync/client) into kiosk-agent: the journal as the uploader sees it,
// and HQ's config bundle handed to the HqConfigKeeper (hq_config_keeper.hpp).

#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

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
// saved copy already). New events wake the client through the journal's commit listener.
class HqSync {
 public:
  static Result<std::unique_ptr<HqSync>> Start(boost::asio::io_context& io,
                                               boost::asio::thread_pool& blocking_pool,
                                               Journal& journal, HqConfigKeeper& keeper,
                                               const HqEnrollment& enrollment,
                                               const SyncClientOptions& options);
  // Detaches the journal's commit listener.
  ~HqSync();
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

 private:
  explicit HqSync(Journal& journal) : journal_(journal), source_(journal) {}

  Journal& journal_;
  JournalSyncSource source_;
  std::unique_ptr<HttpsClient> https_;
  std::optional<HttpsSyncTransport> transport_;
  std::unique_ptr<SyncClient> client_;
};

}  // namespace kiosk_edge
