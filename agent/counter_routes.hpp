#pragma once

// The clerk's counter (DESIGN.md section 2, flow 3):
//   GET  /counter          the counter page with a staff session, else the PIN login
//   POST /counter/login    staff + pin: a session cookie (HttpOnly, SameSite=Strict, /counter)
//   POST /counter/logout
//   POST /counter/redeem   code + source (+ csrf): the outcome, as JSON when asked for
//                          (Accept: application/json), else as a page
//   POST /counter/frame    a camera frame (image/jpeg or image/png, X-Counter-Csrf header): the
//                          texts of the QR codes in it, decoded on a worker thread
//   GET  /counter/camera   the kiosk camera's status and latest read (JSON)
// Every route but the login needs a live staff session (401 otherwise); POSTs must come from the
// page itself (same Origin, and the session's CSRF token).

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <optional>

#include "agent/counter_camera.hpp"
#include "agent/redemption.hpp"
#include "agent/staff_auth.hpp"
#include "common/http_types.hpp"
#include "common/rate_limiter.hpp"

namespace kiosk_edge {

struct CounterServices {
  RedemptionDesk desk;
  StaffSessions* staff;
  RateLimiter* login_limit;     // login attempts per network address
  RateLimiter* frame_limit;     // camera frames per session and second
  const CounterCamera* camera;  // the kiosk's own camera; nullptr when none is configured
  boost::asio::thread_pool* blocking_pool;  // PIN hashing and frame decoding
  int frame_max_fps = 8;
  MetricHistogram* decode_seconds = nullptr;  // optional: each posted frame's decode time
  bool secure_cookies = false;                // served over HTTPS: cookies get the Secure attribute
};

// Paths that take large bodies (camera frames): for HttpServerLimits::upload_paths.
inline constexpr std::string_view kCounterFramePath = "/counter/frame";

// nullopt for paths outside /counter.
boost::asio::awaitable<std::optional<HttpResponse>> RouteCounter(const CounterServices& services,
                                                                 const HttpRequest& request);

}  // namespace kiosk_edge
