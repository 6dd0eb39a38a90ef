// Staff PINs, lockout and counter sessions.
#include "agent/staff_auth.hpp"

#include <gtest/gtest.h>

#include "common/fake_clock.hpp"

namespace kiosk_edge {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

// The lowest accepted cost keeps the tests fast; the format and the check are the same.
constexpr int kTestCost = 10;

TEST(StaffPinTest, HashVerifiesOnlyItsOwnPin) {
  const std::string hash = HashStaffPin("482913", kTestCost).value();
  EXPECT_TRUE(hash.starts_with("scrypt$10$8$1$")) << hash;
  EXPECT_EQ(hash.find("482913"), std::string::npos);
  EXPECT_TRUE(CheckPinHash(hash));
  EXPECT_TRUE(VerifyStaffPin("482913", hash));
  EXPECT_FALSE(VerifyStaffPin("482914", hash));
  EXPECT_FALSE(VerifyStaffPin("", hash));
  EXPECT_NE(HashStaffPin("482913", kTestCost).value(), hash) << "salted";
}

TEST(StaffPinTest, WeakPinsAndMalformedHashesAreRefused) {
  for (const char* pin : {"", "123", "12345a", "1234567890123", " 1234"}) {
    EXPECT_FALSE(HashStaffPin(pin, kTestCost)) << pin;
  }
  const std::string good = HashStaffPin("1234", kTestCost).value();
  for (const std::string& bad :
       {std::string(""), std::string("1234"), std::string("bcrypt$10$8$1$AAAAAAAAAAA$AAAA"),
        std::string("scrypt$9$8$1$") + good.substr(14),  // too cheap
        std::string("scrypt$10$8$1$AAAA$AAAA"), good + "$extra", good.substr(0, good.size() - 2)}) {
    EXPECT_FALSE(CheckPinHash(bad)) << bad;
    EXPECT_FALSE(VerifyStaffPin("1234", bad)) << bad;
  }
}

class StaffSessionsTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  StaffSessions sessions_{{StaffMember{"li-na", "Li Na", HashStaffPin("2468", kTestCost).value()}},
                          StaffPolicy{minutes(60), 3, minutes(5)},
                          clock_};
};

TEST_F(StaffSessionsTest, RepeatedFailuresLockTheIdForTheLockoutOnly) {
  EXPECT_FALSE(sessions_.LockedFor("li-na"));
  sessions_.RecordFailure("li-na");
  sessions_.RecordFailure("li-na");
  EXPECT_FALSE(sessions_.LockedFor("li-na"));
  sessions_.RecordFailure("li-na");
  ASSERT_TRUE(sessions_.LockedFor("li-na"));
  EXPECT_EQ(*sessions_.LockedFor("li-na"), seconds(300));
  EXPECT_FALSE(sessions_.LockedFor("someone-else")) << "one id's lockout is its own";
  clock_.Advance(minutes(5) - seconds(1));
  EXPECT_TRUE(sessions_.LockedFor("li-na"));
  clock_.Advance(seconds(1));
  EXPECT_FALSE(sessions_.LockedFor("li-na"));
  sessions_.RecordFailure("li-na");
  EXPECT_FALSE(sessions_.LockedFor("li-na")) << "a new run of attempts after the lockout";
}

TEST_F(StaffSessionsTest, SuccessClearsFailures) {
  sessions_.RecordFailure("li-na");
  sessions_.RecordFailure("li-na");
  ASSERT_TRUE(sessions_.Open(*sessions_.Find("li-na")));
  sessions_.RecordFailure("li-na");
  sessions_.RecordFailure("li-na");
  EXPECT_FALSE(sessions_.LockedFor("li-na"));
}

TEST_F(StaffSessionsTest, SessionsExpireAndCloseAndAreUnguessable) {
  const StaffMember* member = sessions_.Find("li-na");
  ASSERT_NE(member, nullptr);
  const std::string token = sessions_.Open(*member).value();
  const std::string other = sessions_.Open(*member).value();
  EXPECT_NE(token, other);
  EXPECT_GE(token.size(), 43u) << "256 bits";
  const auto session = sessions_.FindSession(token);
  ASSERT_TRUE(session);
  EXPECT_EQ(session->staff_id, "li-na");
  EXPECT_EQ(session->staff_name, "Li Na");
  EXPECT_FALSE(session->csrf_token.empty());
  EXPECT_NE(sessions_.FindSession(other)->csrf_token, session->csrf_token);
  EXPECT_FALSE(sessions_.FindSession(""));
  EXPECT_FALSE(sessions_.FindSession(token + "x"));

  sessions_.Close(other);
  EXPECT_FALSE(sessions_.FindSession(other));
  clock_.Advance(minutes(60) - seconds(1));
  EXPECT_TRUE(sessions_.FindSession(token));
  clock_.Advance(seconds(1));
  EXPECT_FALSE(sessions_.FindSession(token));
}

TEST_F(StaffSessionsTest, UnknownIdsAreCheckedAgainstADecoyOfTheSameCost) {
  EXPECT_EQ(sessions_.Find("nobody"), nullptr);
  EXPECT_TRUE(sessions_.decoy_hash().starts_with("scrypt$10$8$1$"));
  EXPECT_TRUE(CheckPinHash(sessions_.decoy_hash()));
  for (const char* pin : {"0000", "1234", "2468"}) {
    EXPECT_FALSE(VerifyStaffPin(pin, sessions_.decoy_hash()));
  }
}

}  // namespace
}  // namespace kiosk_edge
