// The attribution report's parameters, times, medians, rates and renderings (JSON, CSV, the
// command line's table), without a database.

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <string>

#include "sync/profile_store/attribution_render.hpp"
#include "sync/profile_store/report_table.hpp"
#include "sync/profile_store/report_time.hpp"

namespace kiosk_edge {
namespace {

constexpr std::int64_t kReportNow = 1'803'900'000'000;   // 2027-03-01T11:20:00Z
constexpr std::int64_t kReportDay0 = 1'803'859'200'000;  // 2027-03-01T00:00:00Z

std::string Refusal(std::string_view query) {
  auto parsed = ParseAttributionQuery(query, kReportNow);
  EXPECT_FALSE(parsed) << query;
  return parsed ? std::string() : parsed.error().message();
}

TEST(AttributionQueryTest, DefaultsToTheLast30DaysByChannelLastTouch) {
  auto query = ParseAttributionQuery("", kReportNow);
  ASSERT_TRUE(query) << query.error().message();
  EXPECT_EQ(query->to_ms, kReportNow);
  EXPECT_EQ(query->from_ms, kReportNow - 30 * kMsPerDay);
  EXPECT_EQ(query->group_by, AttributionGrouping::kChannel);
  EXPECT_EQ(query->model, AttributionModel::kLastTouch);
  EXPECT_EQ(query->format, ReportFormat::kJson);
  EXPECT_EQ(query->utc_offset_minutes, 0);
  EXPECT_EQ(query->lookback_days, 30);
}

TEST(AttributionQueryTest, ReadsEveryParameter) {
  auto query = ParseAttributionQuery(
      "from=2027-03-01&to=2027-03-03T12:30:00.5%2B08:00&group_by=path:3&model=first_touch&"
      "format=csv&tz=%2B08:00&lookback_days=7&store=store%201&campaign=spring",
      kReportNow);
  ASSERT_TRUE(query) << query.error().message();
  EXPECT_EQ(query->from_ms, kReportDay0 - 8 * 3'600'000);  // midnight at +08:00
  EXPECT_EQ(query->to_ms, kReportDay0 + 2 * kMsPerDay + 4 * 3'600'000 + 30 * 60'000 + 500);
  EXPECT_EQ(query->group_by, AttributionGrouping::kPath);
  EXPECT_EQ(query->path_levels, 3);
  EXPECT_EQ(GroupingText(*query), "path:3");
  EXPECT_EQ(query->model, AttributionModel::kFirstTouch);
  EXPECT_EQ(query->format, ReportFormat::kCsv);
  EXPECT_EQ(query->utc_offset_minutes, 480);
  EXPECT_EQ(query->lookback_days, 7);
  EXPECT_EQ(query->store, "store 1");
  EXPECT_EQ(query->campaign, "spring");
}

TEST(AttributionQueryTest, AnUnescapedPlusInAnOffsetStillReads) {
  // '+' in a query string decodes to a space; in an offset it can only have meant '+'.
  auto query = ParseAttributionQuery("from=2027-03-01T08:00:00+08:00&tz=+08:00", kReportNow);
  ASSERT_TRUE(query) << query.error().message();
  EXPECT_EQ(query->from_ms, kReportDay0);
  EXPECT_EQ(query->utc_offset_minutes, 480);
}

TEST(AttributionQueryTest, RefusesBadParametersNamingThem) {
  EXPECT_EQ(Refusal("group_by=path:0"),
            "group_by: must be channel, path:N (N = 1..8), store, campaign or day");
  EXPECT_TRUE(Refusal("group_by=path:9").starts_with("group_by: "));
  EXPECT_TRUE(Refusal("group_by=kiosk").starts_with("group_by: "));
  EXPECT_EQ(Refusal("model=linear"), "model: must be first_touch or last_touch");
  EXPECT_EQ(Refusal("format=xml"), "format: must be json or csv");
  EXPECT_TRUE(Refusal("from=2027-02-29").starts_with("from: must be a date"));  // not a leap year
  EXPECT_TRUE(Refusal("from=2027-03-01T24:00:00Z").starts_with("from: "));
  EXPECT_TRUE(Refusal("to=yesterday").starts_with("to: "));
  EXPECT_TRUE(Refusal("from=1999-12-31&to=2000-01-02").starts_with("from: must be between"));
  EXPECT_EQ(Refusal("from=2027-03-02&to=2027-03-01"), "from: must be before to");
  EXPECT_EQ(Refusal("from=2027-03-01&to=2027-03-01"), "from: must be before to");
  EXPECT_EQ(Refusal("from=2026-01-01&to=2027-01-03"),
            "to: the window from..to must be at most 366 days");
  EXPECT_EQ(Refusal("tz=%2B24:00"), "tz: must be a UTC offset such as +08:00, -05:30 or Z");
  EXPECT_EQ(Refusal("lookback_days=0"), "lookback_days: must be a whole number of days, 1..365");
  EXPECT_TRUE(Refusal("lookback_days=3x").starts_with("lookback_days: "));
  EXPECT_EQ(Refusal("store="), "store: must be 1-64 bytes");
  EXPECT_EQ(Refusal("campaign=" + std::string(65, 'c')), "campaign: must be 1-64 bytes");
  EXPECT_TRUE(Refusal("groupby=day").starts_with("groupby: unknown parameter"));
  EXPECT_EQ(Refusal("model=first_touch&model=last_touch"), "model: given more than once");
}

TEST(ReportTimeTest, ReadsAndWritesRfc3339AtAnOffset) {
  EXPECT_EQ(ParseReportTime("2027-03-01T00:00:00Z", 0), kReportDay0);
  EXPECT_EQ(ParseReportTime("2027-03-01t08:00:00.123456789-01:30", 0),
            kReportDay0 + 9 * 3'600'000 + 30 * 60'000 + 123);
  EXPECT_EQ(ParseReportTime("2027-03-01", -330), kReportDay0 + 330 * 60'000);
  EXPECT_FALSE(ParseReportTime("2027-03-01T00:00:00", 0));  // no offset
  EXPECT_FALSE(ParseReportTime("2027-3-01", 0));
  EXPECT_FALSE(ParseReportTime("2027-03-01T00:00:00.Z", 0));
  EXPECT_EQ(FormatReportTime(kReportDay0, 0), "2027-03-01T00:00:00Z");
  EXPECT_EQ(FormatReportTime(kReportDay0 + 250, 480), "2027-03-01T08:00:00.250+08:00");
  EXPECT_EQ(FormatReportTime(kReportDay0, -330), "2027-02-28T18:30:00-05:30");
  EXPECT_EQ(FormatDay(DayNumber(kReportDay0 - 1, 0)), "2027-02-28");
  EXPECT_EQ(FormatDay(DayNumber(kReportDay0 - 1, 60)), "2027-03-01");
}

TEST(MedianTest, IsTheMiddleOrTheMeanOfTheTwoMiddleValues) {
  std::vector<std::int64_t> none;
  EXPECT_FALSE(MedianMs::Of(none));
  std::vector<std::int64_t> odd = {9000, 1000, 5000};
  EXPECT_EQ(MedianMs::Of(odd), MedianMs::Exactly(5000));
  std::vector<std::int64_t> even = {4, 1, 2, 3};  // (2 + 3) / 2 = 2.5 ms
  ASSERT_TRUE(MedianMs::Of(even));
  EXPECT_EQ(MedianMs::Of(even)->SecondsText(), "0.0025");
  EXPECT_EQ(MedianMs::Exactly(5'400'000).SecondsText(), "5400");
  EXPECT_EQ(MedianMs{3}.SecondsText(), "0.0015");
  EXPECT_EQ(MedianMs::Exactly(1500).SecondsText(), "1.5");
}

TEST(RateTest, HasFourDecimalsRoundedHalfUpAndNoneForZero) {
  EXPECT_EQ(RateText(2, 3), "0.6667");
  EXPECT_EQ(RateText(1, 3), "0.3333");
  EXPECT_EQ(RateText(5, 8), "0.6250");
  EXPECT_EQ(RateText(0, 5), "0.0000");
  EXPECT_EQ(RateText(2, 1), "2.0000");
  EXPECT_EQ(RateText(1, 20000), "0.0001");  // 0.00005: half up
  EXPECT_EQ(RateText(1, 20001), "0.0000");
  EXPECT_FALSE(RateText(3, 0));
}

AttributionReport SmallReport(AttributionGrouping grouping) {
  AttributionReport report;
  report.query.from_ms = kReportDay0;
  report.query.to_ms = kReportDay0 + kMsPerDay;
  report.query.group_by = grouping;
  report.generated_at_ms = kReportNow;
  AttributionFigures el3{3, 3, 0, 0, 2, 2, 1, MedianMs::Exactly(7'200'000), std::nullopt};
  AttributionFigures odd{1, 0, 0, 1, 0, 0, 0, std::nullopt, std::nullopt};
  report.rows = {{"EL3", "Elevator 3, \"new\"", el3}, {"=cmd", "", odd}};
  report.totals = AttributionFigures{4, 3, 0, 1, 2, 2, 1, MedianMs{3}, std::nullopt};
  return report;
}

TEST(AttributionRenderTest, CsvHasAHeaderQuotesWhatNeedsItAndLeavesNullsEmpty) {
  EXPECT_EQ(AttributionCsv(SmallReport(AttributionGrouping::kChannel)),
            "channel,name,scans,unique_scanners,presence_verified_scans,invalid_scans,signups,"
            "vouchers_issued,redemptions,scan_to_signup_rate,signup_to_redemption_rate,"
            "median_scan_to_signup_s,median_signup_to_redemption_s\r\n"
            "EL3,\"Elevator 3, \"\"new\"\"\",3,3,0,0,2,2,1,0.6667,0.5000,7200,\r\n"
            "'=cmd,,1,0,0,1,0,0,0,,,,\r\n");
  EXPECT_TRUE(AttributionCsv(SmallReport(AttributionGrouping::kDay)).starts_with("day,scans,"));
}

TEST(AttributionRenderTest, JsonEchoesTheQueryAndUsesNullForNoValue) {
  const std::string text = AttributionJson(SmallReport(AttributionGrouping::kChannel));
  const auto json = boost::json::parse(text).as_object();
  EXPECT_EQ(json.at("query").as_object().at("from"), "2027-03-01T00:00:00Z");
  EXPECT_EQ(json.at("query").as_object().at("group_by"), "channel");
  EXPECT_EQ(json.at("query").as_object().at("model"), "last_touch");
  EXPECT_EQ(json.at("generated_at"), "2027-03-01T11:20:00Z");
  EXPECT_EQ(json.at("columns").as_array().size(), 13u);
  const auto& row = json.at("rows").as_array().at(0).as_object();
  EXPECT_EQ(row.at("channel"), "EL3");
  EXPECT_EQ(row.at("signups"), 2);
  EXPECT_EQ(row.at("scan_to_signup_rate").as_double(), 0.6667);
  EXPECT_EQ(row.at("median_scan_to_signup_s"), 7200);
  EXPECT_TRUE(row.at("median_signup_to_redemption_s").is_null());
  EXPECT_TRUE(json.at("rows").as_array().at(1).as_object().at("scan_to_signup_rate").is_null());
  EXPECT_EQ(json.at("totals").as_object().at("median_scan_to_signup_s").as_double(), 0.0015);
  EXPECT_FALSE(json.at("totals").as_object().contains("channel"));
}

TEST(ReportTableTest, AlignsColumnsStacksHeadersAndAddsTotals) {
  const auto table = ReportTable(
      R"j({"query":{"group_by":"store","model":"last_touch"},"columns":["store","scans",)j"
      R"j("unique_scanners","scan_to_signup_rate"],"rows":[)j"
      R"j({"store":"store-1","scans":12,"unique_scanners":5,"scan_to_signup_rate":0.4},)j"
      R"j({"store":"(direct)","scans":0,"unique_scanners":0,"scan_to_signup_rate":null}],)j"
      R"j("totals":{"scans":12,"unique_scanners":5,"scan_to_signup_rate":0.6667}})j");
  ASSERT_TRUE(table) << table.error().message();
  EXPECT_EQ(*table,
            "group_by=store  model=last_touch\n"
            "\n"
            "                             scan\n"
            "                               to\n"
            "                   unique  signup\n"
            "store     scans  scanners    rate\n"
            "store-1      12         5     0.4\n"
            "(direct)      0         0       -\n"
            "---------------------------------\n"
            "total        12         5  0.6667\n");
  EXPECT_FALSE(ReportTable("[1, 2]"));
  EXPECT_FALSE(ReportTable(R"({"rows": 3})"));
}

}  // namespace
}  // namespace kiosk_edge
