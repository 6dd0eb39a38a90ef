#include "sync/profile_store/dashboard_page.hpp"

#include <string>

namespace kiosk_edge {
namespace {

constexpr std::string_view kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

HttpResponse StaticFile(std::string_view content_type, std::string_view body) {
  HttpResponse response;
  response.content_type = std::string(content_type);
  response.body = std::string(body);
  response.headers.emplace_back("Content-Security-Policy", std::string(kContentSecurityPolicy));
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
  // The files change only with the binary; revalidating costs little and never serves a page
  // older than its script.
  response.headers.emplace_back("Cache-Control", "no-cache");
  return response;
}

}  // namespace

std::optional<HttpResponse> DashboardResponse(const HttpRequest& request) {
  const std::string_view path = request.Path();
  std::optional<HttpResponse> response;
  if (path == "/dashboard" || path == "/dashboard/") {
    response = StaticFile("text/html; charset=utf-8", DashboardHtml());
  } else if (path == "/dashboard/app.js") {
    response = StaticFile("text/javascript; charset=utf-8", DashboardScript());
  } else if (path == "/dashboard/app.css") {
    response = StaticFile("text/css; charset=utf-8", DashboardStyle());
  } else {
    return std::nullopt;
  }
  if (request.method != "GET" && request.method != "HEAD") {
    HttpResponse refused = HttpResponse::Text(405, "use GET\n");
    refused.headers.emplace_back("Allow", "GET, HEAD");
    return refused;
  }
  return response;
}

// Public on purpose: the page holds no data. Every figure comes from the HQ API, fetched with
// the session cookie made from the token the analyst pastes into the login form.
std::string_view DashboardHtml() {
  return R"html(<!doctype html>
<!-- The kiosk-edge HQ dashboard. This page is public: it holds no data. Every figure is fetched
     from the HQ API (/v1/attribution, /v1/kiosks/health) with the analyst's HQ API token, which
     HQ keeps in an HttpOnly cookie (POST /v1/dashboard/session): no script here can read it. -->
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>kiosk-edge HQ dashboard</title>
<link rel="stylesheet" href="/dashboard/app.css">
<script src="/dashboard/app.js" defer></script>
</head>
<body>
<header>
  <h1>Channel dashboard</h1>
  <button type="button" id="logout" hidden>Log out</button>
</header>

<section id="login" hidden>
  <form id="login-form" autocomplete="off">
    <h2>Log in</h2>
    <p>Paste an HQ API token (<code>profile-store new-token --name NAME</code>). HQ keeps it in a
      cookie of this browser until you log out or close the browser.</p>
    <label for="token">HQ API token</label>
    <input id="token" name="token" type="password" spellcheck="false" required>
    <button type="submit">Open the dashboard</button>
    <p id="login-error" class="error" role="alert" hidden></p>
  </form>
</section>

<main id="dashboard" hidden>
  <form id="filters">
    <label>From <input id="from" type="date" required></label>
    <label>Through <input id="through" type="date" required></label>
    <label>Rows by
      <select id="group-by">
        <option value="channel">channel</option>
        <option value="path">channel path</option>
        <option value="store">store</option>
        <option value="campaign">campaign</option>
        <option value="day">day</option>
      </select>
    </label>
    <label id="path-level-field" hidden>Path levels
      <input id="path-level" type="number" min="1" max="8" value="1">
    </label>
    <label>Only rows containing <input id="row-filter" type="search" spellcheck="false"
      placeholder="store-1, spring, north/..."></label>
    <label>Store <select id="store"><option value="">all</option></select></label>
    <label>Campaign <select id="campaign"><option value="">all</option></select></label>
    <label>Model
      <select id="model">
        <option value="last_touch">last touch</option>
        <option value="first_touch">first touch</option>
      </select>
    </label>
    <button type="submit">Apply</button>
    <a id="csv-link" href="/v1/attribution?format=csv" download="attribution.csv">Download CSV</a>
  </form>
  <p id="status" role="status"></p>
  <p id="error" class="error" role="alert" hidden></p>

  <section>
    <h2>Funnel per channel</h2>
    <p class="legend"><span class="key scans"></span>scans <span class="key signups"></span>signups
      <span class="key redemptions"></span>redemptions</p>
    <svg id="funnel" role="img" aria-label="Scans, signups and redemptions per channel"></svg>
  </section>

  <section>
    <h2>Report</h2>
    <table id="report"><thead></thead><tbody></tbody><tfoot></tfoot></table>
  </section>

  <section>
    <h2>Daily trend</h2>
    <svg id="trend" role="img" aria-label="Scans, signups and redemptions per day"></svg>
  </section>

  <section>
    <h2>Kiosk health</h2>
    <table id="health">
      <thead><tr><th>kiosk</th><th>last sync</th><th>last contact</th><th>backlog</th>
        <th>gaps</th><th>voucher conflicts</th><th>dead letters</th><th>phones' certificate</th>
        <th>sync certificate</th><th>state</th></tr></thead>
      <tbody></tbody>
    </table>
  </section>
</main>
</body>
</html>
)html";
}

}  // namespace kiosk_edge
