// The dashboard's session cookie: "<Unix s of the log-in>.<token name>.<MAC>", standing for its
// token on the GETs of the scope reports until kDashboardSessionLifetime after the log-in, and
// only while the token is configured as it was (the real server: hq_api_test.cpp, and the page:
// tests/browser/dashboard.test.mjs).

#include "sync/profile_store/dashboard_session.hpp"

#include <gtest/gtest.h>

#include <regex>

#include "common/strings.hpp"

namespace kiosk_edge {
namespace {

using Verdict = HqApiAccess::Verdict;

constexpr std::int64_t kLogInMs = 1'800'000'000'000;
constexpr std::int64_t kLifetimeMs = 12 * 3'600'000;
const std::string kIndexKey(32, 'k');

HqApiToken ConfiguredToken(std::string name, std::string token_text,
                           std::uint8_t scopes = kEveryHqApiScope) {
  HqApiToken token;
  token.name = std::move(name);
  token.hash = HqApiTokenHash(token_text);
  token.scopes = scopes;
  return token;
}

HttpRequest Get(const std::string& cookie_value) {
  HttpRequest request;
  request.method = "GET";
  request.target = "/v1/channels";
  request.headers.emplace_back("cookie", StrCat("lang=en; __Host-hq-dashboard=", cookie_value));
  return request;
}

class DashboardSessionTest : public ::testing::Test {
 protected:
  DashboardSessions Sessions(const std::string& index_key = kIndexKey) {
    auto sessions = DashboardSessions::FromIndexKey(index_key);
    EXPECT_TRUE(sessions) << sessions.error().message();
    return std::move(*sessions);
  }
  Verdict VerdictAt(const std::string& cookie_value, std::int64_t now_ms) {
    return sessions_.Authorize(Get(cookie_value), tokens_, now_ms).verdict;
  }

  HqApiToken analytics_ = ConfiguredToken("analytics", "hq_ANALYTICSTOKEN");
  HqApiTokens tokens_{{analytics_, ConfiguredToken("other", "hq_OTHERTOKEN")}};
  DashboardSessions sessions_ = Sessions();
};

TEST_F(DashboardSessionTest, TheCookieHoldsTheLogInTimeTheTokensNameAndAMacNotTheToken) {
  const HttpResponse opened = sessions_.Open(analytics_, kLogInMs + 999);
  ASSERT_EQ(opened.status, 204);
  ASSERT_EQ(opened.headers.size(), 1u);
  const std::string& set_cookie = opened.headers[0].second;
  EXPECT_TRUE(
      std::regex_match(set_cookie, std::regex("__Host-hq-dashboard=1800000000\\.analytics\\."
                                              "[A-Za-z0-9_-]{43}; Path=/; Secure; HttpOnly; "
                                              "SameSite=Strict")))
      << set_cookie;
  EXPECT_EQ(set_cookie.find("ANALYTICSTOKEN"), std::string::npos);
  EXPECT_EQ(set_cookie.find(analytics_.hash), std::string::npos);
  EXPECT_EQ(set_cookie,
            StrCat("__Host-hq-dashboard=", sessions_.CookieValue(analytics_, 1'800'000'000),
                   "; Path=/; Secure; HttpOnly; SameSite=Strict"));
  EXPECT_NE(sessions_.CookieValue(analytics_, 1'800'000'000),
            Sessions(std::string(32, 'j')).CookieValue(analytics_, 1'800'000'000))
      << "another HQ's index key, another MAC";
  EXPECT_FALSE(DashboardSessions::FromIndexKey("short"));
}

TEST_F(DashboardSessionTest, StandsForItsTokenUntilTwelveHoursAfterTheLogIn) {
  const std::string cookie = sessions_.CookieValue(analytics_, kLogInMs / 1000);
  const HqApiAccess access = sessions_.Authorize(Get(cookie), tokens_, kLogInMs);
  EXPECT_EQ(access.verdict, Verdict::kGranted);
  EXPECT_EQ(access.token_name, "analytics");
  EXPECT_EQ(VerdictAt(cookie, kLogInMs + kLifetimeMs - 1), Verdict::kGranted);
  EXPECT_EQ(VerdictAt(cookie, kLogInMs + kLifetimeMs), Verdict::kNoToken) << "the session ended";
  EXPECT_EQ(VerdictAt(cookie, kLogInMs - 60'000), Verdict::kGranted)
      << "another instance's clock a minute behind";
  EXPECT_EQ(VerdictAt(cookie, kLogInMs - 60'001), Verdict::kNoToken) << "opened in the future";
}

TEST_F(DashboardSessionTest, ACookieHqDidNotMakeOrWhoseTokenChangedIsRefused) {
  const std::string cookie = sessions_.CookieValue(analytics_, kLogInMs / 1000);
  const std::string mac = cookie.substr(cookie.rfind('.') + 1);
  // The log-in time moved (to outlive the session) or the name swapped for another token's.
  EXPECT_EQ(VerdictAt(StrCat(kLogInMs / 1000 + 3600, ".analytics.", mac), kLogInMs + kLifetimeMs),
            Verdict::kUnknownToken);
  EXPECT_EQ(VerdictAt(StrCat(kLogInMs / 1000 + 12 * 3600, ".analytics.", mac), kLogInMs),
            Verdict::kUnknownToken);
  EXPECT_EQ(VerdictAt(StrCat(kLogInMs / 1000, ".other.", mac), kLogInMs), Verdict::kUnknownToken);
  EXPECT_EQ(VerdictAt(StrCat(kLogInMs / 1000, ".analytics.", mac, "A"), kLogInMs),
            Verdict::kUnknownToken);
  EXPECT_EQ(
      VerdictAt(Sessions(std::string(32, 'j')).CookieValue(analytics_, kLogInMs / 1000), kLogInMs),
      Verdict::kUnknownToken)
      << "made with another index key";
  // The token replaced under its name, then taken out of the config.
  tokens_.Replace({ConfiguredToken("analytics", "hq_REPLACEMENT")});
  EXPECT_EQ(VerdictAt(cookie, kLogInMs), Verdict::kUnknownToken);
  tokens_.Replace({});
  EXPECT_EQ(VerdictAt(cookie, kLogInMs), Verdict::kUnknownToken);
  // The same token, now expired, or without the scope reports: as for its header.
  HqApiToken expiring = analytics_;
  expiring.expires_at_ms = kLogInMs + 1;
  tokens_.Replace({expiring});
  EXPECT_EQ(VerdictAt(cookie, kLogInMs), Verdict::kGranted);
  EXPECT_EQ(VerdictAt(cookie, kLogInMs + 1), Verdict::kExpired);
  HqApiToken metrics_only = analytics_;
  metrics_only.scopes = static_cast<std::uint8_t>(HqApiScope::kMetrics);
  tokens_.Replace({metrics_only});
  EXPECT_EQ(VerdictAt(cookie, kLogInMs), Verdict::kOutOfScope);
}

TEST_F(DashboardSessionTest, ACookieOfAnotherFormIsNoSession) {
  const std::string cookie = sessions_.CookieValue(analytics_, kLogInMs / 1000);
  const std::string mac = cookie.substr(cookie.rfind('.') + 1);
  for (const std::string& malformed :
       {StrCat(kLogInMs / 1000, ".hq_ANALYTICSTOKEN"),  // the form before sessions had a MAC
        std::string("hq_ANALYTICSTOKEN"), StrCat(".analytics.", mac),
        StrCat("18e8.analytics.", mac), StrCat("-1.analytics.", mac),
        StrCat(kLogInMs / 1000, "..", mac), StrCat(kLogInMs / 1000, ".ana lytics.", mac),
        StrCat(kLogInMs / 1000, ".analytics."), std::string()}) {
    EXPECT_EQ(VerdictAt(malformed, kLogInMs), Verdict::kNoToken) << malformed;
  }
  HttpRequest no_cookie = Get(cookie);
  no_cookie.headers.clear();
  EXPECT_EQ(sessions_.Authorize(no_cookie, tokens_, kLogInMs).verdict, Verdict::kNoToken);
}

TEST_F(DashboardSessionTest, SpeaksOnlyForGetsOfReportsWithoutAnAuthorizationHeader) {
  HttpRequest request = Get("");
  EXPECT_TRUE(MaySpeakByDashboardSession(request, HqApiScope::kReports));
  EXPECT_FALSE(MaySpeakByDashboardSession(request, HqApiScope::kAudience));
  EXPECT_FALSE(MaySpeakByDashboardSession(request, HqApiScope::kMetrics));
  request.method = "POST";
  EXPECT_FALSE(MaySpeakByDashboardSession(request, HqApiScope::kReports));
  request.method = "GET";
  request.headers.emplace_back("authorization", "Bearer other");
  EXPECT_FALSE(MaySpeakByDashboardSession(request, HqApiScope::kReports)) << "the header wins";
}

}  // namespace
}  // namespace kiosk_edge
