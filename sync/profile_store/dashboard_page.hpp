#pragma once

// The HQ dashboard (docs/attribution.md, "The dashboard"): three static files served by
// profile-store without credentials, because they hold no data. The page asks the analyst for an
// HQ API token and hands it to POST /v1/dashboard/session once, which answers with a session
// cookie the script cannot read and that holds no token (dashboard_session.hpp); the cookie goes
// with every fetch of
// /v1/attribution, /v1/channels and /v1/kiosks/health. The charts are SVG drawn by the script.
//
//   GET /dashboard          the HTML (also /dashboard/)
//   GET /dashboard/app.js   the script
//   GET /dashboard/app.css  the style sheet
//
// Every answer carries a Content-Security-Policy that allows only these same-origin files and
// same-origin fetches (no inline script or style, no other origin, no framing), and
// X-Content-Type-Options: nosniff.

#include <optional>
#include <string_view>

#include "common/http_types.hpp"

namespace kiosk_edge {

// The dashboard's answer to `request` when its path is one of the dashboard's; nothing otherwise.
// 405 (Allow: GET, HEAD) for other methods.
std::optional<HttpResponse> DashboardResponse(const HttpRequest& request);

// The files themselves (dashboard_page.cpp, dashboard_style.cpp, dashboard_script.cpp).
std::string_view DashboardHtml();
std::string_view DashboardStyle();
std::string_view DashboardScript();

}  // namespace kiosk_edge
