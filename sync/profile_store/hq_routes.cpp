#include "sync/profile_store/hq_routes.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <memory>

#include "common/blocking.hpp"
#include "common/http_forms.hpp"
#include "common/log.hpp"
#include "common/strings.hpp"
#include "sync/profile_store/attribution.hpp"
#include "sync/profile_store/attribution_render.hpp"

namespace kiosk_edge {
namespace {

using boost::asio::awaitable;

constexpr std::string_view kComponent = "profile-store";

HttpResponse NotCached(HttpResponse response) {
  response.headers.emplace_back("Cache-Control", "no-store");
  return response;
}

HttpResponse JsonError(unsigned status, boost::json::object body) {
  return NotCached(HttpResponse::Json(status, boost::json::serialize(body)));
}

// RFC 6750 section 3: invalid_token only when a token was presented.
HttpResponse Unauthorized(bool token_presented) {
  HttpResponse response = JsonError(
      401,
      {{"error", token_presented ? "the bearer token is not valid"
                                 : "an HQ API token is required (Authorization: Bearer ...)"}});
  response.headers.emplace_back(
      "WWW-Authenticate", token_presented ? R"(Bearer realm="kiosk-edge HQ", error="invalid_token")"
                                          : R"(Bearer realm="kiosk-edge HQ")");
  return response;
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

// One HQ endpoint: runs after the token was accepted, with the token's name (for the log).
using HqEndpoint = awaitable<HttpResponse> (*)(const HqServices&, const HttpRequest&,
                                               const std::string&);

struct HqRoute {
  std::string_view path;
  HqEndpoint endpoint;
};

// Every HQ endpoint (GET only); an HQ endpoint is added here.
constexpr HqRoute kHqRoutes[] = {{"/v1/attribution", &Attribution}};

awaitable<HttpResponse> Route(std::shared_ptr<const HqServices> services, HttpHandler next,
                              HttpRequest request) {
  const HqRoute* route = nullptr;
  for (const HqRoute& candidate : kHqRoutes) {
    if (request.Path() == candidate.path) route = &candidate;
  }
  if (route == nullptr) {
    auto answer = next(std::move(request));
    co_return co_await std::move(answer);
  }
  if (request.method != "GET") {
    HttpResponse refused = JsonError(405, {{"error", "use GET"}});
    refused.headers.emplace_back("Allow", "GET");
    co_return refused;
  }
  const auto authorization = request.Header("authorization");
  const std::optional<std::string> token_name = services->tokens.Authenticate(authorization);
  if (!token_name) co_return Unauthorized(authorization.has_value());
  co_return co_await route->endpoint(*services, request, *token_name);
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
