// What honour-vouchers says of where the time named falls among the arrivals of a revoked kiosk's
// voucher issues (the real command, both backends: fleet_voucher_sync_test.cpp).

#include "sync/profile_store/honour_vouchers_command.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace kiosk_edge {
namespace {

constexpr std::int64_t kNineAm = 1'796'115'600'000;  // 2026-12-01T09:00:00Z
constexpr std::int64_t kMinute = 60'000;

TEST(HonourBoundaryTextTest, NamesTheLastIssueBeforeTheTimeAndTheFirstFromIt) {
  const std::vector<std::int64_t> arrivals = {kNineAm, kNineAm + 58 * kMinute,
                                              kNineAm + 60 * kMinute, kNineAm + 80 * kMinute};
  EXPECT_EQ(HonourBoundaryText(arrivals, kNineAm + 60 * kMinute),
            "its unexpired vouchers' issues: 2 received before 2026-12-01T10:00:00Z, the last at "
            "2026-12-01T09:58:00Z; 2 received from then on, the first at 2026-12-01T10:00:00Z, "
            "stay refused");
  EXPECT_EQ(HonourBoundaryText(arrivals, kNineAm + 60 * kMinute + 1),
            "its unexpired vouchers' issues: 3 received before 2026-12-01T10:00:00.001Z, the "
            "last at 2026-12-01T10:00:00Z; 1 received from then on, the first at "
            "2026-12-01T10:20:00Z, stay refused");
}

TEST(HonourBoundaryTextTest, SaysWhenASideIsEmpty) {
  const std::vector<std::int64_t> arrivals = {kNineAm, kNineAm + kMinute};
  EXPECT_EQ(HonourBoundaryText(arrivals, kNineAm),
            "its unexpired vouchers' issues: none received before 2026-12-01T09:00:00Z; 2 received "
            "from then on, the first at 2026-12-01T09:00:00Z, stay refused");
  EXPECT_EQ(HonourBoundaryText(arrivals, kNineAm + 2 * kMinute),
            "its unexpired vouchers' issues: 2 received before 2026-12-01T09:02:00Z, the last at "
            "2026-12-01T09:01:00Z; none from then on");
  EXPECT_EQ(HonourBoundaryText({}, kNineAm),
            "its unexpired vouchers' issues: none received before 2026-12-01T09:00:00Z; none from "
            "then on");
}

}  // namespace
}  // namespace kiosk_edge
