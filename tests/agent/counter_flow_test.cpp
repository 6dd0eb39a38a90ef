// The clerk's counter against a real kiosk-agent process: PIN login, redemption exactly once,
// every refusal with its reason, camera frames decoded on the kiosk.
#include <gtest/gtest.h>

#include <barrier>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <thread>

#include "agent/staff_auth.hpp"
#include "agent/voucher_token.hpp"
#include "common/crypto.hpp"
#include "common/files.hpp"
#include "common/http_forms.hpp"
#include "kiosk/qr/qr_code.hpp"
#include "kiosk/qr/qr_render.hpp"
#include "support/clerk.hpp"
#include "support/http_client.hpp"
#include "support/journal_events.hpp"
#include "support/phone.hpp"
#include "support/running_agent.hpp"
#include "support/temp_dir.hpp"

namespace kiosk_edge {
namespace {

using testing::Clerk;
using testing::HttpExchange;
using testing::Phone;
using testing::RawHttpResponse;
using testing::ReadEvents;
using testing::RunningAgent;
using testing::TempDir;

// Mints vouchers as the agent would, with its device key from the state folder.
class Mint {
 public:
  explicit Mint(const RunningAgent& agent) {
    private_key_ =
        Ed25519PrivateKeyFromPem(ReadSmallFile(agent.state_dir() / "device-key.pem").value())
            .value();
    const auto health = boost::json::parse(HttpExchange(agent.port(), "GET", "/healthz").body);
    kiosk_id_ = std::string(health.at("kiosk_id").as_string());
  }
  std::string Token(std::string store = "store-0001", std::int64_t expires_in_s = 86400,
                    VoucherScope scope = VoucherScope::kStore) const {
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    const Voucher voucher{NewVoucherId().value(), kiosk_id_, std::move(store), scope, "Tote bag",
                          now + expires_in_s};
    return SignVoucherToken(voucher, private_key_).value();
  }
  const std::string& kiosk_id() const { return kiosk_id_; }

 private:
  std::string private_key_;
  std::string kiosk_id_;
};

TEST(CounterFlowTest, SignupGivesAVoucherThatTheCounterRedeemsExactlyOnce) {
  TempDir dir;
  RunningAgent agent(dir.path(), std::string(testing::kOpenSignupLimits));
  ASSERT_FALSE(agent.demo_pin().empty()) << "the banner names the demo PIN";
  Phone phone(agent.port(), "en");
  const auto signed_up = phone.SignUp("EL3-POSTER-V2", "Wei Zhang", "13812345678");
  ASSERT_EQ(signed_up.status, 200);
  const std::string token = testing::IssuedVoucherToken(signed_up.body);
  ASSERT_FALSE(token.empty()) << signed_up.body;
  EXPECT_NE(signed_up.body.find("<svg"), std::string::npos) << "the voucher's QR code";
  EXPECT_NE(signed_up.body.find("Welcome gift"), std::string::npos);
  EXPECT_NE(signed_up.body.find("brightness"), std::string::npos);

  const auto again = phone.Get("/v/" + token);
  EXPECT_EQ(again.status, 200);
  EXPECT_NE(again.body.find(token.substr(0, 4)), std::string::npos);
  std::string altered = token;
  altered[altered.size() / 2] = altered[altered.size() / 2] == 'A' ? 'B' : 'A';
  EXPECT_EQ(phone.Get("/v/" + altered).status, 404);

  Clerk clerk(agent.port(), "demo", agent.demo_pin());
  ASSERT_TRUE(clerk.logged_in()) << clerk.last_login().status << clerk.last_login().body;
  const auto redeemed = clerk.Redeem(" " + token + "\r\n", "scanner");
  EXPECT_EQ(redeemed.at("outcome"), "redeemed");
  EXPECT_EQ(redeemed.at("title"), "Redeemed: Welcome gift");

  const auto twice = clerk.Redeem(token);
  EXPECT_EQ(twice.at("outcome"), "refused");
  EXPECT_EQ(twice.at("reason"), "already_redeemed");
  EXPECT_EQ(twice.at("title"), "Already redeemed");
  const std::string lines = boost::json::serialize(twice.at("lines"));
  EXPECT_NE(lines.find("Redeemed at"), std::string::npos) << lines;
  EXPECT_NE(lines.find("demo"), std::string::npos) << "which clerk: " << lines;
  ASSERT_EQ(agent.Stop(), 0);

  const auto issued = ReadEvents(agent.state_dir(), "voucher_issued");
  ASSERT_EQ(issued.size(), 1u);
  EXPECT_EQ(issued[0].channel_id, "EL3-POSTER-V2");
  const auto redemptions = ReadEvents(agent.state_dir(), "redemption");
  ASSERT_EQ(redemptions.size(), 1u);
  EXPECT_EQ(redemptions[0].payload.at("voucher"), issued[0].payload.at("voucher"));
  EXPECT_EQ(redemptions[0].payload.at("source"), "scanner");
  EXPECT_EQ(redemptions[0].payload.at("staff"), "demo");
  const auto refusals = ReadEvents(agent.state_dir(), "redemption_refused");
  ASSERT_EQ(refusals.size(), 1u);
  EXPECT_EQ(refusals[0].payload.at("reason"), "already_redeemed");
  EXPECT_EQ(refusals[0].payload.at("prior_seq").as_int64(), redemptions[0].seq);
}

TEST(CounterFlowTest, EachRefusalSaysWhyAndIsRecorded) {
  TempDir dir;
  RunningAgent agent(dir.path());
  const Mint mint(agent);
  Clerk clerk(agent.port(), "demo", agent.demo_pin());
  ASSERT_TRUE(clerk.logged_in());

  std::string forged = mint.Token();
  forged[forged.size() / 2] = forged[forged.size() / 2] == 'A' ? 'B' : 'A';
  const Voucher stranger_voucher{"00000000000000aa",   "stranger-kiosk", "store-0001",
                                 VoucherScope::kStore, "Tote bag",       4'000'000'000};
  const std::string unknown =
      SignVoucherToken(stranger_voucher, GenerateEd25519KeyPair().value().private_key).value();
  const std::string garbage = "https://example.com/not-a-voucher?phone=13812345678";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {forged, "not_a_voucher"},
      {garbage, "not_a_voucher"},
      {unknown, "unknown_signer"},
      {mint.Token("store-0001", -60), "expired"},
      {mint.Token("store-0002"), "wrong_store"},
  };
  for (const auto& [code, reason] : cases) {
    const auto result = clerk.Redeem(code);
    EXPECT_EQ(result.at("outcome"), "refused") << reason;
    EXPECT_EQ(result.at("reason").as_string(), reason);
    EXPECT_NE(boost::json::serialize(result.at("lines")).find("Do not hand over the gift"),
              std::string::npos);
  }
  EXPECT_EQ(clerk.Redeem(mint.Token("store-0002", 86400, VoucherScope::kFleet)).at("outcome"),
            "redeemed")
      << "a fleet voucher from another store is good here";
  ASSERT_EQ(agent.Stop(), 0);

  const auto refusals = ReadEvents(agent.state_dir(), "redemption_refused");
  ASSERT_EQ(refusals.size(), cases.size());
  for (std::size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(refusals[i].payload.at("reason").as_string(), cases[i].second);
  }
  std::string journal = ReadSmallFile(agent.state_dir() / "journal.db", 64 << 20).value();
  if (auto wal = ReadSmallFile(agent.state_dir() / "journal.db-wal", 64 << 20)) journal += *wal;
  EXPECT_EQ(journal.find("13812345678"), std::string::npos)
      << "a stray code's text (which may hold anything) is not kept";
}

TEST(CounterFlowTest, LoginNeedsTheRightPinLocksOutAndGuardsEveryRoute) {
  TempDir dir;
  RunningAgent agent(dir.path());
  const Mint mint(agent);
  const std::string wrong_pin = agent.demo_pin() == "000000" ? "111111" : "000000";

  EXPECT_EQ(HttpExchange(agent.port(), "GET", "/counter").status, 200) << "the login page";
  const auto no_session =
      HttpExchange(agent.port(), "POST", "/counter/redeem",
                   {"Content-Type: application/x-www-form-urlencoded"}, "code=" + mint.Token());
  EXPECT_EQ(no_session.status, 401);
  EXPECT_EQ(HttpExchange(agent.port(), "GET", "/counter/camera").status, 401);

  const auto cross_site = HttpExchange(
      agent.port(), "POST", "/counter/login",
      {"Content-Type: application/x-www-form-urlencoded", "Origin: https://evil.example"},
      "staff=demo&pin=" + agent.demo_pin());
  EXPECT_EQ(cross_site.status, 403);
  EXPECT_EQ(Clerk(agent.port(), "nobody", agent.demo_pin()).last_login().status, 401);

  for (int attempt = 1; attempt <= 4; ++attempt) {
    const Clerk wrong(agent.port(), "demo", wrong_pin);
    EXPECT_EQ(wrong.last_login().status, 401) << attempt;
    EXPECT_NE(wrong.last_login().body.find("Wrong staff ID or PIN"), std::string::npos);
  }
  const Clerk fifth(agent.port(), "demo", wrong_pin);
  EXPECT_EQ(fifth.last_login().status, 429);
  EXPECT_NE(fifth.last_login().body.find("locked"), std::string::npos);
  const Clerk right_but_locked(agent.port(), "demo", agent.demo_pin());
  EXPECT_FALSE(right_but_locked.logged_in());
  EXPECT_EQ(right_but_locked.last_login().status, 429);
  ASSERT_EQ(agent.Stop(), 0);

  RunningAgent restarted(dir.path());  // the lockout is in memory; the PIN persists
  EXPECT_EQ(restarted.demo_pin(), agent.demo_pin());
  Clerk clerk(restarted.port(), "demo", restarted.demo_pin());
  ASSERT_TRUE(clerk.logged_in());
  EXPECT_EQ(clerk.RedeemRaw(mint.Token(), "typed", "stale-token").status, 403);
  const auto camera = boost::json::parse(clerk.Get("/counter/camera").body);
  EXPECT_EQ(camera.at("state"), "not_configured");
  EXPECT_EQ(clerk.LogOut().status, 303);
  EXPECT_EQ(clerk.RedeemRaw(mint.Token(), "typed", clerk.csrf()).status, 401);
}

TEST(CounterFlowTest, ConfiguredStaffLogInWithTheirOwnPins) {
  TempDir dir;
  const std::string config =
      "[staff.li-na]\nname = \"Li Na\"\npin_hash = \"" + HashStaffPin("2468", 10).value() + "\"\n";
  RunningAgent agent(dir.path(), config);
  EXPECT_TRUE(agent.demo_pin().empty()) << "no demo staff once staff are configured";
  EXPECT_FALSE(Clerk(agent.port(), "demo", "000000").logged_in());
  EXPECT_FALSE(Clerk(agent.port(), "li-na", "2469").logged_in());
  Clerk clerk(agent.port(), "li-na", "2468");
  ASSERT_TRUE(clerk.logged_in());
  EXPECT_NE(clerk.Get("/counter").body.find("Li Na"), std::string::npos);
  EXPECT_EQ(agent.Stop(), 0);
}

// DESIGN.md section 5: two counters scanning the same voucher at the same moment get exactly
// one success. Each trial releases both requests together from a barrier.
TEST(CounterFlowTest, TwoCountersRacingForOneVoucherGetExactlyOneSuccessInEachOf1000Trials) {
  TempDir dir;
  RunningAgent agent(dir.path());
  const Mint mint(agent);
  Clerk counter_a(agent.port(), "demo", agent.demo_pin());
  Clerk counter_b(agent.port(), "demo", agent.demo_pin());
  ASSERT_TRUE(counter_a.logged_in() && counter_b.logged_in());

  constexpr int kTrials = 1000;
  std::vector<std::string> tokens;
  for (int i = 0; i < kTrials; ++i) tokens.push_back(mint.Token());
  std::vector<std::string> outcome_a(kTrials), outcome_b(kTrials);
  std::barrier start(2);
  const auto run = [&](Clerk& clerk, std::vector<std::string>& outcomes) {
    for (int i = 0; i < kTrials; ++i) {
      start.arrive_and_wait();
      const auto result = clerk.Redeem(tokens[i]);
      outcomes[i] = result.contains("reason") && result.at("reason") != ""
                        ? std::string(result.at("reason").as_string())
                        : std::string(result.contains("outcome") ? result.at("outcome").as_string()
                                                                 : "no answer");
    }
  };
  std::thread a([&] { run(counter_a, outcome_a); });
  std::thread b([&] { run(counter_b, outcome_b); });
  a.join();
  b.join();

  int a_won = 0;
  for (int i = 0; i < kTrials; ++i) {
    const bool one_each = (outcome_a[i] == "redeemed" && outcome_b[i] == "already_redeemed") ||
                          (outcome_b[i] == "redeemed" && outcome_a[i] == "already_redeemed");
    EXPECT_TRUE(one_each) << "trial " << i << ": " << outcome_a[i] << " / " << outcome_b[i];
    if (outcome_a[i] == "redeemed") ++a_won;
  }
  ASSERT_EQ(agent.Stop(), 0);
  EXPECT_EQ(ReadEvents(agent.state_dir(), "redemption").size(), std::size_t{kTrials});
  EXPECT_EQ(ReadEvents(agent.state_dir(), "redemption_refused").size(), std::size_t{kTrials});
  // Not an assertion on timing: just what the race looked like.
  std::cout << "counter A won " << a_won << " of " << kTrials << " races\n";
}

TEST(CounterFlowTest, CameraFramesAreDecodedOnTheKioskAndCapped) {
  TempDir dir;
  RunningAgent agent(dir.path(), "[counter]\nframe_max_fps = 1\n");
  const Mint mint(agent);
  Clerk clerk(agent.port(), "demo", agent.demo_pin());
  ASSERT_TRUE(clerk.logged_in());
  const std::string token = mint.Token();
  const std::string png = RenderPng(EncodeQr(token, QrErrorCorrection::kMedium).value(), 4).value();

  const auto frame = clerk.PostFrame(png);
  ASSERT_EQ(frame.status, 200) << frame.body;
  const auto texts = boost::json::parse(frame.body).at("texts").as_array();
  ASSERT_EQ(texts.size(), 1u);
  EXPECT_EQ(texts[0].as_string(), token);

  int capped = 0;
  for (int i = 0; i < 5; ++i) capped += clerk.PostFrame(png).status == 429 ? 1 : 0;
  EXPECT_GE(capped, 3) << "at most one frame a second, whatever the page sends";
  EXPECT_EQ(clerk.PostFrame("not an image", "text/plain").status, 415);
  ASSERT_EQ(agent.Stop(), 0);
}

TEST(CounterFlowTest, AMissingCameraDeviceIsAStatusNotACrash) {
  TempDir dir;
  RunningAgent agent(dir.path(), "[counter]\ncamera_device = \"/dev/video-kiosk-edge-none\"\n");
  Clerk clerk(agent.port(), "demo", agent.demo_pin());
  ASSERT_TRUE(clerk.logged_in());
  EXPECT_NE(clerk.Get("/counter").body.find("device-status"), std::string::npos);
  // The worker thread reports the failure as soon as it has tried; poll until it has.
  boost::json::value camera;
  for (int i = 0; i < 500; ++i) {
    camera = boost::json::parse(clerk.Get("/counter/camera").body);
    if (camera.at("state") == "failed") break;
  }
  EXPECT_EQ(camera.at("state"), "failed");
  EXPECT_NE(std::string(camera.at("message").as_string()).find("/dev/video-kiosk-edge-none"),
            std::string::npos);
  EXPECT_EQ(agent.Stop(), 0);
}

}  // namespace
}  // namespace kiosk_edge
