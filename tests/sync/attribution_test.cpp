// The attribution report on the hand-built dataset of attribution_dataset.hpp (the one
// docs/attribution.md works through), every model and grouping, against both storage backends:
// SQLite, and PostgreSQL in a throwaway cluster (these tests FAIL without one).

#include "sync/profile_store/attribution.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "common/crypto.hpp"
#include "common/fake_clock.hpp"
#include "common/sqlite.hpp"
#include "common/strings.hpp"
#include "support/temp_dir.hpp"
#include "support/test_stores.hpp"
#include "sync/attribution_dataset.hpp"
#include "sync/profile_store/pg_connection.hpp"
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

// The attribution dataset in store_.
class AttributionTest : public testing::StoreSuite {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(StoreSuite::SetUp());
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

  // Takes the database back to schema version 5, as a profile-store before version 6 left it
  // (what every later migration added gone: a new migration adds its undoing here), and opens
  // it again: the migrations run on existing data.
  void ReopenFromVersion5() {
    store_.reset();
    if (GetParam() == Backend::kSqlite) {
      auto db = Database::Open(dir_ / "hq.db", DatabaseOptions{});
      ASSERT_TRUE(db) << db.error().message();
      ASSERT_TRUE(
          db->Exec("ALTER TABLE vouchers DROP COLUMN signup_seq; "
                   "ALTER TABLE streams DROP COLUMN journal_last_seq; "
                   "ALTER TABLE streams DROP COLUMN https_not_after_ms; "
                   "ALTER TABLE streams DROP COLUMN client_cert_not_after_ms; "
                   "ALTER TABLE kiosks DROP COLUMN last_contact_ms; "
                   "ALTER TABLE kiosks DROP COLUMN cert_not_after_ms; "
                   "ALTER TABLE kiosks DROP COLUMN previous_cert_serial; "
                   "ALTER TABLE kiosks DROP COLUMN clock_offset_ms; "
                   "ALTER TABLE kiosks DROP COLUMN honour_received_before_ms; "
                   "ALTER TABLE kiosks DROP COLUMN events_refused_at_ms; "
                   "ALTER TABLE kiosks DROP COLUMN events_refused_until_ms; "
                   "DROP INDEX vouchers_by_redeemed_pos; "
                   "ALTER TABLE vouchers DROP COLUMN redeemed_pos; "
                   "CREATE INDEX events_by_device ON events (kiosk_id, device_id) "
                   "WHERE device_id IS NOT NULL; DROP TABLE device_scans_generation; "
                   "DROP TABLE withdrawal_events; DROP TABLE admin_actions; "
                   "PRAGMA user_version = 5"));
    } else {
      auto connection = testing::ConnectToSharedCluster();
      ASSERT_TRUE(connection) << connection.error().message();
      auto downgraded = connection->Exec(StrCat(
          "SET search_path TO ", database_.schema(),
          "; DO $$ DECLARE t record; BEGIN FOR t IN SELECT table_name, string_agg("
          "format('ALTER COLUMN %I TYPE text COLLATE \"default\"', column_name), ', ') "
          "AS alters FROM information_schema.columns WHERE table_schema = "
          "current_schema() AND data_type = 'text' GROUP BY table_name LOOP EXECUTE "
          "format('ALTER TABLE %I %s', t.table_name, t.alters); END LOOP; END $$; "
          "ALTER TABLE events ALTER COLUMN payload TYPE jsonb USING payload::jsonb; "
          "ALTER TABLE vouchers DROP COLUMN signup_seq; DROP INDEX scans_by_time; "
          "ALTER TABLE streams DROP COLUMN journal_last_seq, DROP COLUMN https_not_after_ms, "
          "DROP COLUMN client_cert_not_after_ms; "
          "ALTER TABLE kiosks DROP COLUMN last_contact_ms, DROP COLUMN cert_not_after_ms, "
          "DROP COLUMN previous_cert_serial, DROP COLUMN clock_offset_ms, "
          "DROP COLUMN honour_received_before_ms, DROP COLUMN events_refused_at_ms, "
          "DROP COLUMN events_refused_until_ms; "
          "ALTER TABLE vouchers DROP COLUMN redeemed_pos; "
          "ALTER TABLE events DROP COLUMN scan_flags, DROP COLUMN scanner_key; "
          "CREATE INDEX events_by_device ON events (kiosk_id, device_id) "
          "WHERE device_id IS NOT NULL; "
          "DROP INDEX events_by_type_time; "
          "CREATE INDEX events_by_type_time ON events (type, occurred_at_ms); "
          "DROP TABLE withdrawal_events; DROP TABLE admin_actions; "
          "DELETE FROM schema_migrations WHERE version > 5"));
      ASSERT_TRUE(downgraded) << downgraded.error().message();
    }
    store_ = Open();
    ASSERT_NE(store_, nullptr);
  }
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

// A filter keeps the chosen channels' scans and what is credited to them: the same figures as
// their rows without the filter, and totals as their group's row.
TEST_P(AttributionTest, AStoreFilterKeepsThatStoresChannels) {
  const AttributionReport report = Report("group_by=channel&store=store-1");
  EXPECT_EQ(Rows(report), (std::vector<std::string>{
                              "EL3 | 3 3 0 0 | 0 0 1 | - 3513600",
                              "FLYER | 2 2 0 0 | 1 1 1 | 3600 86400",
                              "KIOSK | 2 1 1 0 | 1 1 0 | 1500 -",
                          }));
  EXPECT_EQ(Describe("total", report.totals), "total | 7 5 1 0 | 2 2 2 | 2550 1800000");
}

TEST_P(AttributionTest, ACampaignFilterFollowsTheModelsCredit) {
  const AttributionReport report = Report("group_by=store&campaign=spring&model=first_touch");
  EXPECT_EQ(Rows(report), (std::vector<std::string>{
                              "store-1 | 5 4 0 0 | 2 2 2 | 50400 1800000",
                              "store-2 | 2 1 0 0 | 1 1 1 | 3600 7200",
                          }));
  EXPECT_EQ(Describe("total", report.totals), "total | 7 5 0 0 | 3 3 3 | 7200 86400");
  EXPECT_EQ(Rows(Report("group_by=channel&campaign=spring&store=store-2&model=first_touch")),
            (std::vector<std::string>{"COUNTER-2 | 2 1 0 0 | 1 1 1 | 3600 7200"}));
}

TEST_P(AttributionTest, AFilterNoChannelMatchesGivesAnEmptyReport) {
  const AttributionReport report = Report("store=store-9");
  EXPECT_TRUE(report.rows.empty());
  EXPECT_EQ(Describe("total", report.totals), "total | 0 0 0 0 | 0 0 0 | - -");
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

// Versions 6 and 7 derive vouchers' signups and scans' flags and scanner keys at ingest; on a
// database that holds events already they are derived from the stored rows, to the same report.
// The ledger positions of migration 12 (SQLite) / 15 (PostgreSQL): the fleet vouchers redeemed
// before it are numbered in key order; migration 17 / 20 numbers the store vouchers after them,
// and new ones follow.
TEST_P(AttributionTest, UpgradingNumbersTheVouchersRedeemedBefore) {
  using testing::Redemption;
  using testing::attribution::kExpiresS;
  const auto ingest = [this](const EventBatch& batch) {
    auto answer = store_->Ingest(batch);
    ASSERT_TRUE(answer) << answer.error().message();
  };
  // f2 first, then f1 in a later batch (a batch numbers its own in key order).
  ASSERT_NO_FATAL_FAILURE(
      ingest(testing::MakeBatch("kiosk-f", "inc-f", 1,
                                {Redemption("kiosk-a", "00000000000000f2", "fleet", kExpiresS),
                                 Redemption("kiosk-a", "00000000000000f3", "store", kExpiresS)})));
  ASSERT_NO_FATAL_FAILURE(ingest(testing::MakeBatch(
      "kiosk-f", "inc-f", 3, {Redemption("kiosk-a", "00000000000000f1", "fleet", kExpiresS - 1)})));
  const RedeemedVouchers before =
      store_->RedeemedVouchersAfter(0, 0, kWholeLedger).value().vouchers;
  // The dataset's store vouchers redeemed come first, then f2 and f3, then f1.
  ASSERT_EQ(before.through_key, "kiosk-a/00000000000000f1");
  ASSERT_GE(before.through, 3);
  ASSERT_NO_FATAL_FAILURE(ReopenFromVersion5());
  const RedeemedVouchers after = store_->RedeemedVouchersAfter(0, 0, kWholeLedger).value().vouchers;
  EXPECT_EQ(after.vouchers, before.vouchers);
  EXPECT_EQ(after.through, before.through);
  EXPECT_EQ(store_->RedeemedVoucherAt(1).value(), "kiosk-a/00000000000000f1");
  EXPECT_EQ(store_->RedeemedVoucherAt(2).value(), "kiosk-a/00000000000000f2")
      << "the fleet vouchers first, in key order";
  std::vector<std::string> store_vouchers;
  for (std::int64_t position = 3; position <= after.through; ++position) {
    store_vouchers.push_back(store_->RedeemedVoucherAt(position).value().value_or("-"));
  }
  EXPECT_TRUE(std::is_sorted(store_vouchers.begin(), store_vouchers.end()))
      << "then the store vouchers, in key order";
  EXPECT_NE(std::find(store_vouchers.begin(), store_vouchers.end(), "kiosk-a/00000000000000f3"),
            store_vouchers.end());
  ASSERT_NO_FATAL_FAILURE(ingest(testing::MakeBatch(
      "kiosk-f", "inc-f", 4, {Redemption("kiosk-a", "00000000000000f0", "store", kExpiresS)})));
  EXPECT_EQ(store_->RedeemedVouchersAfter(after.through, 0, kWholeLedger).value().vouchers,
            (RedeemedVouchers{after.through + 1,
                              "kiosk-a/00000000000000f0",
                              std::nullopt,
                              {{"kiosk-a/00000000000000f0", kExpiresS}}}));
}

TEST_P(AttributionTest, UpgradingADatabaseWithDataGivesTheSameReport) {
  const std::vector<std::string> queries = {"group_by=channel&model=last_touch",
                                            "group_by=store&model=first_touch", "group_by=day"};
  std::vector<AttributionReport> before;
  for (const std::string& query : queries) before.push_back(Report(query));
  ASSERT_NO_FATAL_FAILURE(ReopenFromVersion5());
  for (std::size_t i = 0; i < queries.size(); ++i) {
    const AttributionReport after = Report(queries[i]);
    EXPECT_EQ(Rows(after), Rows(before[i])) << queries[i];
    EXPECT_EQ(Describe("total", after.totals), Describe("total", before[i].totals)) << queries[i];
  }
  EXPECT_EQ(Describe("total", before[0].totals), "total | 12 8 1 2 | 5 5 4 | 2250 86400");
}

// PostgreSQL reads the scans on a second connection when one is free, in the same snapshot; with
// a single connection it reads everything on that one, to the same report.
TEST_P(AttributionTest, OneConnectionGivesTheSameReport) {
  const AttributionReport pooled = Report("group_by=campaign&model=first_touch");
  store_.reset();  // SQLite's device scan index has one keeper at a time
  auto single = database_.Open(*identity_, clock_, 1);
  ASSERT_TRUE(single) << single.error().message();
  store_ = std::move(*single);
  const AttributionReport alone = Report("group_by=campaign&model=first_touch");
  EXPECT_EQ(Rows(alone), Rows(pooled));
  EXPECT_EQ(Describe("total", alone.totals), Describe("total", pooled.totals));
  EXPECT_EQ(Describe("total", alone.totals), "total | 12 8 1 2 | 5 5 4 | 5400 86400");
}

INSTANTIATE_TEST_SUITE_P(Backends, AttributionTest, testing::BothBackends(), testing::BackendName);

}  // namespace
}  // namespace kiosk_edge
