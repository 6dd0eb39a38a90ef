#include "agent/hq_sync.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "common/log.hpp"
#include "sync/protocol/config_bundle.hpp"

namespace kiosk_edge {

Result<SyncJournal::Position> JournalSyncSource::ReadPosition() {
  const Journal::SyncMarks marks = journal_.Marks();
  return Position{journal_.kiosk_id(), journal_.incarnation(), marks.synced_seq, marks.last_seq};
}

Result<std::vector<WireEvent>> JournalSyncSource::ReadAfter(std::int64_t after_seq,
                                                            std::size_t max_events) {
  auto events = journal_.ReadAfter(after_seq, max_events);
  if (!events) return events.error();
  std::vector<WireEvent> wire;
  wire.reserve(events->size());
  for (JournalEvent& event : *events) {
    wire.push_back(WireEvent{event.seq, std::move(event.type), event.occurred_at_ms,
                             event.monotonic_ns, std::move(event.boot_id),
                             std::move(event.channel_id), event.payload_version,
                             std::move(event.payload_json)});
  }
  return wire;
}

Result<void> JournalSyncSource::Acknowledge(std::int64_t high_water,
                                            const std::vector<RejectedEvent>& rejected,
                                            const std::vector<std::int64_t>& erased) {
  if (!erased.empty()) {
    auto scrubbed = journal_.ScrubErased(erased);
    if (!scrubbed) return scrubbed.error().WithContext("erase personal data HQ erased");
    LogInfo("sync", "HQ erased the shopper of ", erased.size(), " event(s); scrubbed ", *scrubbed,
            " in the journal");
  }
  std::vector<RefusedEvent> letters;
  letters.reserve(rejected.size());
  for (const RejectedEvent& event : rejected) letters.push_back({event.seq, event.reason});
  return journal_.MarkSynced(high_water, letters);
}

boost::asio::awaitable<Result<SyncResponse>> HttpsSyncTransport::Send(
    const std::string& method, const std::string& target,
    const std::vector<std::pair<std::string, std::string>>& headers, const std::string& body) {
  HttpClientRequest request{method, target, headers, body};
  auto response = co_await client_.Send(request);
  if (!response) co_return response.error();
  co_return SyncResponse{response->status, std::move(response->headers), std::move(response->body)};
}

Result<std::unique_ptr<HqSync>> HqSync::Start(boost::asio::io_context& io,
                                              boost::asio::thread_pool& blocking_pool,
                                              Journal& journal, HqConfigKeeper& keeper,
                                              const HqEnrollment& enrollment,
                                              const SyncClientOptions& options) {
  std::unique_ptr<HqSync> sync(new HqSync(journal));
  HttpsClientOptions connection;
  connection.host = enrollment.host;
  connection.port = enrollment.port;
  connection.ca_pem = enrollment.ca_pem;
  connection.client_certificate_pem = enrollment.client_certificate_pem;
  connection.client_private_key_pem = enrollment.device_key_pem;
  // HQ's largest answer is a config bundle: let every bundle the decoder accepts through.
  connection.max_response_body_bytes = kMaxConfigBundleBytes;
  auto https = HttpsClient::Create(io.get_executor(), connection);
  if (!https) return https.error().WithContext("HQ connection");
  sync->https_ = std::move(*https);
  sync->transport_.emplace(*sync->https_);
  sync->client_ = std::make_unique<SyncClient>(
      io.get_executor(), blocking_pool, sync->source_, *sync->transport_,
      [&keeper](const ConfigBundle& bundle) { return keeper.Apply(bundle); }, options,
      SystemClock());
  journal.SetCommitListener([client = sync->client_.get()] { client->Wake(); });
  boost::asio::co_spawn(io, sync->client_->Run(), boost::asio::detached);
  LogInfo("sync", "syncing with HQ at ", enrollment.url);
  return sync;
}

HqSync::~HqSync() { journal_.SetCommitListener(nullptr); }

}  // namespace kiosk_edge
