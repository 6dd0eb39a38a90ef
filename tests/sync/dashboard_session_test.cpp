// The dashboard's session cookie: "<Unix s of the log-in>.<token>", standing for the token on the
// GETs of the scope reports until kDashboardSessionLifetime after the log-in (the real server:
// hq_api_test.cpp, and the page: tests/browser/dashboard.test.mjs).

#include "sync/profile_store/dashboard_session.hpp"

#include <gtest/gtest.h>

#include "common/strings.hpp"

namespace kiosk_edge {
namespace {

constexpr std::int64_t kLogInMs = 1'800'000'000'000;
constexpr std::int64_t kLifetimeMs = 12 * 3'600'000;
constexpr char kToken[] = "hq_ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

HttpRequest Get(std::string cookie) {
  HttpRequest request;
  request.method = "GET";
  request.target = "/v1/channels";
  request.headers.emplace_back("cookie", std::move(cookie));
  return request;
}

TEST(DashboardSessionTest, TheCookieHoldsTheLogInTimeAndTheToken) {
  HttpRequest log_in;
  log_in.method = "POST";
  log_in.headers.emplace_back("authorization", StrCat("Bearer ", kToken));
  const HttpResponse opened = OpenDashboardSession(log_in, kLogInMs + 999);
  ASSERT_EQ(opened.status, 204);
  ASSERT_EQ(opened.headers.size(), 1u);
  EXPECT_EQ(opened.headers[0].second, StrCat("__Host-hq-dashboard=1800000000.", kToken,
                                             "; Path=/; Secure; HttpOnly; SameSite=Strict"));
}

TEST(DashboardSessionTest, StandsForTheTokenUntilTwelveHoursAfterTheLogIn) {
  const HttpRequest request = Get(StrCat("lang=en; __Host-hq-dashboard=1800000000.", kToken));
  const std::optional<std::string> bearer = StrCat("Bearer ", kToken);
  EXPECT_EQ(HqApiAuthorization(request, HqApiScope::kReports, kLogInMs), bearer);
  EXPECT_EQ(HqApiAuthorization(request, HqApiScope::kReports, kLogInMs + kLifetimeMs - 1), bearer);
  EXPECT_EQ(HqApiAuthorization(request, HqApiScope::kReports, kLogInMs + kLifetimeMs), std::nullopt)
      << "the session ended";
  EXPECT_EQ(HqApiAuthorization(request, HqApiScope::kReports, kLogInMs - 60'000), bearer)
      << "another instance's clock a minute behind";
  EXPECT_EQ(HqApiAuthorization(request, HqApiScope::kReports, kLogInMs - 60'001), std::nullopt)
      << "opened in the future";
}

TEST(DashboardSessionTest, OnlyForGetsOfReportsAndOnlyInItsOwnForm) {
  const std::string session = StrCat("__Host-hq-dashboard=1800000000.", kToken);
  EXPECT_EQ(HqApiAuthorization(Get(session), HqApiScope::kAudience, kLogInMs), std::nullopt);
  HttpRequest post = Get(session);
  post.method = "POST";
  EXPECT_EQ(HqApiAuthorization(post, HqApiScope::kReports, kLogInMs), std::nullopt);
  for (const std::string& malformed :
       {StrCat("__Host-hq-dashboard=", kToken), StrCat("__Host-hq-dashboard=.", kToken),
        StrCat("__Host-hq-dashboard=18e8.", kToken), std::string("__Host-hq-dashboard=1800000000."),
        std::string("__Host-hq-dashboard=")}) {
    EXPECT_EQ(HqApiAuthorization(Get(malformed), HqApiScope::kReports, kLogInMs), std::nullopt)
        << malformed;
  }
  HttpRequest with_header = Get(session);
  with_header.headers.emplace_back("authorization", "Bearer other");
  EXPECT_EQ(HqApiAuthorization(with_header, HqApiScope::kAudience, kLogInMs), "Bearer other")
      << "the header wins, for every scope";
}

}  // namespace
}  // namespace kiosk_edge
