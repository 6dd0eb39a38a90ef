// Erasure and revoked vouchers on both storage backends (StoreBackend::EraseSubject,
// docs/attribution.md "Erasure"): what HQ keeps, what it scrubs, the tombstone against late events,
// and what the config bundle carries. PostgreSQL runs in a throwaway cluster
// (tests/support/postgres_cluster.hpp) that these tests FAIL without.

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/crypto.hpp"
#include "common/fake_clock.hpp"
#include "common/sqlite.hpp"
#include "common/strings.hpp"
#include "support/temp_dir.hpp"
#include "support/test_stores.hpp"
#include "sync/profile_store/bundle_maker.hpp"
#include "sync/profile_store/pg_connection.hpp"
#include "sync/profile_store/postgres_store.hpp"
#include "sync/profile_store/sqlite_store.hpp"
#include "sync/store_test_events.hpp"

namespace kiosk_edge {
namespace {

using testing::kT0;
using testing::MakeBatch;
using testing::Scan;
using testing::Signup;
using testing::SignupSpec;

using testing::Backend;

constexpr std::string_view kPhoneX = "+8613812345678";
constexpr std::string_view kPhoneY = "+8613900001111";

class ErasureBackendTest : public testing::StoreSuite {
 protected:
  WireEvent SignupOf(std::string_view phone, char device) {
    SignupSpec spec;
    spec.phone = std::string(phone);
    spec.device = testing::Device(device);
    return Signup(identity_->public_key(), spec);
  }

  std::string Key(std::string_view phone) const { return identity_->ProfileKey(phone); }

  bool HasProfile(std::string_view phone) {
    auto profile = store_->Profile(Key(phone));
    EXPECT_TRUE(profile) << profile.error().message();
    return profile && profile->has_value();
  }

  bool Erase(std::string_view phone) {
    auto erased = store_->EraseSubject(Key(phone));
    EXPECT_TRUE(erased) << erased.error().message();
    return erased && *erased;
  }

  // kiosk-1's erased events, the only kiosk erasing here.
  std::vector<std::string> ErasedEvents() {
    auto events = store_->ErasedEventsOf("kiosk-1");
    EXPECT_TRUE(events) << events.error().message();
    return events ? *events : std::vector<std::string>{};
  }

  // The stored payload of one event, read straight from the database, as a JSON object.
  boost::json::object StoredPayload(const std::string& incarnation, std::int64_t seq) {
    std::string text;
    if (GetParam() == Backend::kSqlite) {
      DatabaseOptions options;
      options.read_only = true;
      auto db = Database::Open(dir_ / "hq.db", options);
      EXPECT_TRUE(db) << db.error().message();
      if (!db) return {};
      auto select = db->Prepare("SELECT payload FROM events WHERE incarnation = ? AND seq = ?");
      EXPECT_TRUE(select);
      if (!select || !select->Bind(1, incarnation) || !select->Bind(2, seq)) return {};
      auto row = select->Step();
      EXPECT_TRUE(row && *row) << "no stored event " << seq;
      if (!row || !*row) return {};
      text = select->ColumnText(0);
    } else {
      auto connection = testing::ConnectToSharedCluster();
      EXPECT_TRUE(connection) << connection.error().message();
      if (!connection) return {};
      auto rows = connection->Query("SELECT payload::text FROM " + database_.schema() +
                                        ".events WHERE incarnation = $1 AND seq = $2",
                                    Params(incarnation, seq));
      EXPECT_TRUE(rows && rows->rows() == 1) << "no stored event " << seq;
      if (!rows || rows->rows() != 1) return {};
      text = rows->Text(0, 0);
    }
    auto json = boost::json::parse(text);
    return json.is_object() ? json.as_object() : boost::json::object{};
  }

  // The first column of each row `sql` gives, run straight on the database (PostgreSQL: in the
  // store's schema), as text.
  std::vector<std::string> Direct(const std::string& sql) {
    std::vector<std::string> column;
    if (GetParam() == Backend::kSqlite) {
      auto db = Database::Open(dir_ / "hq.db", DatabaseOptions{});
      EXPECT_TRUE(db) << db.error().message();
      if (!db) return column;
      auto statement = db->Prepare(sql);
      EXPECT_TRUE(statement) << statement.error().message();
      if (!statement) return column;
      while (true) {
        auto row = statement->Step();
        EXPECT_TRUE(row) << row.error().message();
        if (!row || !*row) return column;
        column.push_back(statement->ColumnText(0));
      }
    }
    auto connection = testing::ConnectToSharedCluster();
    EXPECT_TRUE(connection) << connection.error().message();
    if (!connection) return column;
    EXPECT_TRUE(connection->Exec("SET search_path TO " + database_.schema()));
    auto rows = connection->Query(sql);
    EXPECT_TRUE(rows) << rows.error().message();
    for (int i = 0; rows && i < rows->rows(); ++i) column.push_back(rows->Text(i, 0));
    return column;
  }

  static void ExpectScrubbed(const boost::json::object& payload) {
    for (const char* member : {"name", "phone", "phone_index", "device"}) {
      EXPECT_FALSE(payload.contains(member)) << member << " is still stored";
    }
    ASSERT_TRUE(payload.contains("erased"));
    EXPECT_EQ(payload.at("erased"), boost::json::value(true));
    ASSERT_TRUE(payload.contains("campaign"));
    EXPECT_EQ(payload.at("campaign"), boost::json::value("spring"));
  }
};

TEST_P(ErasureBackendTest, ErasingRemovesTheProfileAndPersonalDataAndKeepsTheSignupCounted) {
  Ingest(MakeBatch("kiosk-1", "inc-a", 1,
                   {Scan(testing::Device('d')), SignupOf(kPhoneX, 'd'), SignupOf(kPhoneY, 'y')}));
  ASSERT_TRUE(HasProfile(kPhoneX));

  EXPECT_TRUE(Erase(kPhoneX));

  EXPECT_FALSE(HasProfile(kPhoneX));
  EXPECT_TRUE(HasProfile(kPhoneY));
  auto counts = store_->Counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->profiles, 1);
  EXPECT_EQ(counts->signups, 2);  // the erased signup still counts, as nobody's
  EXPECT_EQ(ErasedEvents(), (std::vector<std::string>{"kiosk-1/inc-a/2"}));
  ExpectScrubbed(StoredPayload("inc-a", 2));
  EXPECT_TRUE(StoredPayload("inc-a", 3).contains("phone"));  // the other shopper is untouched
  auto owner = store_->ProfileOfSignup(EventId{"kiosk-1", "inc-a", 2});
  ASSERT_TRUE(owner);
  EXPECT_EQ(*owner, std::optional<std::string>("(erased)"));

  // Idempotent: nothing left to find, nothing listed twice.
  EXPECT_FALSE(Erase(kPhoneX));
  EXPECT_EQ(ErasedEvents(), (std::vector<std::string>{"kiosk-1/inc-a/2"}));
}

TEST_P(ErasureBackendTest, LateEventsOfAnErasedSubjectDoNotBringItBack) {
  EXPECT_FALSE(Erase(kPhoneX));  // HQ has not heard of X yet: the tombstone is kept anyway

  const EventBatch late =
      MakeBatch("kiosk-1", "inc-b", 1,
                {Scan(testing::Device('d')), SignupOf(kPhoneX, 'd'), Scan(testing::Device('z'))});
  const BatchAnswer answer = Ingest(late);
  EXPECT_EQ(answer, (BatchAnswer{"inc-b", 3, {}, {2}, {}}));
  EXPECT_FALSE(HasProfile(kPhoneX));
  ExpectScrubbed(StoredPayload("inc-b", 2));
  EXPECT_EQ(ErasedEvents(), (std::vector<std::string>{"kiosk-1/inc-b/2"}));

  // A replay answers the same (a kiosk that lost the answer still learns what to scrub).
  EXPECT_EQ(Ingest(late), (BatchAnswer{"inc-b", 3, {}, {2}, {}}));
  // A later signup of X, and one of Y in the same batch: only X's is erased.
  EXPECT_EQ(
      Ingest(MakeBatch("kiosk-1", "inc-b", 4, {SignupOf(kPhoneY, 'y'), SignupOf(kPhoneX, 'x')})),
      (BatchAnswer{"inc-b", 5, {}, {5}, {}}));
  EXPECT_FALSE(HasProfile(kPhoneX));
  EXPECT_TRUE(HasProfile(kPhoneY));
  auto counts = store_->Counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->profiles, 1);
  EXPECT_EQ(counts->signups, 3);
}

// A consent_withdrawn event names its shopper by the phone sealed for HQ, as a signup does.
TEST_P(ErasureBackendTest, ErasingScrubsTheSubjectsConsentWithdrawalsToo) {
  const std::string& hq_key = identity_->public_key();
  Ingest(MakeBatch("kiosk-1", "inc-a", 1,
                   {SignupOf(kPhoneX, 'd'), testing::ConsentWithdrawn(hq_key, std::string(kPhoneX)),
                    testing::ConsentWithdrawn(hq_key, std::string(kPhoneY))}));

  EXPECT_TRUE(Erase(kPhoneX));

  EXPECT_EQ(ErasedEvents(), (std::vector<std::string>{"kiosk-1/inc-a/1", "kiosk-1/inc-a/2"}));
  const boost::json::object withdrawal = StoredPayload("inc-a", 2);
  EXPECT_FALSE(withdrawal.contains("phone"));
  EXPECT_EQ(withdrawal.at("erased"), boost::json::value(true));
  EXPECT_EQ(withdrawal.at("purpose"), boost::json::value("marketing"));
  EXPECT_TRUE(StoredPayload("inc-a", 3).contains("phone"));  // the other shopper's stays
  EXPECT_EQ(Direct("SELECT COUNT(*) FROM consent_withdrawals"), (std::vector<std::string>{"1"}));

  // A shopper HQ only knows by a withdrawal (no signup, so no profile) is erased all the same.
  EXPECT_FALSE(Erase(kPhoneY));
  EXPECT_EQ(ErasedEvents(),
            (std::vector<std::string>{"kiosk-1/inc-a/1", "kiosk-1/inc-a/2", "kiosk-1/inc-a/3"}));
  EXPECT_FALSE(StoredPayload("inc-a", 3).contains("phone"));
  EXPECT_EQ(Direct("SELECT COUNT(*) FROM withdrawal_events"), (std::vector<std::string>{"0"}));
  EXPECT_EQ(Direct("SELECT COUNT(*) FROM consent_withdrawals"), (std::vector<std::string>{"0"}));
}

TEST_P(ErasureBackendTest, ALateWithdrawalOfAnErasedSubjectIsStoredScrubbedAndWithdrawsNothing) {
  EXPECT_FALSE(Erase(kPhoneX));
  const std::string& hq_key = identity_->public_key();

  const BatchAnswer answer =
      Ingest(MakeBatch("kiosk-1", "inc-b", 1,
                       {testing::ConsentWithdrawn(hq_key, std::string(kPhoneX)),
                        testing::ConsentWithdrawn(hq_key, std::string(kPhoneY))}));

  EXPECT_EQ(answer, (BatchAnswer{"inc-b", 2, {}, {1}, {}}));
  EXPECT_FALSE(StoredPayload("inc-b", 1).contains("phone"));
  EXPECT_TRUE(StoredPayload("inc-b", 2).contains("phone"));
  EXPECT_EQ(ErasedEvents(), (std::vector<std::string>{"kiosk-1/inc-b/1"}));
  // Only Y's withdrawal is kept, and only it names a shopper.
  EXPECT_EQ(Direct("SELECT profile_key FROM consent_withdrawals"),
            (std::vector<std::string>{Key(kPhoneY)}));
  EXPECT_EQ(Direct("SELECT seq FROM withdrawal_events"), (std::vector<std::string>{"2"}));
}

// A store upgraded from before withdrawal_events (SQLite 9, PostgreSQL 11) maps the
// consent_withdrawn events it already holds when it opens, so erasure finds them.
TEST_P(ErasureBackendTest, WithdrawalsStoredBeforeTheirTableAreMappedWhenTheStoreOpens) {
  const std::string& hq_key = identity_->public_key();
  Ingest(MakeBatch("kiosk-1", "inc-a", 1,
                   {testing::ConsentWithdrawn(hq_key, std::string(kPhoneX)),
                    testing::ConsentWithdrawn(hq_key, std::string(kPhoneY))}));
  EXPECT_FALSE(Erase(kPhoneY));  // scrubbed: nothing to map any more
  store_.reset();
  Direct("DELETE FROM withdrawal_events");  // as the migration leaves an older store

  auto reopened = database_.Open(*identity_, clock_);
  ASSERT_TRUE(reopened) << reopened.error().message();
  store_ = std::move(*reopened);
  EXPECT_EQ(Direct("SELECT profile_key FROM withdrawal_events"),
            (std::vector<std::string>{Key(kPhoneX)}));

  EXPECT_FALSE(Erase(kPhoneX));
  EXPECT_FALSE(StoredPayload("inc-a", 1).contains("phone"));
  EXPECT_EQ(ErasedEvents(), (std::vector<std::string>{"kiosk-1/inc-a/1", "kiosk-1/inc-a/2"}));
}

TEST_P(ErasureBackendTest, AStoredWithdrawalThatNoLongerOpensFailsTheOpenNamingTheEvent) {
  Ingest(MakeBatch("kiosk-1", "inc-a", 1,
                   {testing::ConsentWithdrawn(identity_->public_key(), std::string(kPhoneX))}));
  store_.reset();
  Direct("DELETE FROM withdrawal_events");
  Direct(R"(UPDATE events SET payload = '{"phone":"S1.AAAA","purpose":"marketing"}')");

  auto reopened = database_.Open(*identity_, clock_);

  ASSERT_FALSE(reopened);
  EXPECT_NE(reopened.error().message().find("stored consent_withdrawn event kiosk-1/inc-a/1"),
            std::string::npos)
      << reopened.error().message();
}

TEST_P(ErasureBackendTest, TheBundleCarriesRevokedVouchersAndErasedEventsUnderANewVersion) {
  BundleMaker maker({}, [] {
    return Result<HqChannelKeys>(
        HqChannelKeys{{HqChannelKey{'B', std::string(32, 'k'), 1'700'000'000, std::nullopt}}, 'B'});
  });
  auto before = maker.Current(*store_, *identity_, clock_, "kiosk-1");
  ASSERT_TRUE(before) << before.error().message();
  EXPECT_TRUE(before->revoked_vouchers.empty());
  EXPECT_TRUE(before->erased_events.empty());

  auto revoked = store_->RevokeVoucher("kiosk-2/fedcba9876543210");
  ASSERT_TRUE(revoked);
  EXPECT_TRUE(*revoked);
  revoked = store_->RevokeVoucher("kiosk-2/fedcba9876543210");
  ASSERT_TRUE(revoked);
  EXPECT_FALSE(*revoked);
  ASSERT_TRUE(store_->RevokeVoucher("kiosk-1/0123456789abcdef"));
  Ingest(MakeBatch("kiosk-1", "inc-a", 1, {SignupOf(kPhoneX, 'd')}));
  Erase(kPhoneX);

  auto after = maker.Current(*store_, *identity_, clock_, "kiosk-1");
  ASSERT_TRUE(after) << after.error().message();
  EXPECT_EQ(after->revoked_vouchers,
            (std::vector<std::string>{"kiosk-1/0123456789abcdef", "kiosk-2/fedcba9876543210"}));
  EXPECT_EQ(after->erased_events, (std::vector<std::string>{"kiosk-1/inc-a/1"}));
  EXPECT_TRUE(after->erased_subjects.empty());  // HQ's subject ids are not spread to kiosks
  EXPECT_GT(after->version, before->version);
  auto again = maker.Current(*store_, *identity_, clock_, "kiosk-1");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->version, after->version);
  // Each kiosk gets only its own erased events, under the fleet's version.
  auto other = maker.Current(*store_, *identity_, clock_, "kiosk-2");
  ASSERT_TRUE(other) << other.error().message();
  EXPECT_TRUE(other->erased_events.empty());
  EXPECT_EQ(other->version, after->version);
}

// A revoked voucher leaves the bundle once its issue, from the kiosk that signed it, says it has
// expired, a grace period later; one whose issue HQ does not hold stays, whatever a redemption
// reported of it.
TEST_P(ErasureBackendTest, RevokedVouchersLeaveTheBundleAfterTheirExpiry) {
  BundleMaker maker({}, [] {
    return Result<HqChannelKeys>(
        HqChannelKeys{{HqChannelKey{'B', std::string(32, 'k'), 1'700'000'000, std::nullopt}}, 'B'});
  });
  const std::int64_t now_s = kT0 / 1000;
  Ingest(MakeBatch("kiosk-1", "inc-a", 1,
                   {testing::VoucherIssued("00000000000000a1", "fleet", now_s + 100)}));
  Ingest(MakeBatch("kiosk-2", "inc-b", 1,
                   {testing::Redemption("kiosk-1", "00000000000000a2", "fleet", now_s + 100)}));
  const std::vector<std::string> all{"kiosk-1/00000000000000a1", "kiosk-1/00000000000000a2",
                                     "kiosk-1/00000000000000a3"};
  for (const std::string& key : all) ASSERT_TRUE(store_->RevokeVoucher(key));

  auto listed = maker.Current(*store_, *identity_, clock_, "kiosk-1");
  ASSERT_TRUE(listed) << listed.error().message();
  EXPECT_EQ(listed->revoked_vouchers, all);
  clock_.Advance(std::chrono::seconds(100 + kExpiredVoucherGraceS - 1));
  auto still = maker.Current(*store_, *identity_, clock_, "kiosk-1");
  ASSERT_TRUE(still) << still.error().message();
  EXPECT_EQ(still->revoked_vouchers, all) << "within the grace period";
  EXPECT_EQ(still->version, listed->version);

  clock_.Advance(std::chrono::seconds(1));
  auto after = maker.Current(*store_, *identity_, clock_, "kiosk-1");
  ASSERT_TRUE(after) << after.error().message();
  EXPECT_EQ(after->revoked_vouchers,
            (std::vector<std::string>{"kiosk-1/00000000000000a2", "kiosk-1/00000000000000a3"}));
  EXPECT_GT(after->version, listed->version);
}

// A fleet's erasures outgrow what one bundle may list (kMaxBundleListItems): every kiosk still
// gets its bundle, with its own erased events, and the version still follows the fleet's list.
TEST_P(ErasureBackendTest, TheFleetsErasuresDoNotHaveToFitInOneBundle) {
  BundleMaker maker({}, [] {
    return Result<HqChannelKeys>(
        HqChannelKeys{{HqChannelKey{'B', std::string(32, 'k'), 1'700'000'000, std::nullopt}}, 'B'});
  });
  Ingest(MakeBatch("kiosk-1", "inc-a", 1, {SignupOf(kPhoneX, 'd')}));
  Erase(kPhoneX);
  auto before = maker.Current(*store_, *identity_, clock_, "kiosk-1");
  ASSERT_TRUE(before) << before.error().message();
  const std::string many = StrCat("erased_events (kiosk_id, incarnation, seq, erased_at_ms) ",
                                  "SELECT 'kiosk-9', 'inc-z', n, 0 FROM ");
  const std::int64_t count = kMaxBundleListItems + 1;
  if (GetParam() == Backend::kSqlite) {
    auto db = Database::Open(dir_ / "hq.db", DatabaseOptions{});
    ASSERT_TRUE(db) << db.error().message();
    ASSERT_TRUE(
        db->Exec(StrCat("WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s "
                        "WHERE n < ",
                        count, ") INSERT INTO ", many, "s")));
  } else {
    auto connection = testing::ConnectToSharedCluster();
    ASSERT_TRUE(connection) << connection.error().message();
    ASSERT_TRUE(connection->Exec(StrCat("INSERT INTO ", database_.schema(), ".", many,
                                        "generate_series(1, ", count, ") AS n")));
  }

  auto after = maker.Current(*store_, *identity_, clock_, "kiosk-1");
  ASSERT_TRUE(after) << after.error().message();
  EXPECT_EQ(after->erased_events, (std::vector<std::string>{"kiosk-1/inc-a/1"}));
  EXPECT_GT(after->version, before->version);
  EXPECT_TRUE(EncodeConfigBundle(*after));
  auto crowded = maker.Current(*store_, *identity_, clock_, "kiosk-9");
  ASSERT_TRUE(crowded) << crowded.error().message();
  EXPECT_EQ(crowded->erased_events.size(), static_cast<std::size_t>(count));
  EXPECT_EQ(crowded->version, after->version);
}

INSTANTIATE_TEST_SUITE_P(Backends, ErasureBackendTest, testing::BothBackends(),
                         testing::BackendName);

}  // namespace
}  // namespace kiosk_edge
