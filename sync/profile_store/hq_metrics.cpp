#include "sync/profile_store/hq_metrics.hpp"

#include <chrono>
#include <memory>

#include "common/blocking.hpp"
#include "common/strings.hpp"
#include "sync/profile_store/hq_api_access.hpp"

namespace kiosk_edge {
namespace {

using boost::asio::awaitable;

constexpr std::string_view kBatchPath = "/v1/sync/batch";

struct MetricsRoute {
  HqMetrics* metrics;
  HqApiGate api;
  FleetHealthSource fleet;
  HttpHandler next;
};

// Sets profile_store_kiosks{state} from the fleet's health now.
awaitable<Result<void>> CountKiosks(const MetricsRoute& route) {
  const auto read = [store = route.fleet.store] { return ReadKioskHealth(*store); };
  Result<std::vector<KioskHealth>> kiosks = co_await RunBlocking(*route.fleet.blocking_pool, read);
  if (!kiosks) co_return kiosks.error();
  const std::int64_t now_ms = UnixMs(route.fleet.clock->WallNow());
  std::int64_t attention = 0;
  for (const KioskHealth& kiosk : *kiosks) {
    if (!KioskAttention(kiosk, now_ms, route.fleet.rules).empty()) ++attention;
  }
  constexpr std::string_view kHelp = "Kiosks by kiosk health: ok, or needing attention";
  MetricsRegistry& registry = route.metrics->registry();
  registry.Gauge("profile_store_kiosks", kHelp, {{"state", "ok"}})
      .Set(static_cast<double>(static_cast<std::int64_t>(kiosks->size()) - attention));
  registry.Gauge("profile_store_kiosks", kHelp, {{"state", "attention"}})
      .Set(static_cast<double>(attention));
  co_return Result<void>();
}

awaitable<HttpResponse> Route(std::shared_ptr<const MetricsRoute> route, HttpRequest request) {
  if (request.Path() == "/metrics") {
    if (request.method != "GET") {
      HttpResponse refused = HttpResponse::Text(405, "use GET\n");
      refused.headers.emplace_back("Allow", "GET");
      co_return refused;
    }
    HqApiCheck check =
        CheckHqApiRequest(route->api, request, HqApiScope::kMetrics, "/metrics",
                          HqApiErrorFormat::kText, UnixMs(route->fleet.clock->WallNow()));
    if (check.refusal) co_return std::move(*check.refusal);
    if (Result<void> counted = co_await CountKiosks(*route); !counted) {
      co_return HttpResponse::Text(500, StrCat("kiosk health: ", counted.error().message(), "\n"));
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

HttpHandler WithHqMetrics(HqMetrics* metrics, HqApiGate api, FleetHealthSource fleet,
                          HttpHandler next) {
  auto route =
      std::make_shared<const MetricsRoute>(MetricsRoute{metrics, api, fleet, std::move(next)});
  return [route](HttpRequest request) { return Route(route, std::move(request)); };
}

}  // namespace kiosk_edge
