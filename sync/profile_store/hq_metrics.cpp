#include "sync/profile_store/hq_metrics.hpp"

#include <chrono>
#include <memory>

#include "common/strings.hpp"

namespace kiosk_edge {
namespace {

using boost::asio::awaitable;

constexpr std::string_view kBatchPath = "/v1/sync/batch";

struct MetricsRoute {
  HqMetrics* metrics;
  HqApiTokens tokens;
  HttpHandler next;
};

HttpResponse Unauthorized(bool token_presented) {
  HttpResponse response = HttpResponse::Text(
      401, token_presented ? "the bearer token is not valid\n"
                           : "an HQ API token is required (Authorization: Bearer ...)\n");
  response.headers.emplace_back(
      "WWW-Authenticate", token_presented ? R"(Bearer realm="kiosk-edge HQ", error="invalid_token")"
                                          : R"(Bearer realm="kiosk-edge HQ")");
  return response;
}

awaitable<HttpResponse> Route(std::shared_ptr<const MetricsRoute> route, HttpRequest request) {
  if (request.Path() == "/metrics") {
    if (request.method != "GET") {
      HttpResponse refused = HttpResponse::Text(405, "use GET\n");
      refused.headers.emplace_back("Allow", "GET");
      co_return refused;
    }
    const auto authorization = request.Header("authorization");
    if (!route->tokens.Authenticate(authorization)) {
      co_return Unauthorized(authorization.has_value());
    }
    HttpResponse response = HttpResponse::Text(200, route->metrics->registry().Render());
    response.content_type = std::string(kPrometheusContentType);
    co_return response;
  }
  const bool batch = request.method == "POST" && request.Path() == kBatchPath;
  const auto start = std::chrono::steady_clock::now();
  auto answer = route->next(std::move(request));
  HttpResponse response = co_await std::move(answer);
  if (batch && response.status == 200) {
    route->metrics->batch_ingest_seconds().Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  co_return response;
}

}  // namespace

HqMetrics::HqMetrics()
    : batch_ingest_seconds_(
          registry_.Histogram("profile_store_batch_ingest_seconds",
                              "Time to decode, ingest and commit one kiosk batch answered 200",
                              LatencyBucketsSeconds())) {}

void HqMetrics::CountResponse(unsigned status) {
  registry_
      .Counter("profile_store_http_responses_total", "HTTP responses written, by status code",
               {{"code", StrCat(status)}})
      .Increment();
}

HttpHandler WithHqMetrics(HqMetrics* metrics, HqApiTokens tokens, HttpHandler next) {
  auto route = std::make_shared<const MetricsRoute>(
      MetricsRoute{metrics, std::move(tokens), std::move(next)});
  return [route](HttpRequest request) { return Route(route, std::move(request)); };
}

}  // namespace kiosk_edge
