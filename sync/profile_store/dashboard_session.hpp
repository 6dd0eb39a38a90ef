#pragma once

// The dashboard's session (dashboard_page.hpp): after the analyst's log-in with an HQ API token,
// a cookie that the page's scripts cannot read and that holds no token.
//   POST   /v1/dashboard/session  with "Authorization: Bearer <token with the scope reports>":
//          204, Set-Cookie: __Host-hq-dashboard=<Unix s of the log-in>.<token name>.<MAC>;
//          Path=/; Secure; HttpOnly; SameSite=Strict (no Max-Age: the browser forgets it when it
//          closes; HQ refuses it kDashboardSessionLifetime after the log-in, a browser left open
//          too)
//   DELETE /v1/dashboard/session  204, the cookie cleared; needs no token
// MAC = Base64Url(HMAC-SHA256(session key, "<Unix s>.<token name>.<the token's config hash>")),
// the session key derived from HQ's index key (hq-keys.json), so that every instance sharing the
// state folder takes every instance's sessions. A cookie carried off therefore opens the reports
// until its session ends, never the API for good; a token taken out of the config, or replaced
// under its name, ends its sessions; the log-in time cannot be moved.
// The cookie stands for its token on GETs of the endpoints with the scope reports only, what the
// dashboard shows: changes, personal data, the audits and /metrics always need the
// Authorization header (no cross-site request can then use the cookie for them, whatever the
// browser does with SameSite).

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "common/http_types.hpp"
#include "sync/profile_store/hq_api_tokens.hpp"

namespace kiosk_edge {

inline constexpr std::string_view kDashboardSessionPath = "/v1/dashboard/session";
inline constexpr std::string_view kDashboardCookie = "__Host-hq-dashboard";
inline constexpr std::chrono::hours kDashboardSessionLifetime{12};

// Makes and checks the session cookies. Immutable after construction: thread-safe.
class DashboardSessions {
 public:
  // Sessions keyed from HQ's 32-byte blind-index key (HKDF, a label of its own).
  static Result<DashboardSessions> FromIndexKey(std::string_view index_key);

  // The cookie's value for a session of `token` opened at `opened_s` (Unix seconds).
  std::string CookieValue(const HqApiToken& token, std::int64_t opened_s) const;

  // The answer at `now_ms` to a POST of kDashboardSessionPath whose bearer token, `token`, was
  // granted: 204 with the cookie.
  HttpResponse Open(const HqApiToken& token, std::int64_t now_ms) const;

  // Whether `request`, a GET for an endpoint with the scope reports that carries no
  // Authorization header, comes with a session of a token in `tokens` at `now_ms`:
  //   kNoToken       no cookie, one of another form, or a session that ended or was opened more
  //                  than a minute ahead of HQ's clock (several instances' clocks): the page
  //                  asks to log in, without an error
  //   kUnknownToken  a cookie HQ did not make, or made for a token no longer configured as it
  //                  was then (checked first: a forged log-in time is not a session that ended)
  //   else           what the token may do now (AccessOf: granted, expired or out of scope)
  HqApiAccess Authorize(const HttpRequest& request, const HqApiTokens& tokens,
                        std::int64_t now_ms) const;

 private:
  explicit DashboardSessions(std::string key) : key_(std::move(key)) {}
  std::string Mac(std::string_view opened_s, const HqApiToken& token) const;

  std::string key_;
};

// Whether the session cookie, rather than the Authorization header, speaks for `request` to an
// endpoint with `scope`: a GET of the scope reports without the header.
bool MaySpeakByDashboardSession(const HttpRequest& request, HqApiScope scope);

// The answer to a DELETE of kDashboardSessionPath: 204 clearing the cookie.
HttpResponse EndDashboardSession();

}  // namespace kiosk_edge
