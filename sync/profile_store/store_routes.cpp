#include "sync/profile_store/store_routes.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <memory>

#include "common/blocking.hpp"
#include "common/crypto.hpp"
#include "common/http_forms.hpp"
#include "common/json_fields.hpp"
#include "common/log.hpp"
#include "common/strings.hpp"
#include "common/tls_certs.hpp"
#include "sync/profile_store/hq_api_access.hpp"
#include "sync/protocol/certificate_renewal.hpp"
#include "sync/protocol/config_bundle.hpp"
#include "sync/protocol/erasure.hpp"
#include "sync/protocol/wire_grammar.hpp"

namespace kiosk_edge {
namespace {

using boost::asio::awaitable;

constexpr std::string_view kComponent = "profile-store";

HttpResponse JsonError(unsigned status, std::string_view message) {
  return HttpResponse::Json(status,
                            boost::json::serialize(boost::json::object{{"error", message}}));
}

HttpResponse StoreError(const Error& error) {
  switch (error.kind()) {
    case ErrorKind::kInvalidArgument:
      return JsonError(400, error.message());
    case ErrorKind::kNotFound:
      return JsonError(404, error.message());
    case ErrorKind::kConflict:
      return JsonError(409, error.message());
    case ErrorKind::kUnavailable: {
      HttpResponse busy = JsonError(503, error.message());
      busy.headers.emplace_back("Retry-After", "1");
      return busy;
    }
    default:
      LogError(kComponent, error.message());
      return JsonError(500, "internal error");
  }
}

std::uint64_t RandomSerial() {
  auto bytes = RandomBytes(8);
  std::uint64_t serial = 0;
  if (bytes) {
    for (char c : *bytes) serial = (serial << 8) | static_cast<unsigned char>(c);
  }
  return (serial >> 1) | 1;  // positive, never zero
}

// What a CSR asks for, when it is one HQ signs: for an Ed25519 device key. kInvalidArgument
// "csr: ..." otherwise.
Result<CsrInfo> ReadDeviceCsr(std::string_view csr) {
  auto info = ReadCsr(csr);
  if (!info) return Error(ErrorKind::kInvalidArgument, StrCat("csr: ", info.error().message()));
  if (info->key_type != "ED25519") {
    return Error(ErrorKind::kInvalidArgument, "csr: the device key must be Ed25519");
  }
  return info;
}

// A client certificate HQ's CA signed for `kiosk_id`'s CSR, valid for the configured time.
struct IssuedCertificate {
  std::string pem;
  std::string serial;  // as the registry keeps it
  std::int64_t not_after_ms = 0;
};
Result<IssuedCertificate> IssueClientCertificate(const StoreServices& services,
                                                 std::string_view csr, std::string_view kiosk_id) {
  const std::uint64_t serial = RandomSerial();
  auto certificate =
      SignClientCertificate(*services.ca, csr, kiosk_id, serial, services.certificate_validity);
  if (!certificate) return certificate.error();
  auto not_after = CertificateNotAfter(*certificate);
  if (!not_after) return not_after.error().WithContext("the certificate just issued");
  return IssuedCertificate{std::move(*certificate), std::to_string(serial), UnixMs(*not_after)};
}

awaitable<HttpResponse> Enroll(const StoreServices& services, const HttpRequest& request) {
  if (const auto retry_after = services.unknown_credentials->RetryAfter(request.remote_address)) {
    co_return TooManyUnknownCredentials(*retry_after, HqApiErrorFormat::kJson);
  }
  boost::system::error_code parse_error;
  const auto json = boost::json::parse(request.body, parse_error);
  if (parse_error || !json.is_object())
    co_return JsonError(400, "send {\"token\", \"csr\"} as JSON");
  const std::string token = JsonString(json.as_object(), "token");
  const std::string csr = JsonString(json.as_object(), "csr");
  auto info = ReadDeviceCsr(csr);
  if (!info) co_return JsonError(400, info.error().message());

  bool unknown_token = false;
  const auto enroll = [&services, &token, &csr, &info = *info,
                       &unknown_token]() -> Result<IssuedCertificate> {
    auto kiosk_id = services.store->ConsumeEnrollmentToken(token);
    if (!kiosk_id) {
      unknown_token = kiosk_id.error().kind() == ErrorKind::kNotFound;
      return kiosk_id.error();
    }
    if (*kiosk_id != info.common_name) {
      return Error(ErrorKind::kInvalidArgument, StrCat("the token is for kiosk ", *kiosk_id,
                                                       ", the CSR names ", info.common_name));
    }
    auto issued = IssueClientCertificate(services, csr, info.common_name);
    if (!issued) return issued.error();
    if (auto registered = services.store->RegisterKiosk(
            {info.common_name, issued->serial, info.ed25519_public_key, issued->not_after_ms});
        !registered) {
      return registered.error();
    }
    services.access->Enrolled(info.common_name, issued->serial);
    return issued;
  };
  Result<IssuedCertificate> enrolled = co_await RunBlocking(*services.blocking_pool, enroll);
  if (!enrolled) {
    const Error error = enrolled.error();
    LogWarning(kComponent, "enrollment refused: ", error.message());
    if (unknown_token) services.unknown_credentials->Count(request.remote_address);
    co_return StoreError(error.kind() == ErrorKind::kNotFound
                             ? Error(ErrorKind::kInvalidArgument, error.message())
                             : error);
  }
  LogInfo(kComponent, "enrolled kiosk ", info->common_name);
  const boost::json::object body{{"kiosk_id", info->common_name},
                                 {"certificate", enrolled->pem},
                                 {"ca", services.ca->cert_pem},
                                 {"hq_public_key", HexEncode(services.identity->public_key())}};
  co_return HttpResponse::Json(200, boost::json::serialize(body));
}

awaitable<HttpResponse> RenewCertificate(const StoreServices& services,
                                         const HttpRequest& request) {
  if (!request.peer_common_name || !request.peer_certificate_serial) {
    co_return JsonError(403, "a kiosk client certificate is required");
  }
  const std::string kiosk_id = *request.peer_common_name;
  auto csr = DecodeRenewalRequest(request.body);
  if (!csr) co_return JsonError(400, csr.error().message());
  auto info = ReadDeviceCsr(*csr);
  if (!info) co_return JsonError(400, info.error().message());
  if (info->common_name != kiosk_id) {
    co_return JsonError(400, StrCat("csr: names kiosk ", info->common_name,
                                    ", this certificate is for kiosk ", kiosk_id));
  }

  const std::string presented = std::to_string(*request.peer_certificate_serial);
  const auto renew = [&services, &kiosk_id, &presented, &csr = *csr,
                      &info = *info]() -> Result<IssuedCertificate> {
    auto issued = IssueClientCertificate(services, csr, kiosk_id);
    if (!issued) return issued.error();
    if (auto renewed = services.store->RenewKioskCertificate(
            {kiosk_id, presented, info.ed25519_public_key, issued->serial, issued->not_after_ms});
        !renewed) {
      return renewed.error();
    }
    services.access->Renewed(kiosk_id, issued->serial, presented);
    return issued;
  };
  Result<IssuedCertificate> renewed = co_await RunBlocking(*services.blocking_pool, renew);
  if (!renewed) {
    LogWarning(kComponent, "certificate renewal refused: ", renewed.error().message());
    co_return StoreError(renewed.error());
  }
  LogInfo(kComponent, "renewed the client certificate of kiosk ", kiosk_id, ": serial ", presented,
          " -> ", renewed->serial);
  co_return HttpResponse::Json(200, EncodeRenewalAnswer(renewed->pem));
}

// An advisory header's value when it is a decimal number no smaller than `min`; else nothing.
std::optional<std::int64_t> AdvisoryNumber(std::optional<std::string_view> header,
                                           std::int64_t min) {
  if (!header) return std::nullopt;
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(header->data(), header->data() + header->size(), value);
  if (error != std::errc() || end != header->data() + header->size() || value < min) {
    return std::nullopt;
  }
  return value;
}

// The kiosks with a batch being ingested. A kiosk sends one batch at a time (sync/client), so a
// second one at once is refused: one kiosk cannot take every thread of the blocking pool.
class BatchesInFlight {
 public:
  // True when `kiosk_id` had no batch in flight; from now on it has, until Finish(kiosk_id).
  bool Start(const std::string& kiosk_id) {
    std::lock_guard lock(mutex_);
    return kiosks_.insert(kiosk_id).second;
  }
  void Finish(const std::string& kiosk_id) {
    std::lock_guard lock(mutex_);
    kiosks_.erase(kiosk_id);
  }

 private:
  std::mutex mutex_;
  std::set<std::string> kiosks_;
};

// Finishes a started batch when it goes out of scope, however the coroutine ends.
class BatchInFlight {
 public:
  BatchInFlight(BatchesInFlight& batches, std::string kiosk_id)
      : batches_(batches), kiosk_id_(std::move(kiosk_id)) {}
  BatchInFlight(const BatchInFlight&) = delete;
  BatchInFlight& operator=(const BatchInFlight&) = delete;
  ~BatchInFlight() { batches_.Finish(kiosk_id_); }

 private:
  BatchesInFlight& batches_;
  const std::string kiosk_id_;
};

struct IngestOutcome {
  Result<BatchAnswer> answer = Error(ErrorKind::kInternal, "not run");
  bool wrong_kiosk = false;
  std::string batch_kiosk;
  std::optional<std::chrono::seconds> over_quota;  // until the kiosk's day ends
};

awaitable<HttpResponse> IngestBatch(const StoreServices& services, BatchesInFlight& in_flight,
                                    const HttpRequest& request) {
  if (!request.peer_common_name) co_return JsonError(403, "a kiosk client certificate is required");
  const std::string peer = *request.peer_common_name;
  if (!in_flight.Start(peer)) {
    HttpResponse busy = JsonError(
        429, StrCat("kiosk ", peer, " already has a batch being stored; send one at a time"));
    busy.headers.emplace_back("Retry-After", "1");
    co_return busy;
  }
  const BatchInFlight started(in_flight, peer);
  const std::optional<std::string_view> journal_last_seq = request.Header(kJournalLastSeqHeader);
  const std::optional<std::int64_t> https_not_after_ms =
      AdvisoryNumber(request.Header(kHttpsNotAfterHeader), 1);
  std::optional<std::int64_t> client_certificate_not_after_ms;
  if (request.peer_certificate_not_after) {
    client_certificate_not_after_ms = UnixMs(*request.peer_certificate_not_after);
  }
  const auto ingest = [&services, &body = request.body, peer, journal_last_seq, https_not_after_ms,
                       client_certificate_not_after_ms] {
    IngestOutcome outcome;
    auto batch = DecodeBatch(body);
    if (!batch) {
      outcome.answer = batch.error();
      return outcome;
    }
    batch->journal_last_seq = AdvisoryNumber(journal_last_seq, batch->last_seq);
    batch->https_not_after_ms = https_not_after_ms;
    batch->client_certificate_not_after_ms = client_certificate_not_after_ms;
    if (batch->kiosk_id != peer) {
      outcome.wrong_kiosk = true;
      outcome.batch_kiosk = batch->kiosk_id;
      return outcome;
    }
    if (services.kiosk_events) {
      outcome.over_quota = services.kiosk_events->Charge(peer, batch->events.size());
      if (outcome.over_quota) {
        // For kiosk health on every instance; the refusal stands even if this is not noted.
        const std::int64_t now_ms = UnixMs(services.clock->WallNow());
        const std::int64_t until_ms =
            now_ms +
            std::chrono::duration_cast<std::chrono::milliseconds>(*outcome.over_quota).count();
        if (auto noted = services.store->NoteEventsRefused(peer, now_ms, until_ms); !noted) {
          LogWarning(kComponent, "could not note kiosk ", peer,
                     "'s refused batches: ", noted.error().message());
        }
        return outcome;
      }
    }
    outcome.answer = services.store->Ingest(*batch, services.blocking_pool);
    // Nothing was stored: the kiosk sends the batch again, to be charged then.
    if (!outcome.answer && services.kiosk_events) {
      services.kiosk_events->Refund(peer, batch->events.size());
    }
    return outcome;
  };
  IngestOutcome outcome = co_await RunBlocking(*services.blocking_pool, ingest);
  if (outcome.wrong_kiosk) {
    LogWarning(kComponent, "kiosk ", peer, " sent events of kiosk ", outcome.batch_kiosk);
    co_return JsonError(
        403, StrCat("this certificate is for kiosk ", peer, ", not ", outcome.batch_kiosk));
  }
  if (outcome.over_quota) {
    const std::string seconds = std::to_string(outcome.over_quota->count());
    LogWarning(kComponent, "kiosk ", peer,
               " has sent its events for the day ([server] kiosk_events_per_day); its batches "
               "are refused for ",
               seconds, " s");
    HttpResponse over = JsonError(
        429, StrCat("kiosk ", peer, " has sent as many events as HQ takes from a kiosk in a day; ",
                    "send again in ", seconds, " s"));
    over.headers.emplace_back("Retry-After", seconds);
    co_return over;
  }
  if (!outcome.answer) co_return StoreError(outcome.answer.error());
  // Kiosks that do not announce a feature would refuse its member (sync/protocol/batch.hpp).
  const std::optional<std::string_view> features = request.Header(kSyncFeaturesHeader);
  if (!ListsSyncFeature(features, kSyncFeatureErasure)) outcome.answer->erased.clear();
  if (!ListsSyncFeature(features, kSyncFeatureRefill)) outcome.answer->missing.clear();
  auto encoded = EncodeAnswer(*outcome.answer);
  if (!encoded) co_return StoreError(encoded.error());
  co_return HttpResponse::Json(200, std::move(*encoded));
}

// The redeemed vouchers the kiosk holds, from the config pull's query
// `redeemed_through=N&redeemed_through_key=K` (config_bundle.hpp); through 0 (none) when absent.
Result<RedeemedPosition> RedeemedHeldOf(const FormFields& query) {
  const std::optional<std::string_view> text = FindField(query, kRedeemedThroughParameter);
  const std::optional<std::string_view> key = FindField(query, kRedeemedThroughKeyParameter);
  if (!text && !key) return RedeemedPosition{};
  const std::optional<std::int64_t> through = AdvisoryNumber(text, 0);
  if (!through) {
    return Error(ErrorKind::kInvalidArgument,
                 StrCat(kRedeemedThroughParameter, " must be a whole number of at least 0"));
  }
  if (*through > 0 && !(key && wire::IsVoucherKey(*key))) {
    return Error(ErrorKind::kInvalidArgument,
                 StrCat(kRedeemedThroughKeyParameter,
                        " must name the voucher at redeemed_through (<kiosk id>/<voucher id>)"));
  }
  if (*through == 0) return RedeemedPosition{};
  return RedeemedPosition{*through, std::string(*key)};
}

// The honoured_digest the config pull's query names (config_bundle.hpp); "" when none.
Result<std::string> HonouredHeldOf(const FormFields& query) {
  const std::optional<std::string_view> digest = FindField(query, kHonouredDigestParameter);
  if (!digest) return std::string();
  if (!wire::IsLowerHex(*digest, 64)) {
    return Error(ErrorKind::kInvalidArgument,
                 StrCat(kHonouredDigestParameter, " must be 64 lower-case hex digits"));
  }
  return std::string(*digest);
}

// Logs what /healthz finds when it changes (a new reason to fail, or ok again), not at every
// probe: a load balancer may probe every second.
void LogHealth(LogOnChange& log, const Result<void>& health) {
  const std::string reason = health ? "" : health.error().message();
  if (!log.Changed(reason)) return;
  if (reason.empty()) {
    LogInfo(kComponent, "health check: ok again");
  } else {
    LogWarning(kComponent, "health check: ", reason);
  }
}

// 200 while the database can be read (and on PostgreSQL written); 503 when it cannot, with the
// reason in the log only (the request needs no credentials).
awaitable<HttpResponse> Health(const StoreServices& services, LogOnChange& log) {
  Result<void> reachable = co_await RunBlocking(
      *services.blocking_pool, [&services] { return services.store->CheckReachable(); });
  LogHealth(log, reachable);
  if (!reachable) co_return HttpResponse::Json(503, R"({"status":"storage_unavailable"})");
  co_return HttpResponse::Json(200, R"({"status":"ok"})");
}

awaitable<HttpResponse> ServeConfig(const StoreServices& services, const HttpRequest& request) {
  if (!request.peer_common_name) co_return JsonError(403, "a kiosk client certificate is required");
  const std::optional<std::string_view> features = request.Header(kSyncFeaturesHeader);
  // Kiosks without the feature get the whole list, in the form they read (config_bundle.hpp).
  const bool redeemed_delta = ListsSyncFeature(features, kSyncFeatureRedeemedDelta);
  const bool refill = ListsSyncFeature(features, kSyncFeatureRefill);
  const bool honoured = ListsSyncFeature(features, kSyncFeatureHonouredVouchers);
  // The query names what the kiosk holds; kiosks without these features send none.
  FormFields query;
  if (redeemed_delta || honoured) {
    auto fields = ParseFormUrlEncoded(QueryOf(request.target), 4);
    if (!fields) co_return JsonError(400, fields.error().message());
    query = std::move(*fields);
  }
  std::optional<RedeemedPosition> redeemed_held;
  if (redeemed_delta) {
    auto held = RedeemedHeldOf(query);
    if (!held) co_return JsonError(400, held.error().message());
    redeemed_held = std::move(*held);
  }
  std::string honoured_held;
  if (honoured) {
    auto held = HonouredHeldOf(query);
    if (!held) co_return JsonError(400, held.error().message());
    honoured_held = std::move(*held);
  }
  std::optional<StreamEnd> stream_end;
  // The kiosk's clock minus HQ's, as the pull arrives (the network's delay is well below what
  // kiosk health warns of).
  std::optional<std::int64_t> clock_offset_ms;
  if (const auto kiosk_clock_ms = AdvisoryNumber(request.Header(kKioskClockHeader), 1)) {
    clock_offset_ms = *kiosk_clock_ms - UnixMs(services.clock->WallNow());
  }
  const auto make = [&services, &kiosk_id = *request.peer_common_name, &redeemed_held,
                     &honoured_held, refill, &stream_end, clock_offset_ms] {
    // A config pull is how a kiosk with nothing to send shows HQ it is alive (kiosk health).
    if (auto noted = services.store->NoteContact(kiosk_id, clock_offset_ms); !noted) {
      LogWarning(kComponent, "kiosk ", kiosk_id,
                 ": last contact not recorded: ", noted.error().message());
    }
    if (refill) {
      auto end = services.store->StreamEndOf(kiosk_id);
      if (end) {
        stream_end = std::move(*end);
      } else {  // the header is left out: the kiosk learns at a later pull
        LogWarning(kComponent, "kiosk ", kiosk_id,
                   ": where its events end at HQ not read: ", end.error().message());
      }
    }
    return services.bundles->Current(*services.store, *services.identity, *services.clock, kiosk_id,
                                     redeemed_held, honoured_held);
  };
  Result<ConfigBundle> bundle = co_await RunBlocking(*services.blocking_pool, make);
  if (!bundle) co_return StoreError(bundle.error());
  const std::string etag = ConfigBundleEtag(bundle->version);
  const auto with_headers = [&etag, &stream_end](HttpResponse response) {
    response.headers.emplace_back("ETag", etag);
    if (stream_end) response.headers.emplace_back(kStreamEndHeader, EncodeStreamEnd(*stream_end));
    return response;
  };
  if (KioskHoldsBundle(*bundle, request.Header("if-none-match"), redeemed_held)) {
    co_return with_headers(HttpResponse::Text(304, ""));
  }
  // The same version either way: it covers erased_events (sync/protocol/erasure.hpp) and
  // honoured_vouchers (config_bundle.hpp), which older kiosks would refuse.
  if (!ListsSyncFeature(features, kSyncFeatureErasure)) bundle->erased_events.clear();
  if (!honoured) {
    bundle->honoured_vouchers.clear();
    bundle->honoured_digest.clear();
  }
  auto encoded = EncodeConfigBundle(
      *bundle, redeemed_delta ? ConfigBundleWire::kRedeemed : ConfigBundleWire::kRedeemedKeys);
  if (!encoded) co_return StoreError(encoded.error());
  co_return with_headers(HttpResponse::Json(200, std::move(*encoded)));
}

awaitable<HttpResponse> Route(StoreServices services, std::shared_ptr<LogOnChange> health_log,
                              std::shared_ptr<BatchesInFlight> in_flight, HttpRequest request) {
  const std::string_view path = request.Path();
  if (path == "/v1/sync/batch" && request.method == "POST") {
    co_return co_await IngestBatch(services, *in_flight, request);
  }
  if (path == "/v1/sync/config" && request.method == "GET") {
    co_return co_await ServeConfig(services, request);
  }
  if (path == kCertificateRenewalPath && request.method == "POST") {
    co_return co_await RenewCertificate(services, request);
  }
  if (path == "/v1/enroll" && request.method == "POST")
    co_return co_await Enroll(services, request);
  if (path == "/healthz" && request.method == "GET") {
    co_return co_await Health(services, *health_log);
  }
  co_return JsonError(404, "not found");
}

}  // namespace

Result<void> KioskAccess::Refresh(StoreBackend& store) {
  auto kiosks = store.Kiosks();
  if (!kiosks) return kiosks.error();
  std::map<std::string, GoodSerials, std::less<>> good;
  for (const KioskRecord& kiosk : *kiosks) {
    if (!kiosk.revoked) {
      good.emplace(kiosk.kiosk_id, GoodSerials{kiosk.cert_serial, kiosk.previous_cert_serial});
    }
  }
  std::lock_guard lock(mutex_);
  good_ = std::move(good);
  return {};
}

void KioskAccess::Enrolled(const std::string& kiosk_id, const std::string& serial) {
  std::lock_guard lock(mutex_);
  good_.insert_or_assign(kiosk_id, GoodSerials{serial, ""});
}

void KioskAccess::Renewed(const std::string& kiosk_id, const std::string& serial,
                          const std::string& previous_serial) {
  std::lock_guard lock(mutex_);
  good_.insert_or_assign(kiosk_id, GoodSerials{serial, previous_serial});
}

bool KioskAccess::IsRevoked(std::string_view kiosk_id, std::uint64_t serial) const {
  const std::string text = std::to_string(serial);
  std::lock_guard lock(mutex_);
  const auto found = good_.find(kiosk_id);
  return found == good_.end() || (found->second.current != text && found->second.previous != text);
}

HttpHandler MakeStoreRoutes(StoreServices services) {
  auto health_log = std::make_shared<LogOnChange>();
  auto in_flight = std::make_shared<BatchesInFlight>();
  return [services, health_log, in_flight](HttpRequest request) {
    return Route(services, health_log, in_flight, std::move(request));
  };
}

}  // namespace kiosk_edge
