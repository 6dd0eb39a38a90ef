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
#include "support/temp_dir.hpp"
#include "support/test_stores.hpp"
#include "sync/profile_store/bundle_maker.hpp"
#include "sync/profile_store/pg_connection.hpp"
#include "sync/profile_store/postgres_store.hpp"
#include "sync/profile_store/sqlite_store.hpp"
#include "sync/store_test_events.hpp"

namespace kiosk_edge {
namespace {

using testing::MakeBatch;
using testing::Scan;
using testing::Signup;
using testing::SignupSpec;

using testing::Backend;

constexpr std::string_view kPhoneX = "+8613812345678";
constexpr std::string_view kPhoneY = "+8613900001111";

class ErasureBackendTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    auto identity = testing::TestHqIdentity(std::string(32, 'e'));
    ASSERT_TRUE(identity) << identity.error().message();
    identity_ = std::make_unique<HqIdentity>(std::move(*identity));
    auto store = database_.Open(*identity_, clock_);
    ASSERT_TRUE(store) << store.error().message();
    store_ = std::move(*store);
  }

  WireEvent SignupOf(std::string_view phone, char device) {
    SignupSpec spec;
    spec.phone = std::string(phone);
    spec.device = testing::Device(device);
    return Signup(identity_->public_key(), spec);
  }

  BatchAnswer Ingest(const EventBatch& batch) {
    auto answer = store_->Ingest(batch);
    EXPECT_TRUE(answer) << answer.error().message();
    return answer ? *answer : BatchAnswer{};
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

  std::vector<std::string> ErasedEvents() {
    auto events = store_->ErasedEvents();
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

  static void ExpectScrubbed(const boost::json::object& payload) {
    for (const char* member : {"name", "phone", "phone_index", "device"}) {
      EXPECT_FALSE(payload.contains(member)) << member << " is still stored";
    }
    ASSERT_TRUE(payload.contains("erased"));
    EXPECT_EQ(payload.at("erased"), boost::json::value(true));
    ASSERT_TRUE(payload.contains("campaign"));
    EXPECT_EQ(payload.at("campaign"), boost::json::value("spring"));
  }

  testing::TempDir dir_;
  FakeClock clock_;
  testing::TestDatabase database_{GetParam(), dir_ / "hq.db"};
  std::unique_ptr<HqIdentity> identity_;
  std::unique_ptr<StoreBackend> store_;
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
  EXPECT_EQ(answer, (BatchAnswer{"inc-b", 3, {}, {2}}));
  EXPECT_FALSE(HasProfile(kPhoneX));
  ExpectScrubbed(StoredPayload("inc-b", 2));
  EXPECT_EQ(ErasedEvents(), (std::vector<std::string>{"kiosk-1/inc-b/2"}));

  // A replay answers the same (a kiosk that lost the answer still learns what to scrub).
  EXPECT_EQ(Ingest(late), (BatchAnswer{"inc-b", 3, {}, {2}}));
  // A later signup of X, and one of Y in the same batch: only X's is erased.
  EXPECT_EQ(
      Ingest(MakeBatch("kiosk-1", "inc-b", 4, {SignupOf(kPhoneY, 'y'), SignupOf(kPhoneX, 'x')})),
      (BatchAnswer{"inc-b", 5, {}, {5}}));
  EXPECT_FALSE(HasProfile(kPhoneX));
  EXPECT_TRUE(HasProfile(kPhoneY));
  auto counts = store_->Counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->profiles, 1);
  EXPECT_EQ(counts->signups, 3);
}

TEST_P(ErasureBackendTest, TheBundleCarriesRevokedVouchersAndErasedEventsUnderANewVersion) {
  BundleMaker maker({}, [] {
    return Result<HqChannelKeys>(
        HqChannelKeys{{HqChannelKey{'B', std::string(32, 'k'), 1'700'000'000, std::nullopt}}, 'B'});
  });
  auto before = maker.Current(*store_, *identity_, clock_);
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

  auto after = maker.Current(*store_, *identity_, clock_);
  ASSERT_TRUE(after) << after.error().message();
  EXPECT_EQ(after->revoked_vouchers,
            (std::vector<std::string>{"kiosk-1/0123456789abcdef", "kiosk-2/fedcba9876543210"}));
  EXPECT_EQ(after->erased_events, (std::vector<std::string>{"kiosk-1/inc-a/1"}));
  EXPECT_TRUE(after->erased_subjects.empty());  // HQ's subject ids are not spread to kiosks
  EXPECT_GT(after->version, before->version);
  auto again = maker.Current(*store_, *identity_, clock_);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->version, after->version);
}

INSTANTIATE_TEST_SUITE_P(Backends, ErasureBackendTest, testing::BothBackends(),
                         testing::BackendName);

}  // namespace
}  // namespace kiosk_edge
