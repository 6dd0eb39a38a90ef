#include "agent/hq_sync.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "common/files.hpp"
#include "common/log.hpp"

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
                                            const std::vector<RejectedEvent>& rejected) {
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

TrustList TrustListFromBundle(const ConfigBundle& bundle, const std::string& own_kiosk_id,
                              const std::string& own_public_key) {
  TrustList trust;
  for (const auto& [kiosk_id, public_key] : bundle.trusted_kiosks) {
    trust.kiosk_keys.emplace(kiosk_id, public_key);
  }
  trust.kiosk_keys.insert_or_assign(own_kiosk_id, own_public_key);
  trust.revoked_kiosks.insert(bundle.revoked_kiosks.begin(), bundle.revoked_kiosks.end());
  trust.revoked_vouchers.insert(bundle.revoked_vouchers.begin(), bundle.revoked_vouchers.end());
  trust.redeemed_elsewhere.insert(bundle.redeemed_vouchers.begin(), bundle.redeemed_vouchers.end());
  return trust;
}

HqConfigKeeper::HqConfigKeeper(std::filesystem::path state_dir, TrustStore& trust,
                               std::string own_kiosk_id, std::string own_public_key)
    : file_(std::move(state_dir) / "hq-config.json"),
      trust_(trust),
      own_kiosk_id_(std::move(own_kiosk_id)),
      own_public_key_(std::move(own_public_key)) {}

Result<void> HqConfigKeeper::LoadSaved() {
  auto text = ReadSmallFile(file_, 64 << 20);
  if (!text) return text.error().kind() == ErrorKind::kNotFound ? Result<void>() : text.error();
  auto bundle = DecodeConfigBundle(*text);
  if (!bundle) return bundle.error().WithContext(file_.string());
  return ApplyInMemory(*bundle);
}

Result<void> HqConfigKeeper::ApplyInMemory(const ConfigBundle& bundle) {
  trust_.Replace(TrustListFromBundle(bundle, own_kiosk_id_, own_public_key_));
  return {};
}

Result<void> HqConfigKeeper::Apply(const ConfigBundle& bundle) {
  if (auto applied = ApplyInMemory(bundle); !applied) return applied;
  auto text = EncodeConfigBundle(bundle);
  if (!text) return text.error();
  return WriteFileAtomically(file_, *text, 0600);
}

Result<std::unique_ptr<HqSync>> HqSync::Start(boost::asio::io_context& io,
                                              boost::asio::thread_pool& blocking_pool,
                                              Journal& journal, TrustStore& trust,
                                              const std::filesystem::path& state_dir,
                                              const HqEnrollment& enrollment,
                                              const SyncClientOptions& options) {
  const auto own = trust.Current()->kiosk_keys.find(journal.kiosk_id());
  if (own == trust.Current()->kiosk_keys.end()) {
    return Error(ErrorKind::kInternal, "the kiosk's own voucher key is not on its trust list");
  }
  std::unique_ptr<HqSync> sync(new HqSync(journal, trust, state_dir, own->second));
  if (auto saved = sync->keeper_.LoadSaved(); !saved) {
    LogWarning("sync", "HQ's saved config not applied: ", saved.error().message());
  }
  HttpsClientOptions connection;
  connection.host = enrollment.host;
  connection.port = enrollment.port;
  connection.ca_pem = enrollment.ca_pem;
  connection.client_certificate_pem = enrollment.client_certificate_pem;
  connection.client_private_key_pem = enrollment.device_key_pem;
  auto https = HttpsClient::Create(io.get_executor(), connection);
  if (!https) return https.error().WithContext("HQ connection");
  sync->https_ = std::move(*https);
  sync->transport_.emplace(*sync->https_);
  HqConfigKeeper* keeper = &sync->keeper_;
  sync->client_ = std::make_unique<SyncClient>(
      io.get_executor(), blocking_pool, sync->source_, *sync->transport_,
      [keeper](const ConfigBundle& bundle) { return keeper->Apply(bundle); }, options,
      SystemClock());
  journal.SetCommitListener([client = sync->client_.get()] { client->Wake(); });
  boost::asio::co_spawn(io, sync->client_->Run(), boost::asio::detached);
  LogInfo("sync", "syncing with HQ at ", enrollment.url);
  return sync;
}

HqSync::~HqSync() { journal_.SetCommitListener(nullptr); }

}  // namespace kiosk_edge
