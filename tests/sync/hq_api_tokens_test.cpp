// HQ API tokens: making them, their config entries, checking Authorization headers; and the
// command line client's URL rules.

#include "sync/profile_store/hq_api_tokens.hpp"

#include <gtest/gtest.h>

#include <string>

#include "common/config_file.hpp"
#include "sync/profile_store/hq_api_client.hpp"

namespace kiosk_edge {
namespace {

TEST(HqApiTokensTest, NewTokensAreLongRandomAndOnlyTheirHashIsConfigured) {
  auto first = NewHqApiToken();
  auto second = NewHqApiToken();
  ASSERT_TRUE(first && second);
  EXPECT_TRUE(first->starts_with("hq_"));
  EXPECT_EQ(first->size(), 3u + 52u);  // 256 bits of base32
  EXPECT_NE(*first, *second);
  const std::string hash = HqApiTokenHash(*first);
  EXPECT_TRUE(IsHqApiTokenHash(hash));
  EXPECT_EQ(hash, HqApiTokenHash(*first));
  EXPECT_NE(hash, HqApiTokenHash(*second));
  const std::string lines =
      HqApiTokenConfigLines("analytics", *first, static_cast<std::uint8_t>(HqApiScope::kReports));
  EXPECT_EQ(lines, "[hq_api.tokens.analytics]\nhash = \"" + hash + "\"\nscopes = \"reports\"\n");
  EXPECT_EQ(lines.find(*first), std::string::npos);
}

using Verdict = HqApiAccess::Verdict;
constexpr std::int64_t kNowMs = 1'800'000'000'000;

// The configured token `name` for `secret`: every scope, no expiry, until the test says.
HqApiToken Token(std::string name, std::string_view secret) {
  HqApiToken token;
  token.name = std::move(name);
  token.hash = HqApiTokenHash(secret);
  return token;
}

// The verdict, and the token's name when it is known.
std::pair<Verdict, std::string> Check(const HqApiTokens& tokens,
                                      std::optional<std::string_view> authorization,
                                      HqApiScope scope = HqApiScope::kReports,
                                      std::int64_t now_ms = kNowMs) {
  const HqApiAccess access = tokens.Authorize(authorization, scope, now_ms);
  return {access.verdict, access.token_name};
}

TEST(HqApiTokensTest, AcceptsOnlyAConfiguredBearerToken) {
  const HqApiTokens tokens({Token("alice", "hq_ALICE"), Token("dashboard", "hq_DASHBOARD")});
  EXPECT_EQ(Check(tokens, "Bearer hq_ALICE"), std::pair(Verdict::kGranted, std::string("alice")));
  EXPECT_EQ(Check(tokens, "bearer  hq_DASHBOARD "),
            std::pair(Verdict::kGranted, std::string("dashboard")));
  EXPECT_EQ(Check(tokens, std::nullopt).first, Verdict::kNoToken);
  for (const std::string& wrong :
       {std::string("Bearer hq_alice"), std::string("Bearer "), std::string("Basic hq_ALICE"),
        std::string("hq_ALICE"), "Bearer " + std::string(300, 'A')}) {
    EXPECT_EQ(Check(tokens, wrong), std::pair(Verdict::kUnknownToken, std::string())) << wrong;
  }
  EXPECT_EQ(Check(HqApiTokens(), "Bearer hq_ALICE").first, Verdict::kUnknownToken);
}

TEST(HqApiTokensTest, ATokenHasItsScopesOnlyAndNoneOnceExpired) {
  HqApiToken reader = Token("dashboard", "hq_R");
  reader.scopes = static_cast<std::uint8_t>(HqApiScope::kReports) |
                  static_cast<std::uint8_t>(HqApiScope::kMetrics);
  HqApiToken expiring = Token("contractor", "hq_E");
  expiring.expires_at_ms = kNowMs + 1;
  const HqApiTokens tokens({reader, expiring});
  EXPECT_EQ(Check(tokens, "Bearer hq_R", HqApiScope::kMetrics).first, Verdict::kGranted);
  for (HqApiScope scope : {HqApiScope::kAudience, HqApiScope::kSubjects, HqApiScope::kAudit}) {
    EXPECT_EQ(Check(tokens, "Bearer hq_R", scope),
              std::pair(Verdict::kOutOfScope, std::string("dashboard")))
        << HqApiScopeName(scope);
  }
  EXPECT_EQ(Check(tokens, "Bearer hq_E", HqApiScope::kAudience, kNowMs).first, Verdict::kGranted)
      << "no scopes configured: every scope";
  const HqApiAccess late = tokens.Authorize("Bearer hq_E", HqApiScope::kReports, kNowMs + 1);
  EXPECT_EQ(late.verdict, Verdict::kExpired);
  EXPECT_EQ(late.token_name, "contractor");
  EXPECT_EQ(late.expired_at_ms, kNowMs + 1);
}

TEST(HqApiTokensTest, ReadsScopesAndExpiryAndRefusesWhatIsNotOne) {
  const std::string hash = HqApiTokenHash("hq_X");
  auto file = ConfigFile::Parse(
      "[hq_api.tokens.bi]\nhash = \"" + hash +
          "\"\nscopes = \"reports ,metrics\"\nexpires = \"2027-06-30T18:00:00+08:00\"\n"
          "[hq_api.tokens.old]\nhash = \"" +
          hash +
          "\"\n"
          "[hq_api.tokens.typo]\nhash = \"" +
          hash +
          "\"\nscopes = \"reports, audiences\"\n"
          "[hq_api.tokens.when]\nhash = \"" +
          hash +
          "\"\nexpires = \"30/06/2027\"\n"
          "[hq_api.tokens.none]\nhash = \"" +
          hash + "\"\nscopes = \"\"\n",
      "t.toml");
  ASSERT_TRUE(file);
  const auto tokens = ReadHqApiTokens(*file);
  ASSERT_EQ(tokens.size(), 2u);
  EXPECT_EQ(tokens[0].name, "bi");
  EXPECT_EQ(HqApiScopesText(tokens[0].scopes), "reports, metrics");
  EXPECT_EQ(tokens[0].expires_at_ms, 1'814'349'600'000);  // 2027-06-30T10:00:00Z
  EXPECT_EQ(tokens[1].name, "old");
  EXPECT_EQ(tokens[1].scopes, kEveryHqApiScope);
  EXPECT_FALSE(tokens[1].expires_at_ms);
  auto finished = file->Finish();
  ASSERT_FALSE(finished);
  const std::string message = finished.error().message();
  EXPECT_NE(message.find("t.toml:9: hq_api.tokens.typo.scopes: must list"), std::string::npos)
      << message;
  EXPECT_NE(message.find("t.toml:12: hq_api.tokens.when.expires: must be a UTC date"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("hq_api.tokens.none.scopes: must list"), std::string::npos) << message;
}

TEST(HqApiTokensTest, ReadsTokenTablesFromTheConfig) {
  const std::string hash = HqApiTokenHash("hq_X");
  auto file = ConfigFile::Parse("[hq_api.tokens.alice]\nhash = \"" + hash +
                                    "\"\n[hq_api.tokens.bi-tool]\nhash = \"" + hash + "\"\n",
                                "test.toml");
  ASSERT_TRUE(file);
  const auto tokens = ReadHqApiTokens(*file);
  EXPECT_TRUE(file->Finish()) << file->Finish().error().message();
  ASSERT_EQ(tokens.size(), 2u);
  EXPECT_EQ(tokens[0].name, "alice");
  EXPECT_EQ(tokens[1].name, "bi-tool");
  EXPECT_EQ(tokens[1].hash, hash);
}

TEST(HqApiTokensTest, RefusesAHashThatIsNotOne) {
  auto file = ConfigFile::Parse("[hq_api.tokens.alice]\nhash = \"hq_plain_token\"\n", "t.toml");
  ASSERT_TRUE(file);
  EXPECT_TRUE(ReadHqApiTokens(*file).empty());
  auto finished = file->Finish();
  ASSERT_FALSE(finished);
  EXPECT_NE(
      finished.error().message().find("t.toml:2: hq_api.tokens.alice.hash: must be the 64 hex"),
      std::string::npos)
      << finished.error().message();
}

TEST(HqApiTokensTest, RefusesATokenTableWithoutItsHash) {
  auto file = ConfigFile::Parse("[hq_api.tokens.alice]\nhsh = \"x\"\n", "t.toml");
  ASSERT_TRUE(file);
  EXPECT_TRUE(ReadHqApiTokens(*file).empty());
  EXPECT_FALSE(file->Finish());
}

TEST(HqApiClientTest, TakesAnHttpsOriginOnly) {
  auto origin = ParseHttpsOrigin("https://hq.example.com:8443");
  ASSERT_TRUE(origin);
  EXPECT_EQ(origin->host, "hq.example.com");
  EXPECT_EQ(origin->port, 8443);
  origin = ParseHttpsOrigin("https://[::1]:9443/");
  ASSERT_TRUE(origin);
  EXPECT_EQ(origin->host, "::1");
  EXPECT_EQ(origin->port, 9443);
  origin = ParseHttpsOrigin("https://10.0.0.5");
  ASSERT_TRUE(origin);
  EXPECT_EQ(origin->port, 443);
  EXPECT_FALSE(ParseHttpsOrigin("http://hq.example.com:8443"));
  EXPECT_FALSE(ParseHttpsOrigin("https://hq.example.com:0"));
  EXPECT_FALSE(ParseHttpsOrigin("https://hq.example.com:"));
  EXPECT_FALSE(ParseHttpsOrigin("https://hq.example.com/v1"));
  EXPECT_FALSE(ParseHttpsOrigin("https://user@hq.example.com"));
}

}  // namespace
}  // namespace kiosk_edge
