// The "not redeemed" audience on the hand-built dataset of audience_dataset.hpp, consent
// withdrawal (kiosk events and HQ's call), re-consent and the export audit, against both storage
// backends: SQLite, and PostgreSQL in a throwaway cluster (these tests FAIL without one).

#include "sync/profile_store/audience.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "common/crypto.hpp"
#include "common/fake_clock.hpp"
#include "common/http_forms.hpp"
#include "common/strings.hpp"
#include "support/postgres_cluster.hpp"
#include "support/temp_dir.hpp"
#include "support/test_stores.hpp"
#include "sync/audience_dataset.hpp"
#include "sync/profile_store/postgres_store.hpp"
#include "sync/profile_store/report_time.hpp"
#include "sync/profile_store/sqlite_store.hpp"

namespace kiosk_edge {
namespace {

using testing::kT0;
using testing::audience::kDayMs;
using testing::audience::kHourMs;

using testing::Backend;

constexpr std::int64_t kAskedAt = kT0 + 10 * kDayMs;

// The audience dataset in store_, asked about at kAskedAt.
class AudienceTest : public testing::StoreSuite {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(StoreSuite::SetUp());
    clock_.Advance(std::chrono::milliseconds(kAskedAt - kT0));
    for (const EventBatch& batch :
         testing::audience::AudienceBatches(identity_->public_key(), kT0)) {
      Ingest(batch);
    }
  }

  void Ingest(const EventBatch& batch) {
    const BatchAnswer answer = StoreSuite::Ingest(batch);
    ASSERT_TRUE(answer.rejected.empty()) << answer.rejected[0].reason;
  }

  // "phone store channel campaign +minutes name" per row; "-" for none.
  std::vector<std::string> Audience(const std::string& query_string = "after=48h") {
    auto query = ParseAudienceQuery(query_string, kAskedAt);
    EXPECT_TRUE(query) << query.error().message();
    if (!query) return {};
    auto report = BuildNotRedeemedAudience(*store_, *query, {}, kAskedAt);
    EXPECT_TRUE(report) << report.error().message();
    if (!report) return {};
    std::vector<std::string> rows;
    for (const AudienceMember& row : report->rows) {
      EXPECT_EQ(row.profile_key, identity_->ProfileKey(row.phone));
      rows.push_back(StrCat(row.phone, " ", row.store.value_or("-"), " ",
                            row.channel_id.value_or("-"), " ", row.campaign, " +",
                            (row.signed_up_at_ms - kT0) / 60'000, "m ", row.name));
    }
    return rows;
  }

  bool MarketingConsent(int shopper) {
    auto profile = store_->Profile(identity_->ProfileKey(testing::audience::Phone(shopper)));
    EXPECT_TRUE(profile && *profile);
    return profile && *profile && (*profile)->marketing_consent;
  }
};

const std::vector<std::string> kAll = {
    "+8613800000001 store-1 EL3 spring +0m Li Lei",
    "+8613800000004 store-2 COUNTER spring +180m Li Lei",
    "+8613800000006 - - spring +300m Li Lei",
    "+8613800000007 store-1 EL3 spring +360m Li Lei",
    "+8613800000009 store-2 COUNTER welcome +540m Li Lei",
};

TEST_P(AudienceTest, ListsConsentingShoppersWhoHadNotRedeemedWithinTheWindow) {
  EXPECT_EQ(Audience(), kAll);
}

TEST_P(AudienceTest, AWiderWindowLeavesOutTheLateRedeemer) {
  // 04 redeemed 72 h after signing up: within 4 days.
  const std::vector<std::string> expected = {kAll[0], kAll[2], kAll[3], kAll[4]};
  EXPECT_EQ(Audience("after=4d"), expected);
}

TEST_P(AudienceTest, CountsOnlySignupsThatHadTheirTime) {
  // Asked at t0 + 240 h: with after=228h only signups up to t0 + 12h are due (08, an hour old,
  // never is), and 04's redemption at +75 h falls within its 228 h.
  EXPECT_EQ(Audience("after=228h"), (std::vector<std::string>{kAll[0], kAll[2], kAll[3], kAll[4]}));
  EXPECT_EQ(Audience("after=14160m"), std::vector<std::string>{kAll[0]});  // up to t0 + 4 h
}

TEST_P(AudienceTest, Filters) {
  EXPECT_EQ(Audience("after=48h&store=store-2"), (std::vector<std::string>{kAll[1], kAll[4]}));
  EXPECT_EQ(Audience("after=48h&campaign=welcome"), std::vector<std::string>{kAll[4]});
  EXPECT_EQ(Audience("after=48h&channel=EL3"), (std::vector<std::string>{kAll[0], kAll[3]}));
  // The window holds each shopper's first signup in it (07's at +6 h, not +8 h).
  EXPECT_EQ(Audience(StrCat("after=48h&from=", UrlEncode(FormatReportTime(kT0 + 4 * kHourMs, 0)),
                            "&to=", UrlEncode(FormatReportTime(kT0 + 10 * kHourMs, 0)))),
            (std::vector<std::string>{kAll[2], kAll[3], kAll[4]}));
}

TEST_P(AudienceTest, WithdrawnConsentShowsOnTheProfile) {
  EXPECT_TRUE(MarketingConsent(1));
  EXPECT_FALSE(MarketingConsent(5));
  EXPECT_TRUE(MarketingConsent(7));    // a later signup gave it again
  EXPECT_TRUE(MarketingConsent(9));    // the withdrawal came before the latest signup
  EXPECT_FALSE(MarketingConsent(10));  // the late signup came before the withdrawal
}

TEST_P(AudienceTest, HqCallWithdrawsConsentAtOnceUntilALaterSignup) {
  using testing::audience::Phone;
  auto withdrawn = store_->WithdrawConsent(identity_->ProfileKey(Phone(6)));
  ASSERT_TRUE(withdrawn) << withdrawn.error().message();
  EXPECT_TRUE(withdrawn->profile_known);
  EXPECT_EQ(withdrawn->withdrawn_at_ms, kAskedAt);
  EXPECT_FALSE(MarketingConsent(6));
  const std::vector<std::string> without_06 = {kAll[0], kAll[1], kAll[3], kAll[4]};
  EXPECT_EQ(Audience(), without_06);

  // A signup from before the call, arriving late, does not bring consent back...
  Ingest(testing::MakeBatch(
      "kiosk-c", "inc-c", 1,
      {testing::attribution::SignupOf(identity_->public_key(), Phone(6), testing::Device('6'),
                                      "spring", std::nullopt, kAskedAt - kHourMs)}));
  EXPECT_EQ(Audience(), without_06);
  // ... one after it does.
  Ingest(testing::MakeBatch(
      "kiosk-c", "inc-c", 2,
      {testing::attribution::SignupOf(identity_->public_key(), Phone(6), testing::Device('6'),
                                      "spring", std::nullopt, kAskedAt + 1)}));
  EXPECT_TRUE(MarketingConsent(6));
  EXPECT_EQ(Audience(), kAll);
}

TEST_P(AudienceTest, HqCallForAnUnknownPhoneHoldsForItsEarlierSignups) {
  auto withdrawn = store_->WithdrawConsent(identity_->ProfileKey("+8613800000042"));
  ASSERT_TRUE(withdrawn) << withdrawn.error().message();
  EXPECT_FALSE(withdrawn->profile_known);
  Ingest(testing::MakeBatch(
      "kiosk-c", "inc-c", 1,
      {testing::attribution::SignupOf(identity_->public_key(), "+8613800000042",
                                      testing::Device('c'), "spring", "EL3", kT0)}));
  EXPECT_EQ(Audience(), kAll);
}

TEST_P(AudienceTest, AuditKeepsEveryExportNewestFirst) {
  ASSERT_TRUE(store_->RecordAudienceExport({0, "alice", kT0, "not-redeemed", "after=48h", 5}));
  ASSERT_TRUE(store_->RecordAudienceExport({0, "bob", kT0 + 1, "not-redeemed", "after=2d", 0}));
  auto records = store_->AudienceExports(10);
  ASSERT_TRUE(records) << records.error().message();
  ASSERT_EQ(records->size(), 2u);
  EXPECT_EQ((*records)[0], (AudienceExportRecord{(*records)[1].id + 1, "bob", kT0 + 1,
                                                 "not-redeemed", "after=2d", 0}));
  EXPECT_EQ((*records)[1],
            (AudienceExportRecord{(*records)[1].id, "alice", kT0, "not-redeemed", "after=48h", 5}));
  auto latest = store_->AudienceExports(1);
  ASSERT_TRUE(latest);
  ASSERT_EQ(latest->size(), 1u);
  EXPECT_EQ((*latest)[0].token_name, "bob");
}

INSTANTIATE_TEST_SUITE_P(Backends, AudienceTest, testing::BothBackends(), testing::BackendName);

TEST(AudienceQueryTest, NamesTheBadParameter) {
  for (const char* bad : {"after=48", "after=0h", "after=48x", "after=h", "after=-2d", "after=367d",
                          "after=048h", "after=1.5h"}) {
    auto query = ParseAudienceQuery(bad, kAskedAt);
    ASSERT_FALSE(query) << bad;
    EXPECT_TRUE(query.error().message().starts_with("after: ")) << bad;
  }
  EXPECT_TRUE(ParseAudienceQuery("store=", kAskedAt).error().message().starts_with("store: "));
  EXPECT_TRUE(ParseAudienceQuery("format=xml", kAskedAt).error().message().starts_with("format"));
  EXPECT_TRUE(ParseAudienceQuery("kiosk=a", kAskedAt).error().message().starts_with("kiosk: "));
  EXPECT_TRUE(
      ParseAudienceQuery("after=1h&after=2h", kAskedAt).error().message().starts_with("after: "));
}

TEST(AudienceQueryTest, ReadsDurationsAndDefaults) {
  auto defaults = ParseAudienceQuery("", kAskedAt);
  ASSERT_TRUE(defaults);
  EXPECT_EQ(defaults->after_ms, 48 * kHourMs);
  EXPECT_EQ(defaults->to_ms, kAskedAt);
  EXPECT_EQ(defaults->from_ms, kAskedAt - 30 * kDayMs);
  EXPECT_EQ(ParseAudienceQuery("after=2d", kAskedAt)->after_ms, 2 * kDayMs);
  EXPECT_EQ(ParseAudienceQuery("after=90m", kAskedAt)->after_ms, 90 * 60'000);
  auto query = ParseAudienceQuery(
      "after=36h&from=2027-01-01&to=2027-02-01&store=store-1&campaign=a%26b&tz=%2B08:00", kAskedAt);
  ASSERT_TRUE(query) << query.error().message();
  EXPECT_EQ(AudienceFilterText(*query),
            "after=36h&from=2027-01-01T00%3A00%3A00%2B08%3A00&to=2027-02-01T00%3A00%3A00%2B08%3A00"
            "&store=store-1&campaign=a%26b");
}

}  // namespace
}  // namespace kiosk_edge
