#include "agent/kiosk_metrics.hpp"

#include <boost/json/parse.hpp>

#include "common/json_fields.hpp"
#include "common/strings.hpp"

namespace kiosk_edge {
namespace {

constexpr std::size_t kReadChunk = 1000;

// Scanner decodes take milliseconds to a few hundred on the kiosk's CPU.
constexpr double kDecodeBuckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1};

}  // namespace

KioskMetrics::KioskMetrics(std::int64_t counted_through_seq, const Clock& clock)
    : clock_(clock),
      batch_upload_seconds_(
          registry_.Histogram("kiosk_sync_batch_upload_seconds",
                              "Time from sending a batch to HQ's answer that it committed it",
                              LatencyBucketsSeconds())),
      decode_seconds_(registry_.Histogram("kiosk_scanner_decode_seconds",
                                          "Time the scanner took to decode one camera frame",
                                          kDecodeBuckets)),
      counted_seq_(counted_through_seq) {
  // Series that exist before their first event, so that rates start from zero.
  for (const char* type : {"scan", "signup"}) {
    registry_.Counter("kiosk_captures_total", "Captures journaled since the agent started",
                      {{"type", type}});
  }
  registry_.Counter("kiosk_redemptions_total", "Redemptions journaled since the agent started");
}

void KioskMetrics::CountResponse(std::string_view server, unsigned status) {
  registry_
      .Counter("kiosk_http_responses_total", "HTTP responses written, by server and status code",
               {{"server", std::string(server)}, {"code", StrCat(status)}})
      .Increment();
}

Result<void> KioskMetrics::CountNewEvents(Journal& journal) {
  while (true) {
    auto events = journal.ReadAfter(counted_seq_, kReadChunk);
    if (!events) return events.error();
    for (const JournalEvent& event : *events) {
      counted_seq_ = event.seq;
      if (event.type == "scan" || event.type == "signup") {
        registry_
            .Counter("kiosk_captures_total", "Captures journaled since the agent started",
                     {{"type", event.type}})
            .Increment();
      } else if (event.type == "redemption") {
        registry_
            .Counter("kiosk_redemptions_total", "Redemptions journaled since the agent started")
            .Increment();
      } else if (event.type == "redemption_refused") {
        boost::system::error_code error;
        const auto payload = boost::json::parse(event.payload_json, error);
        const std::string reason =
            !error && payload.is_object() ? JsonString(payload.as_object(), "reason") : "";
        registry_
            .Counter("kiosk_redemption_refusals_total",
                     "Refused redemptions journaled since the agent started, by reason",
                     {{"reason", reason.empty() ? "unknown" : reason}})
            .Increment();
      }
    }
    if (events->size() < kReadChunk) return Result<void>();
  }
}

Result<std::string> KioskMetrics::RefreshAndRender(Journal& journal) {
  std::lock_guard lock(refresh_mutex_);
  if (auto counted = CountNewEvents(journal); !counted) return counted.error();
  const Journal::SyncMarks marks = journal.Marks();
  registry_.Gauge("kiosk_journal_depth", "Journal events not yet synced to HQ")
      .Set(static_cast<double>(marks.last_seq - marks.synced_seq));
  double lag_seconds = 0;
  if (marks.last_seq > marks.synced_seq) {
    auto oldest = journal.ReadAfter(marks.synced_seq, 1);
    if (!oldest) return oldest.error();
    if (!oldest->empty()) {
      const std::int64_t now_ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(clock_.WallNow().time_since_epoch())
              .count();
      lag_seconds =
          std::max(0.0, static_cast<double>(now_ms - oldest->front().occurred_at_ms) / 1000.0);
    }
  }
  registry_
      .Gauge("kiosk_sync_lag_seconds",
             "Seconds since the oldest event not yet synced to HQ was recorded (0: none)")
      .Set(lag_seconds);
  return registry_.Render();
}

}  // namespace kiosk_edge
