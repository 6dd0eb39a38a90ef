#pragma once

// HQ's answer to a request whose bearer token does not grant the endpoint's scope
// (HqApiTokens::Authorize), as RFC 6750 section 3 has it, for hq_routes.cpp and hq_metrics.cpp:
//   401  no token (WWW-Authenticate: Bearer realm=...), a token HQ does not know, or an expired
//        one (error="invalid_token")
//   403  a token without the scope (error="insufficient_scope", scope="<scope>")
// The body is {"error": "..."} or, for Prometheus scrapers, that text on one line. Expired tokens
// and uses out of scope are logged by the token's name (never the token).

#include <optional>
#include <string_view>

#include "common/http_types.hpp"
#include "sync/profile_store/hq_api_tokens.hpp"

namespace kiosk_edge {

enum class HqApiErrorFormat { kJson, kText };

// Nothing when `access` is granted; else the refusal of a request for `path`.
std::optional<HttpResponse> RefuseHqApiAccess(const HqApiAccess& access, HqApiScope scope,
                                              std::string_view path, HqApiErrorFormat format);

}  // namespace kiosk_edge
