// The shopper's flow against a real kiosk-agent process: scan, landing, signup, kiosk screen.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <fstream>
#include <regex>
#include <sstream>

#include "agent/page_assets.hpp"
#include "common/http_forms.hpp"
#include "support/http_client.hpp"
#include "support/journal_events.hpp"
#include "support/phone.hpp"
#include "support/running_agent.hpp"
#include "support/temp_dir.hpp"

namespace kiosk_edge {
namespace {

using testing::HttpExchange;
using testing::Phone;
using testing::RawHttpResponse;
using testing::ReadEvents;
using testing::RunningAgent;
using testing::TempDir;

TEST(ShopperFlowTest, ChannelScanIsRecordedWithItsChannelAndDevice) {
  TempDir dir;
  RunningAgent agent(dir.path());
  ASSERT_NE(agent.port(), 0);
  Phone phone(agent.port());
  const auto landing = phone.Get(agent.ChannelPath("EL3-POSTER-V2"));
  EXPECT_EQ(landing.status, 200);
  EXPECT_FALSE(phone.device().empty()) << "the first visit sets a device cookie";
  EXPECT_NE(landing.body.find("/signup?channel=EL3-POSTER-V2"), std::string::npos);
  EXPECT_EQ(landing.Header("content-security-policy"), KioskContentSecurityPolicy());
  EXPECT_EQ(landing.Header("x-frame-options"), "DENY");
  ASSERT_EQ(agent.Stop(), 0);

  const auto scans = ReadEvents(agent.state_dir(), "scan");
  ASSERT_EQ(scans.size(), 1u);
  EXPECT_EQ(scans[0].channel_id, "EL3-POSTER-V2");
  EXPECT_EQ(scans[0].payload.at("valid"), true);
  EXPECT_EQ(scans[0].payload.at("device").as_string(), phone.device());
  EXPECT_EQ(scans[0].payload.at("ua"), "ios");
}

TEST(ShopperFlowTest, ForgedOrGarbledCodesLandButAreAttributedToNoChannel) {
  TempDir dir;
  RunningAgent agent(dir.path());
  Phone phone(agent.port());
  std::string forged = agent.ChannelPath("EL3-POSTER-V2");
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  for (const std::string& target :
       {forged, std::string("/c/LOBBY-POSTER-1"), std::string("/c/%00%FF"),
        std::string("/C/EL3-POSTER-V2.ZZZZZZZZZZZZZZZZZ")}) {
    const auto landing = phone.Get(target);
    EXPECT_EQ(landing.status, 200) << target;
  }
  ASSERT_EQ(agent.Stop(), 0);
  const auto scans = ReadEvents(agent.state_dir(), "scan");
  ASSERT_EQ(scans.size(), 4u);
  for (const auto& scan : scans) {
    EXPECT_EQ(scan.channel_id, "");
    EXPECT_EQ(scan.payload.at("valid"), false);
    EXPECT_TRUE(scan.payload.contains("reason"));
  }
}

TEST(ShopperFlowTest, SignupIsDurableOncePerPhonePerCampaign) {
  TempDir dir;
  RunningAgent agent(dir.path(), std::string(testing::kOpenSignupLimits));
  Phone phone(agent.port());
  const auto first = phone.SignUp("EL3-POSTER-V2", "张伟", "138 1234 5678");
  EXPECT_EQ(first.status, 200);
  EXPECT_NE(first.body.find("注册成功"), std::string::npos);
  Phone other(agent.port(), "en-US");
  const auto again = other.SignUp("LOBBY-POSTER-1", "Wei Zhang", "+86 138-1234-5678");
  EXPECT_EQ(again.status, 200);
  EXPECT_NE(again.body.find("already signed up"), std::string::npos) << again.body;
  const auto second = other.SignUp("LOBBY-POSTER-1", "Li Na", "13900001111");
  EXPECT_NE(second.body.find("You're signed up"), std::string::npos);
  ASSERT_EQ(agent.Stop(), 0);

  const auto signups = ReadEvents(agent.state_dir(), "signup");
  ASSERT_EQ(signups.size(), 2u);
  EXPECT_EQ(signups[0].channel_id, "EL3-POSTER-V2");
  EXPECT_EQ(signups[0].payload.at("campaign"), "welcome-gift");
  EXPECT_EQ(signups[0].payload.at("consent").at("service"), true);
  EXPECT_EQ(signups[0].payload.at("consent").at("marketing"), false);
  EXPECT_TRUE(signups[0].payload.at("name").as_string().starts_with("S1."));
  EXPECT_NE(signups[0].payload.at("phone_index"), signups[1].payload.at("phone_index"));
}

TEST(ShopperFlowTest, ErrorsAppearNextToTheirFieldsAndNothingTypedIsLost) {
  TempDir dir;
  RunningAgent agent(dir.path());
  Phone phone(agent.port(), "en");
  const auto response = phone.SignUp("FLYER-NOV", "  Ada <b>  ", "12345", /*consent=*/false);
  EXPECT_EQ(response.status, 422);
  EXPECT_NE(response.body.find("id=\"phone-error\""), std::string::npos);
  EXPECT_NE(response.body.find("This is not a valid mobile number"), std::string::npos);
  EXPECT_NE(response.body.find("id=\"consent-error\""), std::string::npos);
  EXPECT_EQ(response.body.find("id=\"name-error\""), std::string::npos) << "the name was fine";
  EXPECT_NE(response.body.find("value=\"  Ada &lt;b&gt;  \""), std::string::npos)
      << "what was typed comes back, escaped";
  EXPECT_NE(response.body.find("value=\"12345\""), std::string::npos);
  EXPECT_NE(response.body.find("value=\"FLYER-NOV\""), std::string::npos);

  const auto missing_csrf = phone.Post("channel=FLYER-NOV&name=Ada&phone=13812345678");
  EXPECT_EQ(missing_csrf.status, 403);
  EXPECT_NE(missing_csrf.body.find("value=\"Ada\""), std::string::npos);
  EXPECT_EQ(HttpExchange(agent.port(), "POST", "/signup", {"Content-Type: text/plain"}, "x").status,
            415);
  ASSERT_EQ(agent.Stop(), 0);
  EXPECT_TRUE(ReadEvents(agent.state_dir(), "signup").empty());
}

TEST(ShopperFlowTest, TooManyAttemptsFromOnePhoneAreRefused) {
  TempDir dir;
  RunningAgent agent(dir.path(), "[shopper]\nsignups_per_device = 3\n");
  Phone phone(agent.port());
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(phone.SignUp("FLYER-NOV", "Ada", "1391234000" + std::to_string(i)).status, 200);
  }
  const auto refused = phone.SignUp("FLYER-NOV", "Ada", "13912340009");
  EXPECT_EQ(refused.status, 429);
  EXPECT_EQ(refused.Header("retry-after"), "60");
  ASSERT_EQ(agent.Stop(), 0);
}

TEST(ShopperFlowTest, KioskScreenShowsAFreshPresenceCodeThatVerifies) {
  TempDir dir;
  RunningAgent agent(dir.path());
  const auto screen = testing::HttpGet(agent.port(), "/kiosk");
  EXPECT_EQ(screen.status, 200);
  EXPECT_NE(screen.body.find("<svg"), std::string::npos);
  const auto code = testing::HttpGet(agent.port(), "/kiosk/code");
  ASSERT_EQ(code.status, 200);
  const auto json = boost::json::parse(code.body).as_object();
  const std::string url(json.at("url").as_string());
  const std::string prefix = "HTTP://127.0.0.1:" + std::to_string(agent.port()) + "/K/";
  ASSERT_TRUE(url.starts_with(prefix)) << url;
  Phone phone(agent.port());
  EXPECT_EQ(phone.Get(url.substr(url.find("/K/"))).status, 200);
  std::string stale = url.substr(url.find("/K/"));
  stale.back() = stale.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(phone.Get(stale).status, 200);
  ASSERT_EQ(agent.Stop(), 0);
  const auto scans = ReadEvents(agent.state_dir(), "scan");
  ASSERT_EQ(scans.size(), 2u);
  EXPECT_EQ(scans[0].channel_id, "KIOSK-SCREEN");
  EXPECT_EQ(scans[0].payload.at("presence"), "verified");
  EXPECT_EQ(scans[1].payload.at("presence"), "unverified");
  EXPECT_EQ(scans[1].channel_id, "");
}

TEST(ShopperFlowTest, PagesFollowTheShoppersLanguage) {
  TempDir dir;
  RunningAgent agent(dir.path());
  Phone english(agent.port(), "en-GB,en;q=0.9");
  EXPECT_NE(english.Get("/signup").body.find("Mobile number"), std::string::npos);
  Phone chinese(agent.port(), "zh-CN");
  EXPECT_NE(chinese.Get("/signup").body.find("手机号码"), std::string::npos);
  const auto switched = chinese.Get("/signup?lang=en");
  EXPECT_NE(switched.body.find("Mobile number"), std::string::npos);
  EXPECT_NE(switched.Header("set-cookie").find("lang=en"), std::string::npos);
  ASSERT_EQ(agent.Stop(), 0);
}

// DESIGN.md §8: no plaintext personal data at rest or in logs.
TEST(ShopperFlowTest, AThousandSignupsLeaveNoNameOrPhoneOnDiskOrInLogs) {
  TempDir dir;
  RunningAgent agent(dir.path(), std::string(testing::kOpenSignupLimits));
  std::vector<std::string> names, phones;
  for (int i = 0; i < 1000; ++i) {
    names.push_back("Shopper" + std::to_string(100000 + i) + "名");
    phones.push_back("1390" + std::to_string(1000000 + i));
    Phone phone(agent.port());
    ASSERT_EQ(phone.SignUp("LOBBY-POSTER-1", names.back(), phones.back()).status, 200) << i;
  }
  std::string log;
  ASSERT_EQ(agent.Stop(&log), 0);
  EXPECT_EQ(ReadEvents(agent.state_dir(), "signup").size(), 1000u);

  std::string disk = log;
  for (const auto& entry : std::filesystem::directory_iterator(agent.state_dir())) {
    std::ifstream file(entry.path(), std::ios::binary);
    disk += std::string(std::istreambuf_iterator<char>(file), {});
  }
  ASSERT_GT(disk.size(), 100'000u) << "the journal should hold a thousand signups";
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(disk.find(names[i]), std::string::npos) << "name " << i << " in plain text";
    ASSERT_EQ(disk.find(phones[i]), std::string::npos) << "phone " << i << " in plain text";
  }
}

}  // namespace
}  // namespace kiosk_edge
