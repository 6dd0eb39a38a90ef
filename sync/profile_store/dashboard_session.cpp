#include "sync/profile_store/dashboard_session.hpp"

#include <algorithm>

#include "common/http_forms.hpp"
#include "common/strings.hpp"

namespace kiosk_edge {
namespace {

constexpr std::string_view kCookieAttributes = "; Path=/; Secure; HttpOnly; SameSite=Strict";

// RFC 6265's cookie-octet: printable ASCII but space, '"', ',', ';' and '\'.
bool IsCookieValue(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return c > ' ' && c < 0x7f && c != '"' && c != ',' && c != ';' && c != '\\';
  });
}

HttpResponse NoContent() {
  HttpResponse response;
  response.status = 204;
  return response;
}

}  // namespace

std::optional<std::string> HqApiAuthorization(const HttpRequest& request, HqApiScope scope) {
  if (const auto header = request.Header("authorization")) return std::string(*header);
  if (request.method != "GET" || scope != HqApiScope::kReports) return std::nullopt;
  const auto cookies = request.Header("cookie");
  if (!cookies) return std::nullopt;
  const auto token = FindCookie(*cookies, kDashboardCookie);
  if (!token || token->empty()) return std::nullopt;
  return StrCat("Bearer ", *token);
}

HttpResponse OpenDashboardSession(const HttpRequest& request) {
  const std::optional<std::string_view> token =
      BearerToken(request.Header("authorization").value_or(""));
  if (!token || !IsCookieValue(*token)) {
    return HttpResponse::Json(
        400, R"({"error":"this token has characters a cookie cannot hold: send it as a header"})");
  }
  HttpResponse response = NoContent();
  response.headers.emplace_back("Set-Cookie",
                                StrCat(kDashboardCookie, "=", *token, kCookieAttributes));
  return response;
}

HttpResponse EndDashboardSession() {
  HttpResponse response = NoContent();
  response.headers.emplace_back("Set-Cookie",
                                StrCat(kDashboardCookie, "=", kCookieAttributes, "; Max-Age=0"));
  return response;
}

}  // namespace kiosk_edge
