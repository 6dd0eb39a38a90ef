#pragma once

// The dashboard's session (dashboard_page.hpp): the analyst's HQ API token kept in a cookie that
// the page's scripts cannot read, so that script injected into the page could not carry it off.
//   POST   /v1/dashboard/session  with "Authorization: Bearer <token with the scope reports>":
//          204, Set-Cookie: __Host-hq-dashboard=<Unix s of the log-in>.<token>; Path=/; Secure;
//          HttpOnly; SameSite=Strict (no Max-Age: the browser forgets it when it closes; HQ
//          refuses it kDashboardSessionLifetime after the log-in, a browser left open too)
//   DELETE /v1/dashboard/session  204, the cookie cleared; needs no token
// The cookie stands for the bearer token on GETs of the endpoints with the scope reports only,
// what the dashboard shows: changes, personal data, the audits and /metrics always need the
// Authorization header (no cross-site request can then use the cookie for them, whatever the
// browser does with SameSite).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/http_types.hpp"
#include "sync/profile_store/hq_api_tokens.hpp"

namespace kiosk_edge {

inline constexpr std::string_view kDashboardSessionPath = "/v1/dashboard/session";
inline constexpr std::string_view kDashboardCookie = "__Host-hq-dashboard";
inline constexpr std::chrono::hours kDashboardSessionLifetime{12};

// The Authorization `request` carries for an endpoint with `scope` at `now_ms`: its header, else
// for a GET of the scope reports "Bearer <the dashboard cookie's token>" while the session is
// younger than kDashboardSessionLifetime; nothing otherwise (no cookie, an ended session, one
// opened in the future, or a cookie of another form: the page then asks to log in).
std::optional<std::string> HqApiAuthorization(const HttpRequest& request, HqApiScope scope,
                                              std::int64_t now_ms);

// The answer at `now_ms` to a POST of kDashboardSessionPath whose bearer token was granted: 204
// with the cookie; 400 when the token has characters a cookie cannot hold.
HttpResponse OpenDashboardSession(const HttpRequest& request, std::int64_t now_ms);
// The answer to a DELETE of kDashboardSessionPath: 204 clearing the cookie.
HttpResponse EndDashboardSession();

}  // namespace kiosk_edge
