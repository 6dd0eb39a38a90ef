#pragma once

// Wiring of the sync client (sync/client) into kiosk-agent: the journal as the uploader sees it,
// and HQ's config bundle applied to the kiosk.

#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "agent/hq_enrollment.hpp"
#include "agent/journal.hpp"
#include "agent/voucher_check.hpp"
#include "common/https_client.hpp"
#include "sync/client/sync_client.hpp"

namespace kiosk_edge {

// The journal, for the uploader. Events go out exactly as stored.
class JournalSyncSource final : public SyncJournal {
 public:
  explicit JournalSyncSource(Journal& journal) : journal_(journal) {}
  Result<Position> ReadPosition() override;
  Result<std::vector<WireEvent>> ReadAfter(std::int64_t after_seq, std::size_t max_events) override;
  Result<void> Acknowledge(std::int64_t high_water,
                           const std::vector<RejectedEvent>& rejected) override;

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

// The trust list a bundle means for this kiosk: HQ's trusted kiosks and revocations, plus this
// kiosk's own key (a kiosk always accepts its own vouchers unless HQ revoked it).
TrustList TrustListFromBundle(const ConfigBundle& bundle, const std::string& own_kiosk_id,
                              const std::string& own_public_key);

// Applies bundles to the running kiosk and keeps the last good one in `state_dir`/hq-config.json
// (written atomically after it was applied), so a restart offline starts from it.
class HqConfigKeeper {
 public:
  HqConfigKeeper(std::filesystem::path state_dir, TrustStore& trust, std::string own_kiosk_id,
                 std::string own_public_key);
  // Applies the saved bundle, if any (a missing file is not an error).
  Result<void> LoadSaved();
  Result<void> Apply(const ConfigBundle& bundle);

 private:
  Result<void> ApplyInMemory(const ConfigBundle& bundle);

  std::filesystem::path file_;
  TrustStore& trust_;
  std::string own_kiosk_id_;
  std::string own_public_key_;
};

// Everything kiosk-agent runs to sync with HQ once enrolled: the HTTPS connection, the journal
// source, the config keeper and the sync client, spawned on `io`. New events wake the client
// through the journal's commit listener.
class HqSync {
 public:
  static Result<std::unique_ptr<HqSync>> Start(boost::asio::io_context& io,
                                               boost::asio::thread_pool& blocking_pool,
                                               Journal& journal, TrustStore& trust,
                                               const std::filesystem::path& state_dir,
                                               const HqEnrollment& enrollment,
                                               const SyncClientOptions& options);
  // Detaches the journal's commit listener.
  ~HqSync();
  // Ends the client's loop at its next wait (any thread).
  void Stop() { client_->Stop(); }
  SyncStatus Status() const { return client_->Status(); }

 private:
  HqSync(Journal& journal, TrustStore& trust, const std::filesystem::path& state_dir,
         std::string own_public_key)
      : journal_(journal),
        source_(journal),
        keeper_(state_dir, trust, journal.kiosk_id(), std::move(own_public_key)) {}

  Journal& journal_;
  JournalSyncSource source_;
  HqConfigKeeper keeper_;
  std::unique_ptr<HttpsClient> https_;
  std::optional<HttpsSyncTransport> transport_;
  std::unique_ptr<SyncClient> client_;
};

}  // namespace kiosk_edge
