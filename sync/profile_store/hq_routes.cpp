#include "sync/profile_store/hq_routes.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <memory>

#include "common/blocking.hpp"
#include "common/crypto.hpp"
#include "common/http_forms.hpp"
#include "common/log.hpp"
#include "common/strings.hpp"
#include "sync/profile_store/admin_audit.hpp"
#include "sync/profile_store/attribution.hpp"
#include "sync/profile_store/attribution_render.hpp"
#include "sync/profile_store/audience.hpp"
#include "sync/profile_store/dashboard_page.hpp"
#include "sync/profile_store/dashboard_session.hpp"
#include "sync/profile_store/hq_api_access.hpp"
#include "sync/profile_store/kiosk_health.hpp"
#include "sync/profile_store/report_time.hpp"

namespace kiosk_edge {
namespace {

using boost::asio::awaitable;

constexpr std::string_view kComponent = "profile-store";

HttpResponse NotCached(HttpResponse response) {
  response.headers.emplace_back("Cache-Control", "no-store");
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return response;
}

HttpResponse JsonError(unsigned status, boost::json::object body) {
  return NotCached(HttpResponse::Json(status, boost::json::serialize(body)));
}

// A refused parameter: the message starts with "<parameter>: " (ParseAttributionQuery).
HttpResponse BadParameter(const Error& error) {
  const std::string& message = error.message();
  const std::size_t colon = message.find(": ");
  boost::json::object body{{"error", message}};
  if (colon != std::string::npos) body["parameter"] = message.substr(0, colon);
  return JsonError(400, std::move(body));
}

HttpResponse ReportFailed(const Error& error) {
  if (error.kind() == ErrorKind::kUnavailable) {
    HttpResponse busy = JsonError(503, {{"error", error.message()}});
    busy.headers.emplace_back("Retry-After", "5");
    return busy;
  }
  LogError(kComponent, error.message());
  return JsonError(500, {{"error", "internal error"}});
}

std::int64_t NowMs(const Clock& clock) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock.WallNow().time_since_epoch())
      .count();
}

awaitable<HttpResponse> Attribution(const HqServices& services, const HttpRequest& request,
                                    const std::string& token_name) {
  const std::int64_t now_ms = NowMs(*services.clock);
  auto query = ParseAttributionQuery(QueryOf(request.target), now_ms);
  if (!query) co_return BadParameter(query.error());
  const auto build = [&services, query = *query, now_ms] {
    return BuildAttributionReport(*services.store, query, services.configured_channels, now_ms);
  };
  Result<AttributionReport> report = co_await RunBlocking(*services.blocking_pool, build);
  if (!report) co_return ReportFailed(report.error());
  LogInfo(kComponent, "attribution for token ", token_name, ": group_by=", GroupingText(*query),
          " model=", ModelText(query->model), ", ", report->rows.size(), " rows in ",
          NowMs(*services.clock) - now_ms, " ms");
  if (query->format == ReportFormat::kCsv) {
    HttpResponse csv = HttpResponse::Text(200, AttributionCsv(*report));
    csv.content_type = "text/csv; charset=utf-8; header=present";
    csv.headers.emplace_back("Content-Disposition", "attachment; filename=\"attribution.csv\"");
    co_return NotCached(std::move(csv));
  }
  co_return NotCached(HttpResponse::Json(200, AttributionJson(*report)));
}

awaitable<HttpResponse> KiosksHealth(const HqServices& services, const HttpRequest& request,
                                     const std::string& token_name) {
  if (!QueryOf(request.target).empty()) {
    co_return JsonError(400, {{"error", "/v1/kiosks/health takes no parameters"}});
  }
  const auto read = [&services] { return ReadKioskHealth(*services.store); };
  Result<std::vector<KioskHealth>> kiosks = co_await RunBlocking(*services.blocking_pool, read);
  if (!kiosks) co_return ReportFailed(kiosks.error());
  LogInfo(kComponent, "kiosk health for token ", token_name, ": ", kiosks->size(), " kiosks");
  co_return NotCached(HttpResponse::Json(
      200, KioskHealthJson(*kiosks, NowMs(*services.clock), services.kiosk_health)));
}

// The channel catalogue the reports group and filter by (MergeChannelCatalogue).
awaitable<HttpResponse> Channels(const HqServices& services, const HttpRequest& request,
                                 const std::string& token_name) {
  if (!QueryOf(request.target).empty()) {
    co_return JsonError(400, {{"error", "/v1/channels takes no parameters"}});
  }
  const auto read = [&services]() -> Result<std::vector<ChannelDefinition>> {
    auto defined = services.store->DefinedChannels();
    if (!defined) return defined.error();
    return MergeChannelCatalogue(std::move(*defined), services.configured_channels);
  };
  Result<std::vector<ChannelDefinition>> channels =
      co_await RunBlocking(*services.blocking_pool, read);
  if (!channels) co_return ReportFailed(channels.error());
  LogInfo(kComponent, "channels for token ", token_name, ": ", channels->size(), " channels");
  boost::json::array list;
  for (const ChannelDefinition& channel : *channels) {
    list.push_back(boost::json::object{{"id", channel.id},
                                       {"name", channel.name},
                                       {"path", channel.path},
                                       {"store", channel.store},
                                       {"campaign", channel.campaign}});
  }
  co_return NotCached(
      HttpResponse::Json(200, boost::json::serialize(boost::json::object{{"channels", list}})));
}

awaitable<HttpResponse> NotRedeemedAudience(const HqServices& services, const HttpRequest& request,
                                            const std::string& token_name) {
  const std::int64_t now_ms = NowMs(*services.clock);
  auto query = ParseAudienceQuery(QueryOf(request.target), now_ms);
  if (!query) co_return BadParameter(query.error());
  // The export and its audit record go together: no audit, no export.
  const auto build = [&services, &token_name, query = *query, now_ms]() -> Result<AudienceReport> {
    auto report =
        BuildNotRedeemedAudience(*services.store, query, services.configured_channels, now_ms);
    if (!report) return report.error();
    const AudienceExportRecord record{0,
                                      token_name,
                                      now_ms,
                                      std::string(kNotRedeemedAudience),
                                      AudienceFilterText(query),
                                      static_cast<std::int64_t>(report->rows.size())};
    if (auto audited = services.store->RecordAudienceExport(record); !audited) {
      return audited.error().WithContext("audience audit");
    }
    return report;
  };
  Result<AudienceReport> report = co_await RunBlocking(*services.blocking_pool, build);
  if (!report) co_return ReportFailed(report.error());
  LogInfo(kComponent, "audience not-redeemed for token ", token_name, ": ",
          AudienceFilterText(*query), ", ", report->rows.size(), " rows");
  if (query->format == ReportFormat::kCsv) {
    HttpResponse csv = HttpResponse::Text(200, AudienceCsv(*report));
    csv.content_type = "text/csv; charset=utf-8; header=present";
    csv.headers.emplace_back("Content-Disposition", "attachment; filename=\"audience.csv\"");
    co_return NotCached(std::move(csv));
  }
  co_return NotCached(HttpResponse::Json(200, AudienceJson(*report)));
}

// The `limit` (1..1000, default 100) of a GET of an audit; `format` may only say json.
Result<int> AuditLimit(const HttpRequest& request) {
  int limit = 100;
  auto fields = ParseFormUrlEncoded(QueryOf(request.target), 2);
  if (!fields) return Error(ErrorKind::kInvalidArgument, "query: malformed");
  for (const auto& [name, value] : *fields) {
    if (name == "format") {
      if (value == "json") continue;
      return Error(ErrorKind::kInvalidArgument, "format: the audit is JSON only");
    }
    if (name != "limit") {
      return Error(ErrorKind::kInvalidArgument, "query: unknown parameter (known: limit, format)");
    }
    int parsed = 0;
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), parsed);
    if (value.empty() || error != std::errc() || end != value.data() + value.size() || parsed < 1 ||
        parsed > 1000) {
      return Error(ErrorKind::kInvalidArgument, "limit: must be 1..1000");
    }
    limit = parsed;
  }
  return limit;
}

awaitable<HttpResponse> AuditLog(const HqServices& services, const HttpRequest& request,
                                 const std::string& token_name) {
  const Result<int> limit = AuditLimit(request);
  if (!limit) co_return BadParameter(limit.error());
  const auto read = [&services, limit = *limit] { return services.store->AudienceExports(limit); };
  Result<std::vector<AudienceExportRecord>> records =
      co_await RunBlocking(*services.blocking_pool, read);
  if (!records) co_return ReportFailed(records.error());
  LogInfo(kComponent, "audit read by token ", token_name, ": ", records->size(), " records");
  co_return NotCached(HttpResponse::Json(200, AudienceExportsJson(*records, 0)));
}

awaitable<HttpResponse> AdminActionsLog(const HqServices& services, const HttpRequest& request,
                                        const std::string& token_name) {
  const Result<int> limit = AuditLimit(request);
  if (!limit) co_return BadParameter(limit.error());
  const auto read = [&services, limit = *limit] { return services.store->AdminActions(limit); };
  Result<std::vector<AdminActionRecord>> records =
      co_await RunBlocking(*services.blocking_pool, read);
  if (!records) co_return ReportFailed(records.error());
  LogInfo(kComponent, "audit of admin actions read by token ", token_name, ": ", records->size(),
          " records");
  co_return NotCached(HttpResponse::Json(200, AdminActionsJson(*records)));
}

// Records the action a subjects endpoint is about to take for `token_name` in the audit of admin
// actions (admin_audit.hpp), on the blocking pool. The action must not run when this fails.
awaitable<Result<void>> AuditApiAction(const HqServices& services, const std::string& token_name,
                                       std::string_view action, const std::string& profile_key) {
  const AdminActionRecord record{
      0, NowMs(*services.clock), ApiTokenActor(token_name), std::string(action), profile_key, ""};
  const auto write = [&services, &record] { return services.store->RecordAdminAction(record); };
  Result<void> recorded = co_await RunBlocking(*services.blocking_pool, write);
  co_return recorded;
}

constexpr char kNotE164[] =
    "phone: must be an E.164 number (+, then 7-15 digits, the first not 0; send + as %2B)";

// One path segment with its %XX escapes decoded; nothing for a malformed escape.
std::optional<std::string> DecodedSegment(std::string_view segment) {
  std::string decoded;
  for (std::size_t i = 0; i < segment.size(); ++i) {
    if (segment[i] != '%') {
      decoded += segment[i];
      continue;
    }
    unsigned value = 0;
    if (i + 2 >= segment.size()) return std::nullopt;
    const auto [end, error] =
        std::from_chars(segment.data() + i + 1, segment.data() + i + 3, value, 16);
    if (error != std::errc() || end != segment.data() + i + 3) return std::nullopt;
    decoded += static_cast<char>(value);
    i += 2;
  }
  return decoded;
}

// POST /v1/subjects/{phone}/withdraw-consent
awaitable<HttpResponse> WithdrawConsent(const HqServices& services, const HttpRequest& request,
                                        const std::string& token_name) {
  constexpr std::string_view kPrefix = "/v1/subjects/";
  const std::string_view path = request.Path();
  const std::string_view segment = path.substr(kPrefix.size(), path.rfind('/') - kPrefix.size());
  std::optional<std::string> phone = DecodedSegment(segment);
  if (!phone) {
    co_return BadParameter(Error(ErrorKind::kInvalidArgument, "phone: malformed %-escape"));
  }
  if (!IsE164(*phone)) {
    SecureWipe(*phone);
    co_return BadParameter(Error(ErrorKind::kInvalidArgument, kNotE164));
  }
  const std::string profile_key = services.store->identity().ProfileKey(*phone);
  SecureWipe(*phone);
  Result<void> audited =
      co_await AuditApiAction(services, token_name, admin_action::kWithdrawConsent, profile_key);
  if (!audited) co_return ReportFailed(audited.error().WithContext("audit of admin actions"));
  const auto withdraw = [&services, &profile_key] {
    return services.store->WithdrawConsent(profile_key);
  };
  Result<StoreBackend::ConsentWithdrawn> withdrawn =
      co_await RunBlocking(*services.blocking_pool, withdraw);
  if (!withdrawn) co_return ReportFailed(withdrawn.error());
  LogInfo(kComponent, "marketing consent withdrawn by token ", token_name,
          withdrawn->profile_known ? " for a known profile" : " for a profile not seen yet");
  co_return NotCached(HttpResponse::Json(
      200, boost::json::serialize(boost::json::object{
               {"profile", profile_key},
               {"profile_known", withdrawn->profile_known},
               {"withdrawn_at", FormatReportTime(withdrawn->withdrawn_at_ms, 0)}})));
}

// DELETE /v1/subjects/{phone}: erasure (StoreBackend::EraseSubject). Always 200 for a valid
// phone, known or not: the tombstone must exist before the shopper's unsynced events arrive.
awaitable<HttpResponse> EraseSubject(const HqServices& services, const HttpRequest& request,
                                     const std::string& token_name) {
  constexpr std::string_view kPrefix = "/v1/subjects/";
  std::optional<std::string> phone = DecodedSegment(request.Path().substr(kPrefix.size()));
  if (!phone) {
    co_return BadParameter(Error(ErrorKind::kInvalidArgument, "phone: malformed %-escape"));
  }
  if (!IsE164(*phone)) {
    SecureWipe(*phone);
    co_return BadParameter(Error(ErrorKind::kInvalidArgument, kNotE164));
  }
  const std::string subject = services.store->identity().ProfileKey(*phone);
  SecureWipe(*phone);
  Result<void> audited =
      co_await AuditApiAction(services, token_name, admin_action::kEraseSubject, subject);
  if (!audited) co_return ReportFailed(audited.error().WithContext("audit of admin actions"));
  const auto erase = [&services, &subject] { return services.store->EraseSubject(subject); };
  Result<bool> had_profile = co_await RunBlocking(*services.blocking_pool, erase);
  if (!had_profile) co_return ReportFailed(had_profile.error());
  LogInfo(kComponent, "subject erased by token ", token_name,
          *had_profile ? " (a known profile)" : " (no profile yet: tombstone kept)");
  co_return NotCached(HttpResponse::Json(
      200, boost::json::serialize(boost::json::object{
               {"subject", subject}, {"erased", true}, {"profile_found", *had_profile}})));
}

awaitable<HttpResponse> StartDashboardSession(const HqServices& services,
                                              const HttpRequest& request,
                                              const std::string& token_name) {
  // Granted by its header (a session cannot open one), whose token hashes to the configured hash.
  const std::string_view token =
      BearerToken(request.Header("authorization").value_or("")).value_or("");
  LogInfo(kComponent, "dashboard session for token ", token_name);
  HqApiToken granted;
  granted.name = token_name;
  granted.hash = HqApiTokenHash(token);
  co_return services.api.dashboard_sessions->Open(granted, UnixMs(services.clock->WallNow()));
}

awaitable<HttpResponse> StopDashboardSession(const HqServices&, const HttpRequest&,
                                             const std::string&) {
  co_return EndDashboardSession();
}

// One HQ endpoint: runs after the token was accepted, with the token's name (for the log).
using HqEndpoint = awaitable<HttpResponse> (*)(const HqServices&, const HttpRequest&,
                                               const std::string&);

struct HqRoute {
  std::string_view method;
  std::string_view path;            // a segment "{...}" matches any one non-empty segment
  std::optional<HqApiScope> scope;  // what the token must allow; nothing: no token needed
  HqEndpoint endpoint;
};

// Every HQ endpoint; an HQ endpoint is added here.
constexpr HqRoute kHqRoutes[] = {
    {"GET", "/v1/attribution", HqApiScope::kReports, &Attribution},
    {"GET", "/v1/channels", HqApiScope::kReports, &Channels},
    {"GET", "/v1/kiosks/health", HqApiScope::kReports, &KiosksHealth},
    {"GET", "/v1/audiences/not-redeemed", HqApiScope::kAudience, &NotRedeemedAudience},
    {"GET", "/v1/audit", HqApiScope::kAudit, &AuditLog},
    {"GET", "/v1/audit/actions", HqApiScope::kAudit, &AdminActionsLog},
    {"POST", "/v1/subjects/{phone}/withdraw-consent", HqApiScope::kSubjects, &WithdrawConsent},
    {"DELETE", "/v1/subjects/{phone}", HqApiScope::kSubjects, &EraseSubject},
    {"POST", kDashboardSessionPath, HqApiScope::kReports, &StartDashboardSession},
    {"DELETE", kDashboardSessionPath, std::nullopt, &StopDashboardSession}};

// True when `path` has the segments of `pattern` (see HqRoute::path).
bool PathMatches(std::string_view pattern, std::string_view path) {
  while (!pattern.empty() && !path.empty()) {
    const std::size_t pattern_end = std::min(pattern.find('/', 1), pattern.size());
    const std::size_t path_end = std::min(path.find('/', 1), path.size());
    const std::string_view want = pattern.substr(0, pattern_end);
    const std::string_view have = path.substr(0, path_end);
    const bool any = want.size() > 2 && want.substr(0, 2) == "/{" && want.back() == '}';
    if (any ? have.size() < 2 : want != have) return false;
    pattern.remove_prefix(pattern_end);
    path.remove_prefix(path_end);
  }
  return pattern.empty() && path.empty();
}

awaitable<HttpResponse> Route(std::shared_ptr<const HqServices> services, HttpHandler next,
                              HttpRequest request) {
  if (std::optional<HttpResponse> page = DashboardResponse(request)) co_return std::move(*page);
  const HqRoute* route = nullptr;
  std::string allowed;  // the methods of the routes whose path matches
  for (const HqRoute& candidate : kHqRoutes) {
    if (!PathMatches(candidate.path, request.Path())) continue;
    allowed += StrCat(allowed.empty() ? "" : ", ", candidate.method);
    if (request.method == candidate.method) route = &candidate;
  }
  if (allowed.empty()) {
    auto answer = next(std::move(request));
    co_return co_await std::move(answer);
  }
  if (route == nullptr) {
    HttpResponse refused = JsonError(405, {{"error", StrCat("use ", allowed)}});
    refused.headers.emplace_back("Allow", allowed);
    co_return refused;
  }
  if (!route->scope) co_return co_await route->endpoint(*services, request, "");
  const std::int64_t now_ms = UnixMs(services->clock->WallNow());
  HqApiCheck check = CheckHqApiRequest(services->api, request, *route->scope, route->path,
                                       HqApiErrorFormat::kJson, now_ms);
  if (check.refusal) co_return NotCached(std::move(*check.refusal));
  co_return co_await route->endpoint(*services, request, check.access.token_name);
}

}  // namespace

std::vector<ChannelDefinition> ChannelDefinitionsOf(std::span<const BundleChannel> channels) {
  std::vector<ChannelDefinition> definitions;
  for (const BundleChannel& channel : channels) {
    definitions.push_back(
        ChannelDefinition{channel.id, channel.name, channel.path, channel.store, channel.campaign});
  }
  return definitions;
}

HttpHandler WithHqRoutes(HqServices services, HttpHandler next) {
  auto shared = std::make_shared<const HqServices>(std::move(services));
  return [shared, next = std::move(next)](HttpRequest request) {
    return Route(shared, next, std::move(request));
  };
}

}  // namespace kiosk_edge
