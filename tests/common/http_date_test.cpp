// HTTP's Date header: IMF-fixdate out, and only IMF-fixdate in.
#include "common/http_date.hpp"

#include <gtest/gtest.h>

namespace kiosk_edge {
namespace {

using std::chrono::system_clock;

TEST(HttpDateTest, FormatsAndParsesImfFixdate) {
  const system_clock::time_point rfc_example(std::chrono::seconds(784111777));
  EXPECT_EQ(FormatHttpDate(rfc_example), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(FormatHttpDate(rfc_example + std::chrono::milliseconds(999)),
            "Sun, 06 Nov 1994 08:49:37 GMT")
      << "to the second below";
  EXPECT_EQ(ParseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"), rfc_example);
  const system_clock::time_point leap_day(std::chrono::seconds(1'709'251'199));
  EXPECT_EQ(FormatHttpDate(leap_day), "Thu, 29 Feb 2024 23:59:59 GMT");
  EXPECT_EQ(ParseHttpDate(FormatHttpDate(leap_day)), leap_day);
}

TEST(HttpDateTest, RefusesEverythingElse) {
  for (const std::string_view text :
       {"", "Sunday, 06-Nov-94 08:49:37 GMT",  // RFC 850
        "Sun Nov  6 08:49:37 1994",            // asctime
        "Mon, 06 Nov 1994 08:49:37 GMT",       // wrong weekday
        "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 31 Nov 1994 08:49:37 GMT",
        "Tue, 29 Feb 2022 08:49:37 GMT", "Sun, 06 Nov 1994 24:00:00 GMT",
        "Sun, 06 Nov 1994 08:60:37 GMT", "Sun, 06 nov 1994 08:49:37 GMT",
        "Sun, 6 Nov 1994 08:49:37 GMT ", "Sun, 06 Nov 1994 08:49:3x GMT"}) {
    EXPECT_FALSE(ParseHttpDate(text)) << text;
  }
}

}  // namespace
}  // namespace kiosk_edge
