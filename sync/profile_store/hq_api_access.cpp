#include "sync/profile_store/hq_api_access.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <string>

#include "common/log.hpp"
#include "common/strings.hpp"
#include "sync/profile_store/report_time.hpp"

namespace kiosk_edge {

namespace {

HttpResponse ErrorResponse(unsigned status, const std::string& message, HqApiErrorFormat format) {
  return format == HqApiErrorFormat::kJson
             ? HttpResponse::Json(status,
                                  boost::json::serialize(boost::json::object{{"error", message}}))
             : HttpResponse::Text(status, message + "\n");
}

// Nothing when `access` is granted; else the refusal of a request for `path`.
std::optional<HttpResponse> RefuseHqApiAccess(const HqApiAccess& access, HqApiScope scope,
                                              std::string_view path, HqApiErrorFormat format) {
  using Verdict = HqApiAccess::Verdict;
  constexpr std::string_view kRealm = R"(Bearer realm="kiosk-edge HQ")";
  unsigned status = 401;
  std::string message;
  std::string challenge = StrCat(kRealm, R"(, error="invalid_token")");
  switch (access.verdict) {
    case Verdict::kGranted:
      return std::nullopt;
    case Verdict::kNoToken:
      message = "an HQ API token is required (Authorization: Bearer ...)";
      challenge = std::string(kRealm);
      break;
    case Verdict::kUnknownToken:
      message = "the bearer token is not valid";
      break;
    case Verdict::kExpired:
      message = StrCat("the HQ API token ", access.token_name, " expired at ",
                       FormatReportTime(access.expired_at_ms.value_or(0), 0));
      LogWarning("profile-store", "expired HQ API token ", access.token_name, " refused for ",
                 path);
      break;
    case Verdict::kOutOfScope:
      status = 403;
      message = StrCat("the HQ API token ", access.token_name, " lacks the scope ",
                       HqApiScopeName(scope), " that ", path, " needs");
      challenge =
          StrCat(kRealm, R"(, error="insufficient_scope", scope=")", HqApiScopeName(scope), "\"");
      LogWarning("profile-store", "HQ API token ", access.token_name, " refused for ", path,
                 ": no scope ", HqApiScopeName(scope));
      break;
  }
  HttpResponse response = ErrorResponse(status, message, format);
  response.headers.emplace_back("WWW-Authenticate", std::move(challenge));
  return response;
}

}  // namespace

HqApiCheck CheckHqApiRequest(const HqApiGate& gate, const HttpRequest& request, HqApiScope scope,
                             std::string_view path, HqApiErrorFormat format, std::int64_t now_ms) {
  const auto throttled = [&]() -> std::optional<HttpResponse> {
    const auto retry_after = gate.unknown_credentials->RetryAfter(request.remote_address);
    if (!retry_after) return std::nullopt;
    return TooManyUnknownCredentials(*retry_after, format);
  };
  HqApiCheck check;
  if (MaySpeakByDashboardSession(request, scope)) {
    check.access = gate.dashboard_sessions->Authorize(request, *gate.tokens, now_ms);
    if (check.access.verdict != HqApiAccess::Verdict::kNoToken) {
      if (auto refusal = throttled()) return {HqApiAccess{}, std::move(refusal)};
    }
  } else {
    const std::optional<std::string_view> authorization = request.Header("authorization");
    // Before the token is hashed: a flood of guesses costs HQ as little as can be.
    if (authorization) {
      if (auto refusal = throttled()) return {HqApiAccess{}, std::move(refusal)};
    }
    check.access = gate.tokens->Authorize(authorization, scope, now_ms);
  }
  if (check.access.verdict == HqApiAccess::Verdict::kUnknownToken) {
    gate.unknown_credentials->Count(request.remote_address);
  }
  check.refusal = RefuseHqApiAccess(check.access, scope, path, format);
  return check;
}

HttpResponse TooManyUnknownCredentials(std::chrono::seconds retry_after, HqApiErrorFormat format) {
  HttpResponse refused =
      ErrorResponse(429,
                    StrCat("too many unknown credentials from this address; try again in ",
                           retry_after.count(), " s"),
                    format);
  refused.headers.emplace_back("Retry-After", std::to_string(retry_after.count()));
  return refused;
}

}  // namespace kiosk_edge
