#pragma once

// kiosk-agent's metrics (GET /metrics, Prometheus text format; see admin_status.hpp for where it
// is served). Capture, redemption and refusal counters follow the journal: Refresh() counts the
// events committed since the agent started, by type (and a refusal's reason), so they count only
// what is durable. No label ever holds personal data or a scanned code.

#include <cstdint>
#include <mutex>
#include <string>

#include "agent/journal.hpp"
#include "common/clock.hpp"
#include "common/metrics.hpp"

namespace kiosk_edge {

class KioskMetrics {
 public:
  // Events up to `counted_through_seq` (those committed before the start) are not counted.
  KioskMetrics(std::int64_t counted_through_seq, const Clock& clock);

  MetricsRegistry& registry() { return registry_; }
  // kiosk_sync_batch_upload_seconds, for SyncClientOptions::batch_upload_seconds.
  MetricHistogram& batch_upload_seconds() { return batch_upload_seconds_; }
  // kiosk_scanner_decode_seconds: one observation per frame the scanner decoded.
  MetricHistogram& decode_seconds() { return decode_seconds_; }
  // kiosk_http_responses_total{server,code}; `server` is "main" or "admin". Quick; I/O thread.
  void CountResponse(std::string_view server, unsigned status);

  // Blocking (SQLite reads): counts the journal's new events and sets the journal gauges, then
  // renders every metric. An error when the journal cannot be read (nothing rendered).
  Result<std::string> RefreshAndRender(Journal& journal);

 private:
  Result<void> CountNewEvents(Journal& journal);

  const Clock& clock_;
  MetricsRegistry registry_;
  MetricHistogram& batch_upload_seconds_;
  MetricHistogram& decode_seconds_;
  std::mutex refresh_mutex_;  // one refresh at a time
  std::int64_t counted_seq_;  // guarded by refresh_mutex_
};

}  // namespace kiosk_edge
