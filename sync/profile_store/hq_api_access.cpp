#include "sync/profile_store/hq_api_access.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "common/log.hpp"
#include "common/strings.hpp"
#include "sync/profile_store/report_time.hpp"

namespace kiosk_edge {

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
  HttpResponse response =
      format == HqApiErrorFormat::kJson
          ? HttpResponse::Json(status,
                               boost::json::serialize(boost::json::object{{"error", message}}))
          : HttpResponse::Text(status, message + "\n");
  response.headers.emplace_back("WWW-Authenticate", std::move(challenge));
  return response;
}

}  // namespace kiosk_edge
