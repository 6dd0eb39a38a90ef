// RateLimiter: fixed windows per key from the key's first attempt, Exhausted without counting,
// Charge of a cost that fits, Refund of a charge, and a bounded number of keys.

#include "common/rate_limiter.hpp"

#include <gtest/gtest.h>

#include "common/fake_clock.hpp"

namespace kiosk_edge {
namespace {

using std::chrono::seconds;

TEST(RateLimiterTest, AllowsTheLimitInAWindowThenRefusesUntilItEnds) {
  FakeClock clock;
  RateLimiter limiter(3, seconds(60), 100, clock);
  EXPECT_FALSE(limiter.Exhausted("a"));
  EXPECT_TRUE(limiter.Allow("a"));
  EXPECT_TRUE(limiter.Allow("a"));
  EXPECT_FALSE(limiter.Exhausted("a")) << "one attempt left";
  EXPECT_TRUE(limiter.Allow("a"));
  EXPECT_EQ(limiter.Exhausted("a"), seconds(60));
  EXPECT_EQ(limiter.Exhausted("a"), seconds(60)) << "asking counts nothing";
  EXPECT_FALSE(limiter.Allow("a"));
  EXPECT_TRUE(limiter.Allow("b")) << "each key has its own window";

  clock.Advance(std::chrono::milliseconds(44'500));
  EXPECT_EQ(limiter.Exhausted("a"), seconds(16)) << "rounded up";
  clock.Advance(std::chrono::milliseconds(15'499));
  EXPECT_EQ(limiter.Exhausted("a"), seconds(1)) << "never 0 while refused";
  clock.Advance(std::chrono::milliseconds(1));
  EXPECT_FALSE(limiter.Exhausted("a")) << "the window ended";
  EXPECT_TRUE(limiter.Allow("a"));
  EXPECT_FALSE(limiter.Exhausted("a"));
}

// Charge counts a cost only when all of it fits: a refused charge takes nothing.
TEST(RateLimiterTest, ChargesACostOnlyWhenItFitsInWhatIsLeft) {
  FakeClock clock;
  RateLimiter limiter(1000, seconds(100), 100, clock);
  EXPECT_EQ(limiter.Charge("a", 600), std::nullopt);
  EXPECT_EQ(limiter.Charge("a", 500), seconds(100)) << "400 left";
  EXPECT_EQ(limiter.Charge("a", 400), std::nullopt) << "the refused 500 took nothing";
  EXPECT_EQ(limiter.Exhausted("a"), seconds(100));
  EXPECT_EQ(limiter.Charge("a", 1), seconds(100));
  EXPECT_EQ(limiter.Charge("a", 0), std::nullopt);
  EXPECT_EQ(limiter.Charge("b", 1001), seconds(100)) << "more than the whole limit never fits";
  EXPECT_EQ(limiter.Charge("b", 1000), std::nullopt);
  clock.Advance(std::chrono::milliseconds(99'500));
  EXPECT_EQ(limiter.Charge("a", 1), seconds(1)) << "rounded up";
  clock.Advance(std::chrono::milliseconds(500));
  EXPECT_EQ(limiter.Charge("a", 1000), std::nullopt) << "a new window";
  EXPECT_FALSE(limiter.Allow("a")) << "Allow counts against the same limit";
}

// Refund takes back what a window counted, never more.
TEST(RateLimiterTest, RefundsWhatTheWindowCountedNeverMore) {
  FakeClock clock;
  RateLimiter limiter(1000, seconds(100), 100, clock);
  ASSERT_EQ(limiter.Charge("a", 700), std::nullopt);
  limiter.Refund("a", 300);
  EXPECT_EQ(limiter.Charge("a", 600), std::nullopt) << "400 counted, 600 left";
  EXPECT_EQ(limiter.Exhausted("a"), seconds(100));
  limiter.Refund("a", 5000);
  EXPECT_EQ(limiter.Charge("a", 1000), std::nullopt) << "never below nothing counted";
  limiter.Refund("b", 10);  // a key without a window
  EXPECT_EQ(limiter.Charge("b", 1001), seconds(100)) << "a refund gives no credit";
}

TEST(RateLimiterTest, ForgetsExpiredWindowsFirstThenTheOldest) {
  FakeClock clock;
  RateLimiter limiter(1, seconds(60), 2, clock);
  EXPECT_TRUE(limiter.Allow("old"));  // its window: 0-60 s
  clock.Advance(seconds(20));
  EXPECT_TRUE(limiter.Allow("newer"));  // 20-80 s
  clock.Advance(seconds(20));
  EXPECT_TRUE(limiter.Allow("newest")) << "room made by dropping the oldest";  // 40-100 s
  EXPECT_FALSE(limiter.Exhausted("old")) << "forgotten";
  EXPECT_TRUE(limiter.Exhausted("newer"));
  EXPECT_TRUE(limiter.Exhausted("newest"));

  clock.Advance(seconds(45));  // at 85 s
  EXPECT_TRUE(limiter.Allow("another"));
  EXPECT_FALSE(limiter.Exhausted("newer"));
  EXPECT_TRUE(limiter.Exhausted("newest")) << "kept: the expired window made the room";
}

}  // namespace
}  // namespace kiosk_edge
