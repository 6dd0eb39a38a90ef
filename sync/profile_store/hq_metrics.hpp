#pragma once

// profile-store's metrics, in Prometheus text format (text/plain; version=0.0.4):
//   profile_store_http_responses_total{code}   every response written, the server's own included
//   profile_store_batch_ingest_seconds         POST /v1/sync/batch answered 200: from the request
//                                              reaching the handler to its answer (decode, ingest,
//                                              commit)
//   profile_store_kiosks{state}                the kiosks of kiosk health (kiosk_health.hpp) as of
//                                              the scrape: state "ok" or "attention" (any reason),
//                                              so that an alert can fire on attention > 0
// served at GET /metrics behind an HQ API bearer token with the scope "metrics"
// (hq_api_tokens.hpp), like the other HQ endpoints: profile-store listens on the network, and its
// traffic figures are HQ's business. Refused as hq_api_access.hpp says (429, 401, 403).

#include <boost/asio/thread_pool.hpp>

#include "common/clock.hpp"
#include "common/http_types.hpp"
#include "common/metrics.hpp"
#include "sync/profile_store/hq_api_access.hpp"
#include "sync/profile_store/kiosk_health.hpp"
#include "sync/profile_store/store_backend.hpp"

namespace kiosk_edge {

class HqMetrics {
 public:
  HqMetrics();
  MetricsRegistry& registry() { return registry_; }
  MetricHistogram& batch_ingest_seconds() { return batch_ingest_seconds_; }
  // For HttpServer::ObserveResponses. Quick.
  void CountResponse(unsigned status);

 private:
  MetricsRegistry registry_;
  MetricHistogram& batch_ingest_seconds_;
};

// Where a scrape reads the fleet's health: `store` on `blocking_pool`, judged by `rules` at
// `clock`'s time. All outlive the handler.
struct FleetHealthSource {
  StoreBackend* store;
  boost::asio::thread_pool* blocking_pool;
  const Clock* clock;
  KioskHealthRules rules;
};

// Serves GET /metrics and times batch ingests; hands every request but /metrics to `next`.
// `metrics` outlives the handler. A scrape whose health read fails answers 500.
HttpHandler WithHqMetrics(HqMetrics* metrics, HqApiGate api, FleetHealthSource fleet,
                          HttpHandler next);

}  // namespace kiosk_edge
