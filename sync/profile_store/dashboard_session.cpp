#include "sync/profile_store/dashboard_session.hpp"

#include <charconv>

#include "common/crypto.hpp"
#include "common/http_forms.hpp"
#include "common/strings.hpp"

namespace kiosk_edge {
namespace {

constexpr std::string_view kKeyLabel = "kiosk-edge dashboard session v1";
constexpr std::string_view kCookieAttributes = "; Path=/; Secure; HttpOnly; SameSite=Strict";
// A session opened up to this far ahead of HQ's clock still counts (several instances' clocks).
constexpr std::int64_t kSessionClockSlackMs = 60'000;

HttpResponse NoContent() {
  HttpResponse response;
  response.status = 204;
  return response;
}

// The cookie's three fields, "<Unix s>.<token name>.<MAC>"; nothing for another form.
struct SessionCookie {
  std::string_view opened_s;
  std::int64_t opened_ms = 0;
  std::string_view token_name;
  std::string_view mac;
};

std::optional<SessionCookie> ParseSessionCookie(std::string_view value) {
  const std::size_t first = value.find('.');
  if (first == std::string_view::npos) return std::nullopt;
  const std::size_t second = value.find('.', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  SessionCookie cookie{value.substr(0, first), 0, value.substr(first + 1, second - first - 1),
                       value.substr(second + 1)};
  std::int64_t opened_s = 0;
  const char* const digits_end = cookie.opened_s.data() + cookie.opened_s.size();
  const auto [end, error] = std::from_chars(cookie.opened_s.data(), digits_end, opened_s);
  if (cookie.opened_s.empty() || error != std::errc() || end != digits_end || opened_s < 0 ||
      opened_s > std::int64_t{1} << 40 || !IsHqApiTokenName(cookie.token_name) ||
      cookie.mac.empty()) {
    return std::nullopt;
  }
  cookie.opened_ms = opened_s * 1000;
  return cookie;
}

}  // namespace

Result<DashboardSessions> DashboardSessions::FromIndexKey(std::string_view index_key) {
  if (index_key.size() != 32) return Error(ErrorKind::kInvalidArgument, "index key: not 32 bytes");
  auto key = HkdfSha256(index_key, "", kKeyLabel, 32);
  if (!key) return key.error().WithContext("dashboard session key");
  return DashboardSessions(std::move(*key));
}

std::string DashboardSessions::Mac(std::string_view opened_s, const HqApiToken& token) const {
  return Base64UrlEncode(HmacSha256(key_, StrCat(opened_s, ".", token.name, ".", token.hash)));
}

std::string DashboardSessions::CookieValue(const HqApiToken& token, std::int64_t opened_s) const {
  const std::string opened = std::to_string(opened_s);
  return StrCat(opened, ".", token.name, ".", Mac(opened, token));
}

HttpResponse DashboardSessions::Open(const HqApiToken& token, std::int64_t now_ms) const {
  HttpResponse response = NoContent();
  response.headers.emplace_back(
      "Set-Cookie",
      StrCat(kDashboardCookie, "=", CookieValue(token, now_ms / 1000), kCookieAttributes));
  return response;
}

HqApiAccess DashboardSessions::Authorize(const HttpRequest& request, const HqApiTokens& tokens,
                                         std::int64_t now_ms) const {
  const HqApiAccess no_session{HqApiAccess::Verdict::kNoToken, "", std::nullopt};
  const std::optional<std::string_view> cookies = request.Header("cookie");
  if (!cookies) return no_session;
  const std::optional<std::string_view> value = FindCookie(*cookies, kDashboardCookie);
  if (!value) return no_session;
  const std::optional<SessionCookie> cookie = ParseSessionCookie(*value);
  if (!cookie) return no_session;
  const std::optional<HqApiToken> token = tokens.Find(cookie->token_name);
  if (!token || !ConstantTimeEqual(cookie->mac, Mac(cookie->opened_s, *token))) {
    return {HqApiAccess::Verdict::kUnknownToken, "", std::nullopt};
  }
  const std::int64_t age_ms = now_ms - cookie->opened_ms;
  const std::int64_t lifetime_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(kDashboardSessionLifetime).count();
  if (age_ms < -kSessionClockSlackMs || age_ms >= lifetime_ms) return no_session;
  return AccessOf(*token, HqApiScope::kReports, now_ms);
}

bool MaySpeakByDashboardSession(const HttpRequest& request, HqApiScope scope) {
  return request.method == "GET" && scope == HqApiScope::kReports &&
         !request.Header("authorization");
}

HttpResponse EndDashboardSession() {
  HttpResponse response = NoContent();
  response.headers.emplace_back("Set-Cookie",
                                StrCat(kDashboardCookie, "=", kCookieAttributes, "; Max-Age=0"));
  return response;
}

}  // namespace kiosk_edge
