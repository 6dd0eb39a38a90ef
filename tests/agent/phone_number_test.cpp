#include "agent/phone_number.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace kiosk_edge {
namespace {

const std::vector<std::string> kExtra = {"852", "65"};

std::string Accepted(std::string_view typed) {
  const PhoneResult result = NormalizePhone(typed, kExtra);
  EXPECT_FALSE(result.problem.has_value()) << typed;
  return result.e164;
}

PhoneProblem Refused(std::string_view typed) {
  const PhoneResult result = NormalizePhone(typed, kExtra);
  EXPECT_TRUE(result.problem.has_value()) << typed << " was accepted as " << result.e164;
  return result.problem.value_or(PhoneProblem::kEmpty);
}

TEST(PhoneNumberTest, MainlandMobilesInEveryCommonSpelling) {
  EXPECT_EQ(Accepted("13812345678"), "+8613812345678");
  EXPECT_EQ(Accepted("138 1234 5678"), "+8613812345678");
  EXPECT_EQ(Accepted("138-1234-5678"), "+8613812345678");
  EXPECT_EQ(Accepted("+86 138 1234 5678"), "+8613812345678");
  EXPECT_EQ(Accepted("0086 13812345678"), "+8613812345678");
  EXPECT_EQ(Accepted("(+86) 199.1234.5678"), "+8619912345678");
  EXPECT_EQ(Accepted("１３８１２３４５６７８"), "+8613812345678");  // full-width digits
}

TEST(PhoneNumberTest, ConfiguredCountryCodes) {
  EXPECT_EQ(Accepted("+852 9123 4567"), "+85291234567");
  EXPECT_EQ(Accepted("0065 8123 4567"), "+6581234567");
}

TEST(PhoneNumberTest, RefusesWithTheReason) {
  EXPECT_EQ(Refused(""), PhoneProblem::kEmpty);
  EXPECT_EQ(Refused(" - "), PhoneProblem::kEmpty);
  EXPECT_EQ(Refused("138123456789"), PhoneProblem::kNotAMobile);  // 12 digits
  EXPECT_EQ(Refused("12812345678"), PhoneProblem::kNotAMobile);   // 12x is not a mobile prefix
  EXPECT_EQ(Refused("01012345678"), PhoneProblem::kNotAMobile);   // a Beijing landline
  EXPECT_EQ(Refused("+86 10 1234 5678"), PhoneProblem::kNotAMobile);
  EXPECT_EQ(Refused("+44 7700 900123"), PhoneProblem::kCountryNotServed);
  EXPECT_EQ(Refused("+852 12"), PhoneProblem::kNotAMobile);
  EXPECT_EQ(Refused("138a2345678"), PhoneProblem::kBadCharacters);
  EXPECT_EQ(Refused("138+12345678"), PhoneProblem::kBadCharacters);
  EXPECT_EQ(Refused("１３８ｘ２３４５６７８"), PhoneProblem::kBadCharacters);
  EXPECT_EQ(Refused(std::string(65, '1')), PhoneProblem::kBadCharacters);
}

}  // namespace
}  // namespace kiosk_edge
