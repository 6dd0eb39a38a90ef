// The attribution report on the hand-built dataset of attribution_dataset.hpp (the one
// docs/attribution.md works through), every model and grouping, against both storage backends:
// SQLite, and PostgreSQL in a throwaway cluster (these tests FAIL without one).

#include "sync/profile_store/attribution.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "common/crypto.hpp"
#include "common/fake_clock.hpp"
#include "common/strings.hpp"
#include "support/postgres_cluster.hpp"
#include "support/temp_dir.hpp"
#include "support/test_stores.hpp"
#include "sync/attribution_dataset.hpp"
#include "sync/profile_store/postgres_store.hpp"
#include "sync/profile_store/sqlite_store.hpp"

namespace kiosk_edge {
namespace {

using testing::attribution::kD0;
using testing::attribution::kD2;

using testing::Backend;

std::string Median(const std::optional<MedianMs>& median) {
  return median ? median->SecondsText() : "-";
}

// "group | scans unique verified invalid | signups vouchers redemptions | to_signup to_redemption"
// with the medians in seconds.
std::string Describe(std::string_view group, const AttributionFigures& f) {
  return StrCat(group, " | ", f.scans, " ", f.unique_scanners, " ", f.presence_verified_scans, " ",
                f.invalid_scans, " | ", f.signups, " ", f.vouchers_issued, " ", f.redemptions,
                " | ", Median(f.median_scan_to_signup), " ", Median(f.median_signup_to_redemption));
}

std::vector<std::string> Rows(const AttributionReport& report) {
  std::vector<std::string> rows;
  for (const AttributionRow& row : report.rows) rows.push_back(Describe(row.group, row.figures));
  return rows;
}

class AttributionTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    auto identity = testing::TestHqIdentity(std::string(32, 'k'));
    ASSERT_TRUE(identity) << identity.error().message();
    identity_ = std::make_unique<HqIdentity>(std::move(*identity));
    auto store = testing::TestDatabase(GetParam(), dir_ / "hq.db").Open(*identity_, clock_);
    ASSERT_TRUE(store) << store.error().message();
    store_ = std::move(*store);
    for (const EventBatch& batch :
         testing::attribution::AttributionBatches(identity_->public_key())) {
      auto answer = store_->Ingest(batch);
      ASSERT_TRUE(answer) << answer.error().message();
      ASSERT_TRUE(answer->rejected.empty()) << answer->rejected[0].reason;
    }
  }

  // The report for `query_string`, the window defaulting to 2027-03-01 .. 2027-03-03.
  AttributionReport Report(std::string query_string,
                           std::span<const ChannelDefinition> configured = {}) {
    if (query_string.find("from=") == std::string::npos) {
      query_string += "&from=2027-03-01&to=2027-03-03";
    }
    auto query = ParseAttributionQuery(query_string, kD2);
    EXPECT_TRUE(query) << query.error().message();
    if (!query) return {};
    auto report = BuildAttributionReport(*store_, *query, configured, kD2);
    EXPECT_TRUE(report) << report.error().message();
    return report ? *report : AttributionReport{};
  }

  testing::TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<HqIdentity> identity_;
  std::unique_ptr<StoreBackend> store_;
};

TEST_P(AttributionTest, ByChannelLastTouch) {
  const AttributionReport report = Report("group_by=channel&model=last_touch");
  EXPECT_EQ(Rows(report), (std::vector<std::string>{
                              "COUNTER-2 | 2 1 0 0 | 1 1 1 | 3000 7200",
                              "EL3 | 3 3 0 0 | 0 0 1 | - 3513600",
                              "FLYER | 2 2 0 0 | 1 1 1 | 3600 86400",
                              "GHOST | 1 1 0 0 | 1 1 0 | 600 -",
                              "KIOSK | 2 1 1 0 | 1 1 0 | 1500 -",
                              "(direct) | 0 0 0 0 | 1 1 0 | - -",
                              "(unattributed) | 0 0 0 0 | 0 0 1 | - -",
                              "(invalid) | 2 2 0 2 | 0 0 0 | - -",
                          }));
  EXPECT_EQ(Describe("total", report.totals), "total | 12 8 1 2 | 5 5 4 | 2250 86400");
}

TEST_P(AttributionTest, ByChannelFirstTouch) {
  const AttributionReport report = Report("group_by=channel&model=first_touch");
  EXPECT_EQ(Rows(report), (std::vector<std::string>{
                              "COUNTER-2 | 2 1 0 0 | 1 1 1 | 3600 7200",
                              "EL3 | 3 3 0 0 | 2 2 2 | 50400 1800000",
                              "FLYER | 2 2 0 0 | 0 0 0 | - -",
                              "GHOST | 1 1 0 0 | 0 0 0 | - -",
                              "KIOSK | 2 1 1 0 | 1 1 0 | 1800 -",
                              "(direct) | 0 0 0 0 | 1 1 0 | - -",
                              "(unattributed) | 0 0 0 0 | 0 0 1 | - -",
                              "(invalid) | 2 2 0 2 | 0 0 0 | - -",
                          }));
  EXPECT_EQ(Describe("total", report.totals), "total | 12 8 1 2 | 5 5 4 | 5400 86400");
}

TEST_P(AttributionTest, ChannelNamesComeFromTheLatestDefinition) {
  const AttributionReport report = Report("");
  std::vector<std::string> names;
  for (const AttributionRow& row : report.rows) names.push_back(row.group + "=" + row.name);
  EXPECT_EQ(names, (std::vector<std::string>{"COUNTER-2=Counter card", "EL3=Elevator 3 poster",
                                             "FLYER=March flyer", "GHOST=", "KIOSK=Kiosk screen",
                                             "(direct)=", "(unattributed)=", "(invalid)="}));
}

TEST_P(AttributionTest, ByStoreLastTouch) {
  EXPECT_EQ(Rows(Report("group_by=store")), (std::vector<std::string>{
                                                "store-1 | 7 5 1 0 | 2 2 2 | 2550 1800000",
                                                "store-2 | 2 1 0 0 | 1 1 1 | 3000 7200",
                                                "(unknown) | 1 1 0 0 | 1 1 0 | 600 -",
                                                "(direct) | 0 0 0 0 | 1 1 0 | - -",
                                                "(unattributed) | 0 0 0 0 | 0 0 1 | - -",
                                                "(invalid) | 2 2 0 2 | 0 0 0 | - -",
                                            }));
}

TEST_P(AttributionTest, ByCampaignFirstTouch) {
  EXPECT_EQ(Rows(Report("group_by=campaign&model=first_touch")),
            (std::vector<std::string>{
                "spring | 7 5 0 0 | 3 3 3 | 7200 86400",
                "welcome | 2 1 1 0 | 1 1 0 | 1800 -",
                "(unknown) | 1 1 0 0 | 0 0 0 | - -",
                "(direct) | 0 0 0 0 | 1 1 0 | - -",
                "(unattributed) | 0 0 0 0 | 0 0 1 | - -",
                "(invalid) | 2 2 0 2 | 0 0 0 | - -",
            }));
}

TEST_P(AttributionTest, ByFirstPathLevelFirstTouch) {
  EXPECT_EQ(Rows(Report("group_by=path:1&model=first_touch")),
            (std::vector<std::string>{
                "north | 7 5 1 0 | 3 3 2 | 7200 1800000",
                "south | 2 1 0 0 | 1 1 1 | 3600 7200",
                "(unknown) | 1 1 0 0 | 0 0 0 | - -",
                "(direct) | 0 0 0 0 | 1 1 0 | - -",
                "(unattributed) | 0 0 0 0 | 0 0 1 | - -",
                "(invalid) | 2 2 0 2 | 0 0 0 | - -",
            }));
}

TEST_P(AttributionTest, ByTwoPathLevelsLastTouch) {
  EXPECT_EQ(Rows(Report("group_by=path:2&model=last_touch")),
            (std::vector<std::string>{
                "north/greenwood | 5 4 0 0 | 1 1 2 | 3600 1800000",
                "north/mall-7 | 2 1 1 0 | 1 1 0 | 1500 -",
                "south/plaza | 2 1 0 0 | 1 1 1 | 3000 7200",
                "(unknown) | 1 1 0 0 | 1 1 0 | 600 -",
                "(direct) | 0 0 0 0 | 1 1 0 | - -",
                "(unattributed) | 0 0 0 0 | 0 0 1 | - -",
                "(invalid) | 2 2 0 2 | 0 0 0 | - -",
            }));
}

TEST_P(AttributionTest, ByDayLastTouch) {
  const AttributionReport report = Report("group_by=day");
  EXPECT_EQ(Rows(report), (std::vector<std::string>{
                              "2027-03-01 | 8 5 1 1 | 2 2 1 | 2550 3513600",
                              "2027-03-02 | 4 3 0 1 | 3 3 3 | 1800 46800",
                          }));
  EXPECT_EQ(Describe("total", report.totals), "total | 12 8 1 2 | 5 5 4 | 2250 86400");
}

TEST_P(AttributionTest, DaysFollowTheUtcOffsetAndTheWindowEndIsExclusive) {
  // 2027-03-01 .. 2027-03-03 at +08:00 is 2027-02-28T16:00Z .. 2027-03-02T16:00Z: V7's redemption
  // (D0 16:00Z) falls on local 03-02, and P7's second signup (exactly at the end) is out.
  EXPECT_EQ(Rows(Report("group_by=day&tz=%2B08:00&from=2027-03-01&to=2027-03-03")),
            (std::vector<std::string>{
                "2027-03-01 | 8 5 1 1 | 2 2 0 | 2550 -",
                "2027-03-02 | 4 3 0 1 | 2 2 3 | 3000 86400",
            }));
}

TEST_P(AttributionTest, ALongerLookbackReachesAnOlderScan) {
  // d1 scanned FLYER 31 days before the window: beyond the default 30 days, within 60.
  EXPECT_EQ(Rows(Report("model=first_touch&lookback_days=60"))[1],
            "EL3 | 3 3 0 0 | 1 1 1 | 93600 3513600");
  EXPECT_EQ(Rows(Report("model=first_touch&lookback_days=60"))[2],
            "FLYER | 2 2 0 0 | 1 1 1 | 2714400 86400");
}

TEST_P(AttributionTest, ConfiguredChannelsDescribeChannelsNoKioskDefined) {
  const ChannelDefinition configured[] = {
      {"GHOST", "Ghost poster", "east/ghost", "store-9", "autumn"},
      {"EL3", "HQ's elevator poster", "west/elsewhere", "store-7", "winter"}};
  const AttributionReport report = Report("group_by=store", configured);
  // GHOST joins store-9; EL3 stays where the kiosks' definitions put it.
  EXPECT_EQ(Rows(report), (std::vector<std::string>{
                              "store-1 | 7 5 1 0 | 2 2 2 | 2550 1800000",
                              "store-2 | 2 1 0 0 | 1 1 1 | 3000 7200",
                              "store-9 | 1 1 0 0 | 1 1 0 | 600 -",
                              "(direct) | 0 0 0 0 | 1 1 0 | - -",
                              "(unattributed) | 0 0 0 0 | 0 0 1 | - -",
                              "(invalid) | 2 2 0 2 | 0 0 0 | - -",
                          }));
}

TEST_P(AttributionTest, AWindowWithoutEventsHasNoRowsButEveryDay) {
  const std::string window = "&from=2026-01-01&to=2026-01-03";
  const AttributionReport by_channel = Report("group_by=channel" + window);
  EXPECT_TRUE(by_channel.rows.empty());
  EXPECT_EQ(Describe("total", by_channel.totals), "total | 0 0 0 0 | 0 0 0 | - -");
  EXPECT_EQ(Rows(Report("group_by=day" + window)),
            (std::vector<std::string>{"2026-01-01 | 0 0 0 0 | 0 0 0 | - -",
                                      "2026-01-02 | 0 0 0 0 | 0 0 0 | - -"}));
}

TEST_P(AttributionTest, WindowOfOneDayCountsOnlyThatDay) {
  EXPECT_EQ(Rows(Report("from=2027-03-02&to=2027-03-03")),
            (std::vector<std::string>{
                "COUNTER-2 | 2 1 0 0 | 1 1 1 | 3000 7200",
                "FLYER | 0 0 0 0 | 0 0 1 | - 86400",
                "GHOST | 1 1 0 0 | 1 1 0 | 600 -",
                "(direct) | 0 0 0 0 | 1 1 0 | - -",
                "(unattributed) | 0 0 0 0 | 0 0 1 | - -",
                "(invalid) | 1 1 0 1 | 0 0 0 | - -",
            }));
}

INSTANTIATE_TEST_SUITE_P(Backends, AttributionTest, testing::BothBackends(), testing::BackendName);

}  // namespace
}  // namespace kiosk_edge
