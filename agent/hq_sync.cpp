#include "agent/hq_sync.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "common/blocking.hpp"
#include "common/clock.hpp"
#include "common/files.hpp"
#include "common/log.hpp"
#include "common/strings.hpp"
#include "common/tls_certs.hpp"
#include "sync/protocol/certificate_renewal.hpp"
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
  std::unique_ptr<HqSync> sync(new HqSync(journal, blocking_pool, enrollment));
  if (auto noted = sync->NoteCertificate(enrollment.client_certificate_pem); !noted) {
    return Error(ErrorKind::kInvalidArgument,
                 StrCat("the HQ client certificate: ", noted.error().message(),
                        " (enroll the kiosk again)"));
  }
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
  SyncClientOptions with_certificate = options;
  with_certificate.client_certificate = sync.get();
  sync->client_ = std::make_unique<SyncClient>(
      io.get_executor(), blocking_pool, sync->source_, *sync->transport_,
      [&keeper](const ConfigBundle& bundle) { return keeper.Apply(bundle); }, with_certificate,
      SystemClock());
  if (const std::optional<std::int64_t> version = keeper.version()) {
    sync->client_->ResumeConfig(*version, keeper.redeemed_end(), keeper.honoured_digest());
  }
  journal.SetCommitListener([client = sync->client_.get()] { client->Wake(); });
  boost::asio::co_spawn(io, sync->client_->Run(), boost::asio::detached);
  LogInfo("sync", "syncing with HQ at ", enrollment.url);
  return sync;
}

HqSync::~HqSync() { journal_.SetCommitListener(nullptr); }

Result<void> HqSync::NoteCertificate(const std::string& certificate_pem) {
  auto info = ReadCertificate(certificate_pem);
  if (!info) return info.error();
  client_certificate_not_after_ms_ = UnixMs(info->not_after);
  renewal_due_ = CertificateRenewalDue(info->not_before, info->not_after);
  return {};
}

Result<std::string> HqSync::MakeCsr() const {
  return CreateCsr(enrollment_.device_key_pem, journal_.kiosk_id());
}

boost::asio::awaitable<Result<void>> HqSync::Install(std::string certificate_pem) {
  auto info = ReadCertificate(certificate_pem);
  if (!info) co_return info.error().WithContext("HQ's renewed certificate");
  if (info->common_name != journal_.kiosk_id()) {
    co_return Error(ErrorKind::kIo, StrCat("HQ's renewed certificate is for kiosk ",
                                           info->common_name, ", not this one"));
  }
  // The connection checks that the certificate is for the device key before it takes it.
  const std::string previous = enrollment_.client_certificate_pem;
  auto replaced = https_->ReplaceClientCertificate(certificate_pem, enrollment_.device_key_pem);
  if (!replaced) co_return replaced.error().WithContext("HQ's renewed certificate");
  const auto write = [path = enrollment_.state_dir / "hq-client-cert.pem", &certificate_pem] {
    return WriteFileAtomically(path, certificate_pem, 0600);
  };
  Result<void> written = co_await RunBlocking(blocking_pool_, write);
  if (!written) {
    (void)https_->ReplaceClientCertificate(previous, enrollment_.device_key_pem);
    co_return written.error().WithContext("keep the renewed HQ client certificate");
  }
  enrollment_.client_certificate_pem = std::move(certificate_pem);
  if (auto noted = NoteCertificate(enrollment_.client_certificate_pem); !noted) {
    co_return noted.error();
  }
  co_return Result<void>{};
}

Result<bool> HqSync::RenewClientCertificate(const HqEnrollment& renewed) {
  if (renewed.url != enrollment_.url || renewed.ca_pem != enrollment_.ca_pem) {
    return Error(ErrorKind::kConflict, StrCat("the kiosk is now enrolled with ", renewed.url,
                                              " or another CA: restart kiosk-agent to sync there"));
  }
  if (renewed.client_certificate_pem == enrollment_.client_certificate_pem &&
      renewed.device_key_pem == enrollment_.device_key_pem) {
    return false;
  }
  if (auto readable = ReadCertificate(renewed.client_certificate_pem); !readable) {
    return readable.error().WithContext("the renewed HQ client certificate");
  }
  auto replaced =
      https_->ReplaceClientCertificate(renewed.client_certificate_pem, renewed.device_key_pem);
  if (!replaced) return replaced.error();
  enrollment_ = renewed;
  if (auto noted = NoteCertificate(enrollment_.client_certificate_pem); !noted) {
    return noted.error();
  }
  return true;
}

Result<void> HqSyncSlot::Start(const HqEnrollment& enrollment) {
  auto started = start_(enrollment);
  if (!started) return started.error();
  sync_ = std::move(*started);
  return {};
}

void HqSyncSlot::Stop() {
  stopped_ = true;
  if (sync_ != nullptr) sync_->Stop();
}

Result<std::string> HqSyncSlot::ReloadOnce() {
  auto enrollment = LoadHqEnrollment(state_dir_);
  if (!enrollment) return enrollment.error();
  if (!*enrollment) {
    if (sync_ == nullptr) return std::string();
    return Error(ErrorKind::kConflict,
                 "the kiosk's enrollment files are gone: kept the HQ client certificate in use");
  }
  if (sync_ == nullptr) {
    if (stopped_) return Error(ErrorKind::kConflict, "kiosk-agent is stopping: not syncing now");
    if (auto started = Start(**enrollment); !started) return started.error();
    return StrCat("the kiosk enrolled with HQ: syncing with ", (*enrollment)->url);
  }
  auto renewed = sync_->RenewClientCertificate(**enrollment);
  if (!renewed) return renewed.error();
  if (!*renewed) return std::string("the HQ client certificate is unchanged");
  return StrCat(
      "syncing with the renewed HQ client certificate (",
      FormatAge(sync_->client_certificate_not_after_ms() - UnixMs(SystemClock().WallNow())),
      " left)");
}

Result<std::string> HqSyncSlot::Reload(std::string_view trigger) {
  Result<std::string> reloaded = ReloadOnce();
  if (!reloaded && reloaded.error().kind() == ErrorKind::kConflict) {
    LogWarning("sync", trigger, ": ", reloaded.error().message());
  } else if (!reloaded) {
    LogError("sync", trigger, ": HQ enrollment: ", reloaded.error().message());
  } else if (!reloaded->empty()) {
    LogInfo("sync", trigger, ": ", *reloaded);
  }
  return reloaded;
}

}  // namespace kiosk_edge
