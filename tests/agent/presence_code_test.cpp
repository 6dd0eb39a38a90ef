#include "agent/presence_code.hpp"

#include <gtest/gtest.h>

#include <string>

#include "common/fake_clock.hpp"

namespace kiosk_edge {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;
using namespace std::chrono_literals;

// 1'800'000'000 is a multiple of 30: kStepStart begins a step.
const system_clock::time_point kStepStart{seconds(1'800'000'000)};
const std::int64_t kStep = 1'800'000'000 / 30;

PresenceCodec MakePresenceCodec(std::string_view kiosk = "kiosk-3f9a0c12d4",
                                char secret_fill = 's') {
  auto codec = PresenceCodec::Create(kiosk, std::string(32, secret_fill));
  EXPECT_TRUE(codec) << codec.error().message();
  return std::move(*codec);
}

TEST(PresenceCodeTest, FreshCodeFromThisKioskIsFresh) {
  const auto codec = MakePresenceCodec();
  auto token = codec.Issue(kStepStart + 7s);
  ASSERT_TRUE(token) << token.error().message();
  EXPECT_EQ(token->rfind("KIOSK-3F9A0C12D4.60000000.", 0), 0u) << *token;
  const PresenceVerdict verdict = codec.Check(*token, kStepStart + 8s);
  EXPECT_TRUE(verdict.well_formed);
  EXPECT_TRUE(verdict.mac_valid);
  EXPECT_TRUE(verdict.fresh);
  EXPECT_EQ(verdict.kiosk_id_upper, "KIOSK-3F9A0C12D4");
  EXPECT_EQ(verdict.step, kStep);
}

TEST(PresenceCodeTest, CodeOneStepOldIsStillFreshTwoStepsOldIsStale) {
  const auto codec = MakePresenceCodec();
  const std::string token = *codec.Issue(kStepStart + 29s);
  EXPECT_TRUE(codec.Check(token, kStepStart + 30s).fresh);  // the next step began
  EXPECT_TRUE(codec.Check(token, kStepStart + 59s).fresh);
  const PresenceVerdict stale = codec.Check(token, kStepStart + 60s);
  EXPECT_TRUE(stale.well_formed);
  EXPECT_TRUE(stale.mac_valid) << "a photographed code is genuine, only old";
  EXPECT_FALSE(stale.fresh);
  EXPECT_EQ(stale.step, kStep);
  EXPECT_FALSE(codec.Check(token, kStepStart + 24h).fresh);
}

TEST(PresenceCodeTest, CodeFromTheFutureIsNotFresh) {
  const auto codec = MakePresenceCodec();
  const std::string token = *codec.Issue(kStepStart + 30s);
  EXPECT_TRUE(codec.Check(token, kStepStart + 30s).fresh);
  EXPECT_FALSE(codec.Check(token, kStepStart + 29s).fresh);
}

TEST(PresenceCodeTest, ForgedMacOrAlteredStepIsRecordedAsUnverified) {
  const auto codec = MakePresenceCodec();
  const std::string token = *codec.Issue(kStepStart);
  std::string forged = token;
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  PresenceVerdict verdict = codec.Check(forged, kStepStart);
  EXPECT_TRUE(verdict.well_formed);
  EXPECT_FALSE(verdict.mac_valid);
  EXPECT_FALSE(verdict.fresh);
  EXPECT_EQ(verdict.kiosk_id_upper, "KIOSK-3F9A0C12D4");

  // Replaying an old MAC under the current step does not make it fresh.
  const std::string old = *codec.Issue(kStepStart - 10min);
  const std::string old_mac = old.substr(old.rfind('.') + 1);
  verdict = codec.Check("KIOSK-3F9A0C12D4." + std::to_string(kStep) + "." + old_mac, kStepStart);
  EXPECT_TRUE(verdict.well_formed);
  EXPECT_FALSE(verdict.mac_valid);
  EXPECT_FALSE(verdict.fresh);

  // A code signed under another secret (an attacker's guess) does not verify.
  const auto impostor = MakePresenceCodec("kiosk-3f9a0c12d4", 'x');
  verdict = codec.Check(*impostor.Issue(kStepStart), kStepStart);
  EXPECT_TRUE(verdict.well_formed);
  EXPECT_FALSE(verdict.mac_valid);
  EXPECT_FALSE(verdict.fresh);
}

TEST(PresenceCodeTest, AnotherKiosksCodeIsNeverFreshHere) {
  const auto here = MakePresenceCodec("kiosk-aaaaaaaaaa", 's');
  // Another kiosk with its own secret: nothing verifies.
  const auto other = MakePresenceCodec("kiosk-bbbbbbbbbb", 't');
  PresenceVerdict verdict = here.Check(*other.Issue(kStepStart), kStepStart);
  EXPECT_TRUE(verdict.well_formed);
  EXPECT_FALSE(verdict.mac_valid);
  EXPECT_FALSE(verdict.fresh);
  EXPECT_EQ(verdict.kiosk_id_upper, "KIOSK-BBBBBBBBBB");
  // Even sharing our secret, another kiosk's screen does not prove presence at this one.
  const auto sibling = MakePresenceCodec("kiosk-bbbbbbbbbb", 's');
  verdict = here.Check(*sibling.Issue(kStepStart), kStepStart);
  EXPECT_TRUE(verdict.mac_valid);
  EXPECT_FALSE(verdict.fresh);
  // Swapping the kiosk in a genuine token breaks its MAC.
  std::string renamed = *here.Issue(kStepStart);
  renamed.replace(0, 16, "KIOSK-BBBBBBBBBB");
  EXPECT_FALSE(here.Check(renamed, kStepStart).mac_valid);
}

TEST(PresenceCodeTest, GarbageIsNotWellFormed) {
  const auto codec = MakePresenceCodec();
  const std::string mac(16, 'A');
  for (const std::string& token :
       std::initializer_list<std::string>{"",
                                          ".",
                                          "..",
                                          "KIOSK-1",
                                          "KIOSK-1.60000000",
                                          "KIOSK-1.60000000." + mac + ".X",
                                          ".60000000." + mac,
                                          "KIOSK_1.60000000." + mac,
                                          "KIOSK-1..AAAA" + mac,
                                          "KIOSK-1.060000000." + mac,
                                          "KIOSK-1.-1." + mac,
                                          "KIOSK-1.+5." + mac,
                                          "KIOSK-1.6e7." + mac,
                                          "KIOSK-1.60000000." + mac.substr(1),
                                          "KIOSK-1.60000000." + mac + "A",
                                          "KIOSK-1.60000000." + std::string(16, '1'),
                                          "KIOSK-1.99999999999999999999." + mac,
                                          std::string(65, 'K') + ".60000000." + mac,
                                          std::string(100'000, 'A'),
                                          "\xe5\xbc\xa0.1." + mac}) {
    const PresenceVerdict verdict = codec.Check(token, kStepStart);
    EXPECT_FALSE(verdict.well_formed) << token.substr(0, 80);
    EXPECT_FALSE(verdict.mac_valid);
    EXPECT_FALSE(verdict.fresh);
  }
  EXPECT_TRUE(codec.Check("KIOSK-1.60000000." + mac, kStepStart).well_formed);
}

TEST(PresenceCodeTest, LowerCaseScanIsAccepted) {
  const auto codec = MakePresenceCodec();
  std::string token = *codec.Issue(kStepStart);
  for (char& c : token) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  EXPECT_TRUE(codec.Check(token, kStepStart).fresh);
}

TEST(PresenceCodeTest, RotatesAtStepBoundariesOnTheClock) {
  const auto codec = MakePresenceCodec();
  FakeClock clock(kStepStart + 25s);
  const std::string shown = *codec.Issue(clock.WallNow());
  EXPECT_EQ(codec.NextRotation(clock.WallNow()), kStepStart + 30s);

  clock.Advance(4s);  // 29 s into the step: same code
  EXPECT_EQ(*codec.Issue(clock.WallNow()), shown);
  EXPECT_EQ(codec.NextRotation(clock.WallNow()), kStepStart + 30s);

  clock.Advance(1s);  // exactly on the boundary: a new code, next rotation one step later
  const std::string next = *codec.Issue(clock.WallNow());
  EXPECT_NE(next, shown);
  EXPECT_EQ(codec.NextRotation(clock.WallNow()), kStepStart + 60s);
  EXPECT_EQ(codec.Check(next, clock.WallNow()).step, kStep + 1);
  EXPECT_TRUE(codec.Check(shown, clock.WallNow()).fresh);

  clock.Advance(30s);  // two steps after `shown`
  EXPECT_FALSE(codec.Check(shown, clock.WallNow()).fresh);
  EXPECT_TRUE(codec.Check(next, clock.WallNow()).fresh);

  clock.Advance(std::chrono::milliseconds(29'999));  // just before the third boundary
  EXPECT_TRUE(codec.Check(next, clock.WallNow()).fresh);
  clock.Advance(1ms);
  EXPECT_FALSE(codec.Check(next, clock.WallNow()).fresh);
}

TEST(PresenceCodeTest, StepFollowsTheConfiguredLengthAndFloorsBefore1970) {
  auto codec = PresenceCodec::Create("kiosk-1", std::string(32, 's'), 10s);
  ASSERT_TRUE(codec);
  EXPECT_EQ(codec->StepAt(system_clock::time_point(seconds(0))), 0);
  EXPECT_EQ(codec->StepAt(system_clock::time_point(seconds(9))), 0);
  EXPECT_EQ(codec->StepAt(system_clock::time_point(seconds(10))), 1);
  EXPECT_EQ(codec->StepAt(system_clock::time_point(seconds(-1))), -1);
  EXPECT_EQ(codec->StepAt(system_clock::time_point(seconds(-10))), -1);
  EXPECT_EQ(codec->StepAt(system_clock::time_point(seconds(-11))), -2);
  EXPECT_FALSE(codec->Issue(system_clock::time_point(seconds(-1))));
}

TEST(PresenceCodeTest, CreateRefusesBadKioskIdsSecretsAndSteps) {
  const std::string secret(32, 's');
  EXPECT_FALSE(PresenceCodec::Create("", secret));
  EXPECT_FALSE(PresenceCodec::Create("kiosk_1", secret));
  EXPECT_FALSE(PresenceCodec::Create("kiosk.1", secret));
  EXPECT_FALSE(PresenceCodec::Create(std::string(65, 'k'), secret));
  EXPECT_TRUE(PresenceCodec::Create(std::string(64, 'k'), secret));
  EXPECT_FALSE(PresenceCodec::Create("kiosk-1", std::string(31, 's')));
  EXPECT_FALSE(PresenceCodec::Create("kiosk-1", secret, 0s));
  EXPECT_FALSE(PresenceCodec::Create("kiosk-1", secret, -30s));
  EXPECT_FALSE(PresenceCodec::Create("kiosk-1", secret, std::chrono::hours(25)));
}

TEST(PresenceCodeTest, UrlWithTokenUsesOnlyQrAlphanumericCharacters) {
  const std::string qr_alphanumeric = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
  const std::string url = "HTTP://KIOSK.LOCAL/K/" + *MakePresenceCodec().Issue(kStepStart);
  EXPECT_EQ(url.find_first_not_of(qr_alphanumeric), std::string::npos) << url;
}

}  // namespace
}  // namespace kiosk_edge
