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
  const std::string lines = HqApiTokenConfigLines("analytics", *first);
  EXPECT_EQ(lines, "[hq_api.tokens.analytics]\nhash = \"" + hash + "\"\n");
  EXPECT_EQ(lines.find(*first), std::string::npos);
}

TEST(HqApiTokensTest, AcceptsOnlyAConfiguredBearerToken) {
  const HqApiTokens tokens(
      {{"alice", HqApiTokenHash("hq_ALICE")}, {"dashboard", HqApiTokenHash("hq_DASHBOARD")}});
  EXPECT_EQ(tokens.Authenticate("Bearer hq_ALICE"), "alice");
  EXPECT_EQ(tokens.Authenticate("bearer  hq_DASHBOARD "), "dashboard");
  EXPECT_FALSE(tokens.Authenticate(std::nullopt));
  EXPECT_FALSE(tokens.Authenticate("Bearer hq_alice"));
  EXPECT_FALSE(tokens.Authenticate("Bearer "));
  EXPECT_FALSE(tokens.Authenticate("Basic hq_ALICE"));
  EXPECT_FALSE(tokens.Authenticate("hq_ALICE"));
  EXPECT_FALSE(tokens.Authenticate("Bearer " + std::string(300, 'A')));
  EXPECT_FALSE(HqApiTokens().Authenticate("Bearer hq_ALICE"));
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
