#pragma once

// profile-store's metrics, in Prometheus text format (text/plain; version=0.0.4):
//   profile_store_http_responses_total{code}   every response written, the server's own included
//   profile_store_batch_ingest_seconds         POST /v1/sync/batch answered 200: from the request
//                                              reaching the handler to its answer (decode, ingest,
//                                              commit)
// served at GET /metrics behind an HQ API bearer token (hq_api_tokens.hpp), like the other HQ
// endpoints: profile-store listens on the network, and its traffic figures are HQ's business.
// Without a valid token: 401 with WWW-Authenticate: Bearer.

#include "common/http_types.hpp"
#include "common/metrics.hpp"
#include "sync/profile_store/hq_api_tokens.hpp"

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

// Serves GET /metrics and times batch ingests; hands every request but /metrics to `next`.
// `metrics` outlives the handler.
HttpHandler WithHqMetrics(HqMetrics* metrics, HqApiTokens tokens, HttpHandler next);

}  // namespace kiosk_edge
