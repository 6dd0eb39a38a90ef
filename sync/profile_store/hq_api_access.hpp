#pragma once

// HQ's answer to a request whose bearer token (or dashboard session, dashboard_session.hpp) does
// not grant the endpoint's scope (HqApiTokens::Authorize), as RFC 6750 section 3 has it, for
// hq_routes.cpp and hq_metrics.cpp:
//   429  a token from an address that sent too many tokens HQ does not know
//        (unknown_credential_limit.hpp; Retry-After), before the token is hashed (a session
//        cookie: once parsed and checked, a MAC cheaper than a look-up)
//   401  no token (WWW-Authenticate: Bearer realm=...), a token HQ does not know, or an expired
//        one (error="invalid_token")
//   403  a token without the scope (error="insufficient_scope", scope="<scope>")
// The body is {"error": "..."} or, for Prometheus scrapers, that text on one line. Expired tokens
// and uses out of scope are logged by the token's name (never the token).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include "common/http_types.hpp"
#include "sync/profile_store/dashboard_session.hpp"
#include "sync/profile_store/hq_api_tokens.hpp"
#include "sync/profile_store/unknown_credential_limit.hpp"

namespace kiosk_edge {

enum class HqApiErrorFormat { kJson, kText };

// What checks HQ API requests' bearer tokens. All outlive the handlers that use it.
struct HqApiGate {
  const HqApiTokens* tokens;
  UnknownCredentialLimit* unknown_credentials;
  const DashboardSessions* dashboard_sessions;
};

struct HqApiCheck {
  HqApiAccess access;                   // kGranted: the request may go on
  std::optional<HttpResponse> refusal;  // else what to answer it
};

// Checks the Authorization header of `request` for `path` against `scope` at `now_ms` (or the
// dashboard's session cookie where it may stand for the header: dashboard_session.hpp), and
// counts a token or session HQ does not know against the request's address.
HqApiCheck CheckHqApiRequest(const HqApiGate& gate, const HttpRequest& request, HqApiScope scope,
                             std::string_view path, HqApiErrorFormat format, std::int64_t now_ms);

// 429: the request's address sent too many credentials HQ does not know; Retry-After.
HttpResponse TooManyUnknownCredentials(std::chrono::seconds retry_after, HqApiErrorFormat format);

}  // namespace kiosk_edge
