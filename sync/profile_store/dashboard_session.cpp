#include "sync/profile_store/dashboard_session.hpp"

#include <algorithm>
#include <charconv>

#include "common/http_forms.hpp"
#include "common/strings.hpp"

namespace kiosk_edge {
namespace {

constexpr std::string_view kCookieAttributes = "; Path=/; Secure; HttpOnly; SameSite=Strict";
// A session opened up to this far ahead of HQ's clock still counts (several instances' clocks).
constexpr std::int64_t kSessionClockSlackMs = 60'000;

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

std::optional<std::string> HqApiAuthorization(const HttpRequest& request, HqApiScope scope,
                                              std::int64_t now_ms) {
  if (const auto header = request.Header("authorization")) return std::string(*header);
  if (request.method != "GET" || scope != HqApiScope::kReports) return std::nullopt;
  const auto cookies = request.Header("cookie");
  if (!cookies) return std::nullopt;
  const auto session = FindCookie(*cookies, kDashboardCookie);
  if (!session) return std::nullopt;
  // "<Unix s of the log-in>.<token>"
  const std::size_t dot = session->find('.');
  if (dot == std::string_view::npos || dot + 1 == session->size()) return std::nullopt;
  std::int64_t opened_s = 0;
  const char* const digits_end = session->data() + dot;
  const auto [end, error] = std::from_chars(session->data(), digits_end, opened_s);
  if (error != std::errc() || end != digits_end) return std::nullopt;
  const std::int64_t age_ms = now_ms - opened_s * 1000;
  const std::int64_t lifetime_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(kDashboardSessionLifetime).count();
  if (age_ms < -kSessionClockSlackMs || age_ms >= lifetime_ms) return std::nullopt;
  return StrCat("Bearer ", session->substr(dot + 1));
}

HttpResponse OpenDashboardSession(const HttpRequest& request, std::int64_t now_ms) {
  const std::optional<std::string_view> token =
      BearerToken(request.Header("authorization").value_or(""));
  if (!token || !IsCookieValue(*token)) {
    return HttpResponse::Json(
        400, R"({"error":"this token has characters a cookie cannot hold: send it as a header"})");
  }
  HttpResponse response = NoContent();
  response.headers.emplace_back(
      "Set-Cookie", StrCat(kDashboardCookie, "=", now_ms / 1000, ".", *token, kCookieAttributes));
  return response;
}

HttpResponse EndDashboardSession() {
  HttpResponse response = NoContent();
  response.headers.emplace_back("Set-Cookie",
                                StrCat(kDashboardCookie, "=", kCookieAttributes, "; Max-Age=0"));
  return response;
}

}  // namespace kiosk_edge
