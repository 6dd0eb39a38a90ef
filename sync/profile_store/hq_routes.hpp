#pragma once

// profile-store's HTTPS API for HQ (analysts, dashboards, `profile-store attribution`), on the
// same listener as the kiosk API. Every endpoint but the end of a dashboard session wants a bearer
// token with its scope (hq_api_tokens.hpp; the dashboard's cookie counts as one where
// dashboard_session.hpp says): 401 without one, or with one HQ does not know or that has
// expired; 403 with one that lacks the scope; 429 from an address that sent too many tokens HQ
// does not know (hq_api_access.hpp).
//
//   GET /v1/attribution?from=&to=&group_by=&model=&format=&tz=&lookback_days=
//       the channel attribution report (attribution_query.hpp, attribution_render.hpp,
//       docs/attribution.md); 400 naming the parameter at fault
//   GET /v1/audiences/not-redeemed?after=48h&from=&to=&store=&campaign=&channel=&format=&tz=
//       the shoppers with marketing consent who had not redeemed `after` signing up, with their
//       contact (audience_query.hpp, audience.hpp); every export is audited
//   GET /v1/audit?limit=&format=json
//       the audit of audience exports, newest first
//   POST /v1/subjects/{phone}/withdraw-consent
//       ends the marketing consent of the shopper with that E.164 phone (%2B for '+') now
//   DELETE /v1/subjects/{phone}
//       erases the shopper with that E.164 phone (%2B for '+'): profile, personal data, device
//       links; a tombstone keeps late events from re-creating them, and kiosks scrub their copies
//       (docs/attribution.md, "Erasure"). Idempotent; 200 {"subject", "erased", "profile_found"}
//       whether HQ knew the shopper or not; 400 naming "phone" for anything but E.164
//   GET /v1/kiosks/health
//       every kiosk's sync health: last batch, gaps, dead letters, voucher conflicts
//       (kiosk_health.hpp)
//   POST /v1/dashboard/session, DELETE /v1/dashboard/session
//       a session of the dashboard's token in an HttpOnly cookie (HQ's MAC, not the token), which
//       then stands for the token on the GETs above of the scope reports
//       (dashboard_session.hpp); ending it needs no token
//
// It also serves the dashboard's static files (/dashboard, dashboard_page.hpp) without a token:
// they hold no data.
//
// Reports are read on the blocking pool. Responses are never cached (Cache-Control: no-store).

#include <boost/asio/thread_pool.hpp>
#include <span>
#include <vector>

#include "common/clock.hpp"
#include "common/http_types.hpp"
#include "sync/profile_store/attribution_facts.hpp"
#include "sync/profile_store/hq_api_access.hpp"
#include "sync/profile_store/kiosk_health.hpp"
#include "sync/profile_store/store_backend.hpp"
#include "sync/protocol/config_bundle.hpp"

namespace kiosk_edge {

struct HqServices {
  StoreBackend* store;
  boost::asio::thread_pool* blocking_pool;
  const Clock* clock;
  HqApiGate api;
  // The channels profile-store's config defines ([channels.ID]); the kiosks' channel_defined
  // events take precedence for the ids they define.
  std::vector<ChannelDefinition> configured_channels;
  KioskHealthRules kiosk_health;
};

// The channels of profile-store's config, as the attribution report reads them.
std::vector<ChannelDefinition> ChannelDefinitionsOf(std::span<const BundleChannel> channels);

// Answers HQ's endpoints and hands every other request to `next` (the kiosk API).
HttpHandler WithHqRoutes(HqServices services, HttpHandler next);

}  // namespace kiosk_edge
