#include "agent/agent_routes.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "agent/journal_file.hpp"
#include "agent/page_assets.hpp"
#include "common/blocking.hpp"

namespace kiosk_edge {
namespace {

struct HealthReport {
  Result<JournalStats> stats = Error(ErrorKind::kInternal, "not read");
  std::vector<std::filesystem::path> quarantined;
};

HttpResponse RenderHealth(const AgentServices& services, const HealthReport& report) {
  boost::json::object body;
  body["version"] = KIOSK_EDGE_VERSION;
  body["kiosk_id"] = services.journal->kiosk_id();
  body["incarnation"] = services.journal->incarnation();
  boost::json::array quarantined;
  for (const auto& file : report.quarantined) quarantined.emplace_back(file.string());
  body["quarantined"] = std::move(quarantined);

  bool healthy = report.stats.has_value();
  if (report.stats) {
    const JournalStats& stats = *report.stats;
    const bool over_budget = stats.disk_bytes >= static_cast<std::int64_t>(stats.max_disk_bytes);
    healthy = !over_budget;
    body["journal"] = {{"last_seq", stats.last_seq},
                       {"synced_seq", stats.synced_seq},
                       {"unsynced_count", stats.unsynced_count},
                       {"stored_count", stats.stored_count},
                       {"size_bytes", stats.disk_bytes},
                       {"budget_bytes", stats.max_disk_bytes},
                       {"over_budget", over_budget}};
  } else {
    body["journal_error"] = report.stats.error().message();
  }
  body["status"] =
      healthy ? (report.quarantined.empty() ? "ok" : "ok_with_quarantined_journal") : "degraded";
  return HttpResponse::Json(healthy ? 200 : 503, boost::json::serialize(body));
}

// A free coroutine taking its arguments by value: nothing it uses can dangle while suspended.
boost::asio::awaitable<HttpResponse> Route(AgentServices services, HttpRequest request) {
  if (request.Path() == "/healthz") {
    if (request.method != "GET" && request.method != "HEAD") {
      HttpResponse refused = HttpResponse::Text(405, "use GET\n");
      refused.headers.emplace_back("Allow", "GET, HEAD");
      co_return refused;
    }
    const auto read_health = [services] {
      return HealthReport{services.journal->Stats(),
                          ListQuarantinedJournals(services.journal_path)};
    };
    HealthReport report = co_await RunBlocking(*services.blocking_pool, read_health);
    co_return RenderHealth(services, report);
  }
  std::optional<HttpResponse> shopper_page = co_await RouteShopper(*services.shopper, request);
  if (shopper_page) co_return std::move(*shopper_page);
  std::optional<HttpResponse> counter_page = co_await RouteCounter(*services.counter, request);
  if (counter_page) co_return std::move(*counter_page);
  co_return HttpResponse::Text(404, "not found\n");
}

boost::asio::awaitable<HttpResponse> Answer(AgentServices services, HttpRequest request) {
  HttpResponse response = co_await Route(std::move(services), std::move(request));
  AddPageSecurityHeaders(response);
  co_return response;
}

}  // namespace

HttpHandler MakeAgentRoutes(AgentServices services) {
  return [services](HttpRequest request) { return Answer(services, std::move(request)); };
}

}  // namespace kiosk_edge
