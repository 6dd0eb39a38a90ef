#pragma once

// The admin API's status, sync, events, voucher and metrics endpoints (kioskctl status, sync now,
// events tail, voucher show), on the owner-only Unix socket like the rest of admin_routes.hpp:
//
//   GET  /admin/status     JSON: {"kiosk_id","incarnation","store_id","now_ms",
//                          "journal":{"last_seq","synced_seq","unsynced_count","stored_count",
//                          "dead_letter_count","size_bytes","budget_bytes"},
//                          "sync":{"enrolled", and when enrolled "hq_reachable","last_synced_ms"
//                          (the last round that left the kiosk caught up; absent: none since the
//                          start),"last_error","consecutive_failures","rounds_finished",
//                          "batches_sent","events_sent","events_resent" (of events_sent: sent
//                          again because HQ had lost them),"dead_letters","config_version"?,
//                          "clock_offset_ms"? (this kiosk's clock minus HQ's, from the Date of
//                          HQ's latest config answer),
//                          "client_certificate_not_after_ms" (the end of the certificate the
//                          kiosk syncs with, renewed through HQ 60 days before),
//                          "client_certificate_renewed_ms"? (the last renewal since the start),
//                          "client_certificate_renewal_error" (why the last renewal failed; ""
//                          when none did)},
//                          "camera":{"state","device","message"},
//                          "https":{"certificate_not_after_ms"} (the [https] certificate's end of
//                          validity), or null without [https]}
//   POST /admin/sync?timeout_ms=N   wakes the sync client at once and waits (at most N ms,
//                          default 10000, at most 60000) for the round that saw every event
//                          committed before the call: 200 with "sync" as above and "outcome"
//                          ("synced" or "failed"); 504 when no round finished in time; 409 when
//                          the kiosk is not enrolled.
//   POST /admin/sync/certificate?timeout_ms=N   as /admin/sync, renewing the HQ client
//                          certificate in that round even when not due: "outcome" "renewed" or
//                          "failed" (the reason in client_certificate_renewal_error).
//   POST /admin/sync/enrollment    reads the enrollment again after `kioskctl enroll`: starts
//                          syncing if the kiosk was not enrolled, else renews the HQ client
//                          certificate (HqSyncSlot::Reload): 200 {"message"} ("" when the kiosk
//                          is not enrolled); 409 {"error"} when it takes a restart of kiosk-agent
//                          (another HQ); 500 when the files do not load or syncing cannot start.
//   GET  /admin/events?n=N         the newest N events (default 20, at most 1000), oldest first
//   GET  /admin/events?after=S&n=N&wait_ms=W
//                          up to N events after seq S, waiting up to W ms (at most 30000) for
//                          one to arrive. Each event is {"seq","type","occurred_at_ms","channel"}
//                          (channel null when none): never the payload, which may hold sealed
//                          personal data.
//   POST /admin/voucher    {"code":"V1..."}: the voucher decoded and checked as the counter
//                          would, without redeeming it, and what the journal says of it: 200
//                          {"voucher":{...}|null,"verdict":"redeemable"|"redeemed"|"refused",
//                          "refusal"?,"detail"?,"redeemed":{"seq","at_ms","kiosk","staff",
//                          "source"}|null,"refusals":[{"seq","at_ms","reason"}]} (refusals among
//                          the newest 100000 journal events); 400 without a code.
//   GET  /metrics          kiosk-agent's metrics (kiosk_metrics.hpp), Prometheus text format.
// Anything else goes to `next`.

#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "agent/counter_camera.hpp"
#include "agent/hq_sync.hpp"
#include "agent/journal.hpp"
#include "agent/kiosk_metrics.hpp"
#include "agent/voucher_check.hpp"
#include "common/clock.hpp"
#include "common/http_types.hpp"

namespace kiosk_edge {

struct AdminStatusServices {
  Journal* journal;
  boost::asio::thread_pool* blocking_pool;
  const Clock* clock;
  HqSyncSlot* hq_sync;          // its get() is nullptr while the kiosk is not enrolled
  const CounterCamera* camera;  // nullptr: no counter camera configured
  const TrustStore* trust;
  std::string store_id;
  KioskMetrics* metrics;
  // Required: the [https] certificate's notAfter, in ms since the epoch, as served now (a reload
  // changes it); nullopt without [https]. Called on the I/O thread.
  std::function<std::optional<std::int64_t>()> phones_certificate_not_after_ms;
};

HttpHandler WithAdminStatusRoutes(AdminStatusServices services, HttpHandler next);

// GET /metrics on kiosk-agent's main port, answered for loopback clients only (127.0.0.0/8, ::1):
// anyone else gets 404, as if it did not exist, so the shop's network learns nothing from it.
// Everything else goes to `next`.
HttpHandler WithLoopbackMetrics(KioskMetrics* metrics, Journal* journal,
                                boost::asio::thread_pool* blocking_pool, HttpHandler next);

// True for 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104 (HttpRequest::remote_address text).
bool IsLoopbackAddress(std::string_view address);

}  // namespace kiosk_edge
