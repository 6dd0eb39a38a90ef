#pragma once

#include <boost/asio/thread_pool.hpp>

#include "agent/counter_routes.hpp"
#include "agent/journal.hpp"
#include "agent/shopper_routes.hpp"
#include "common/http_types.hpp"

namespace kiosk_edge {

// What the HTTP routes need from the running agent. Everything outlives the server.
struct AgentServices {
  Journal* journal;
  boost::asio::thread_pool* blocking_pool;  // for SQLite reads and other blocking work
  std::filesystem::path journal_path;
  const ShopperServices* shopper;  // the shopper's pages (see shopper_routes.hpp)
  const CounterServices* counter;  // the clerk's counter (see counter_routes.hpp)
};

// kiosk-agent's HTTP routes:
//   GET /healthz  JSON: version, kiosk id, incarnation, journal figures, quarantined files.
//                 200 when healthy, 503 when the journal cannot be read or is over budget.
//   everything in shopper_routes.hpp and counter_routes.hpp; anything else is 404.
// Every answer carries the pages' security headers (page_assets.hpp).
HttpHandler MakeAgentRoutes(AgentServices services);

}  // namespace kiosk_edge
