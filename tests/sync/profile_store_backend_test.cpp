// One suite, run against both storage backends: SQLite, and PostgreSQL in a throwaway cluster
// (tests/support/postgres_cluster.hpp) that these tests FAIL without.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/crypto.hpp"
#include "common/fake_clock.hpp"
#include "common/sqlite.hpp"
#include "common/strings.hpp"
#include "support/postgres_cluster.hpp"
#include "support/temp_dir.hpp"
#include "support/test_stores.hpp"
#include "sync/profile_store/postgres_store.hpp"
#include "sync/profile_store/sqlite_store.hpp"
#include "sync/store_test_events.hpp"

namespace kiosk_edge {
namespace {

using namespace std::chrono_literals;
using testing::kExpires;
using testing::kT0;
using testing::MakeBatch;
using testing::MakeEvent;
using testing::Redemption;
using testing::Scan;
using testing::ScanBatch;
using testing::Signup;
using testing::SignupSpec;
using testing::VoucherIssued;

using testing::Backend;

class ProfileStoreBackendTest : public testing::StoreSuite {
 protected:
  StoreCounts Counts() {
    auto counts = store_->Counts();
    EXPECT_TRUE(counts) << counts.error().message();
    return counts ? *counts : StoreCounts{};
  }

  KioskStatus Status(const std::string& kiosk_id) {
    auto status = store_->KioskStatusOf(kiosk_id);
    EXPECT_TRUE(status) << status.error().message();
    EXPECT_TRUE(!status || *status) << "no status for " << kiosk_id;
    return status && *status ? **status : KioskStatus{};
  }

  ProfileSummary ProfileOf(const std::string& phone) {
    auto profile = store_->Profile(identity_->ProfileKey(phone));
    EXPECT_TRUE(profile) << profile.error().message();
    EXPECT_TRUE(!profile || *profile) << "no profile for the phone";
    return profile && *profile ? **profile : ProfileSummary{};
  }

  const std::string& hq_key() const { return identity_->public_key(); }

  std::map<std::string, HonouredVouchers> Honoured(std::int64_t expired_by_unix_s,
                                                   std::size_t max_vouchers = 1000) {
    auto honoured = store_->HonouredVouchersOfRevokedKiosks(expired_by_unix_s, max_vouchers);
    EXPECT_TRUE(honoured) << honoured.error().message();
    return honoured ? *honoured : std::map<std::string, HonouredVouchers>{};
  }

  std::optional<std::int64_t> HonourCutoffOf(const std::string& kiosk_id) {
    auto kiosks = store_->Kiosks();
    EXPECT_TRUE(kiosks) << kiosks.error().message();
    for (const KioskRecord& kiosk : kiosks ? *kiosks : std::vector<KioskRecord>{}) {
      if (kiosk.kiosk_id == kiosk_id) return kiosk.honour_received_before_ms;
    }
    ADD_FAILURE() << "no kiosk " << kiosk_id;
    return std::nullopt;
  }

  // Runs `sql` on the store's database beside the store, as no call of the store would.
  void Direct(const std::string& sql) {
    if (GetParam() == Backend::kSqlite) {
      auto db = Database::Open(dir_ / "hq.db", DatabaseOptions{});
      ASSERT_TRUE(db) << db.error().message();
      auto ran = db->Exec(sql);
      ASSERT_TRUE(ran) << ran.error().message();
      return;
    }
    auto connection = testing::ConnectToSharedCluster();
    ASSERT_TRUE(connection) << connection.error().message();
    auto ran = connection->Exec(StrCat("SET search_path TO ", database_.schema(), "; ", sql));
    ASSERT_TRUE(ran) << ran.error().message();
  }
};

using HonouredMap = std::map<std::string, HonouredVouchers>;

TEST_P(ProfileStoreBackendTest, StoresABatchAndAnswersItsHighWaterMark) {
  const BatchAnswer answer =
      Ingest(MakeBatch("kiosk-1", "inc-a", 1,
                       {Scan(testing::Device('a')), Scan(testing::Device('b')),
                        VoucherIssued("0123456789abcdef", "store", kExpires)}));
  EXPECT_EQ(answer, (BatchAnswer{"inc-a", 3, {}, {}, {}}));
  const StoreCounts counts = Counts();
  EXPECT_EQ(counts.events, 3);
  EXPECT_EQ(counts.events_by_type,
            (std::map<std::string, std::int64_t>{{"scan", 2}, {"voucher_issued", 1}}));
  const KioskStatus status = Status("kiosk-1");
  EXPECT_EQ(status.incarnation, "inc-a");
  EXPECT_EQ(status.high_water, 3);
  EXPECT_EQ(status.max_seq, 3);
  EXPECT_TRUE(status.gaps.empty());
  EXPECT_EQ(status.last_batch_at_ms, kT0);
  auto unknown = store_->KioskStatusOf("kiosk-9");
  ASSERT_TRUE(unknown);
  EXPECT_FALSE(*unknown);
}

TEST_P(ProfileStoreBackendTest, AReplayedBatchStoresNothingTwiceAndAnswersTheSame) {
  const EventBatch batch = MakeBatch(
      "kiosk-1", "inc-a", 1,
      {Scan(testing::Device('a')), Signup(hq_key(), SignupSpec{}),
       VoucherIssued("0123456789abcdef", "fleet", kExpires),
       Redemption("kiosk-1", "0123456789abcdef", "fleet", kExpires), MakeEvent("scan", "[1]")});
  const BatchAnswer first = Ingest(batch);
  EXPECT_EQ(first.high_water, 5);
  ASSERT_EQ(first.rejected.size(), 1u);
  clock_.Advance(1min);
  EXPECT_EQ(Ingest(batch), first) << "a replay learns the same rejections";
  const StoreCounts counts = Counts();
  EXPECT_EQ(counts.events, 4);
  EXPECT_EQ(counts.dead_letters, 1);
  EXPECT_EQ(counts.profiles, 1);
  EXPECT_EQ(counts.signups, 1);
  EXPECT_EQ(counts.redemptions, 1);
  EXPECT_EQ(counts.conflicts, 0) << "a replayed redemption is not a second redemption";
  EXPECT_EQ(ProfileOf("+8613812345678").signups, 1);
  EXPECT_EQ(Status("kiosk-1").last_batch_at_ms, kT0 + 60'000);
}

TEST_P(ProfileStoreBackendTest, AnOverlappingBatchAddsOnlyWhatIsNew) {
  Ingest(ScanBatch("kiosk-1", "inc-a", 1, 5));
  EventBatch overlapping = ScanBatch("kiosk-1", "inc-a", 3, 6);  // seqs 3..8
  overlapping.events[0] = MakeEvent("scan", "not json");         // seq 3 is stored: never re-judged
  overlapping.events[0].seq = 3;
  const BatchAnswer answer = Ingest(overlapping);
  EXPECT_EQ(answer, (BatchAnswer{"inc-a", 8, {}, {}, {}}));
  EXPECT_EQ(Counts().events, 8);
  EXPECT_EQ(Counts().dead_letters, 0);
}

TEST_P(ProfileStoreBackendTest, AGapIsRecordedHoldsTheHighWaterMarkAndClosesWhenFilled) {
  Ingest(ScanBatch("kiosk-1", "inc-a", 1, 3));
  clock_.Advance(5s);
  const std::int64_t detected = kT0 + 5'000;
  const BatchAnswer after_gap = Ingest(ScanBatch("kiosk-1", "inc-a", 7, 3));
  EXPECT_EQ(after_gap.high_water, 3) << "7..9 stored, 4..6 not";
  EXPECT_EQ(after_gap.missing, (std::vector<MissingSeqs>{{4, 6}})) << "the kiosk may send them";
  KioskStatus status = Status("kiosk-1");
  EXPECT_EQ(status.max_seq, 9);
  EXPECT_EQ(status.gaps, (std::vector<SeqGap>{{4, 6, detected}}));
  EXPECT_EQ(store_->StreamEndOf("kiosk-1").value(), (StreamEnd{"inc-a", 9})) << "past the gap";
  EXPECT_EQ(Counts().events, 6) << "HQ keeps the batch after the gap";

  clock_.Advance(5s);
  const BatchAnswer inside = Ingest(ScanBatch("kiosk-1", "inc-a", 5, 1));
  EXPECT_EQ(inside.high_water, 3);
  EXPECT_EQ(inside.missing, (std::vector<MissingSeqs>{{4, 4}, {6, 6}}));
  EXPECT_EQ(Status("kiosk-1").gaps, (std::vector<SeqGap>{{4, 4, detected}, {6, 6, detected}}));
  EXPECT_EQ(Ingest(ScanBatch("kiosk-1", "inc-a", 4, 3)), (BatchAnswer{"inc-a", 9, {}, {}, {}}));
  status = Status("kiosk-1");
  EXPECT_TRUE(status.gaps.empty());
  EXPECT_EQ(Counts().events, 9);

  // A new incarnation whose first batch starts late has a gap from seq 1; the status follows it.
  clock_.Advance(5s);
  EXPECT_EQ(Ingest(ScanBatch("kiosk-1", "inc-b", 3, 2)).high_water, 0);
  status = Status("kiosk-1");
  EXPECT_EQ(status.incarnation, "inc-b");
  EXPECT_EQ(status.gaps, (std::vector<SeqGap>{{1, 2, kT0 + 15'000}}));
  EXPECT_EQ(store_->StreamEndOf("kiosk-1").value(), (StreamEnd{"inc-b", 4})) << "the latest";
  EXPECT_EQ(store_->StreamEndOf("kiosk-9").value(), StreamEnd{}) << "none of its events";
}

// An answer names at most kMaxMissingRanges gaps: the highest, the ones a kiosk most likely holds.
TEST_P(ProfileStoreBackendTest, AnAnswerNamesTheHighestGaps) {
  const auto gaps = static_cast<std::int64_t>(kMaxMissingRanges) + 2;
  BatchAnswer answer;
  for (std::int64_t i = 0; i < gaps; ++i)
    answer = Ingest(ScanBatch("kiosk-1", "inc-a", 2 * i + 2, 1));
  EXPECT_EQ(Status("kiosk-1").gaps.size(), static_cast<std::size_t>(gaps)) << "1, 3, 5, ...";
  ASSERT_EQ(answer.missing.size(), kMaxMissingRanges);
  EXPECT_EQ(answer.missing.front(), (MissingSeqs{5, 5}));
  EXPECT_EQ(answer.missing.back(), (MissingSeqs{2 * gaps - 1, 2 * gaps - 1}));
}

TEST_P(ProfileStoreBackendTest, BadEventsGoToDeadLettersWithoutBlockingTheRest) {
  SignupSpec foreign;
  auto other_keys = GenerateX25519KeyPair();
  ASSERT_TRUE(other_keys);
  WireEvent unknown_version = Scan(testing::Device('a'));
  unknown_version.payload_version = 2;
  WireEvent no_phone =
      MakeEvent("signup", R"({"device":"x","campaign":"spring","name":"S1.AAAA","consent":{}})");
  const BatchAnswer answer = Ingest(
      MakeBatch("kiosk-1", "inc-a", 1,
                {Scan(testing::Device('a')), MakeEvent("scan", "[1,2]"), unknown_version, no_phone,
                 Signup(other_keys->public_key, foreign),  // sealed for another HQ key
                 MakeEvent("scan", R"({"code":"channel","valid":true,"x":"nul\u0000"})"),
                 MakeEvent("future_type", R"({"anything":1})"), Signup(hq_key(), SignupSpec{})}));
  EXPECT_EQ(answer.high_water, 8) << "rejected events count as delivered";
  ASSERT_EQ(answer.rejected.size(), 5u);
  const std::vector<std::pair<std::int64_t, std::string>> expected = {
      {2, "payload: must be a JSON object"},
      {3, "payload_version 2 is unknown"},
      {4, "payload.phone: missing"},
      {5, "payload.phone: sealed phone"},
      {6, "NUL"}};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(answer.rejected[i].seq, expected[i].first);
    EXPECT_NE(answer.rejected[i].reason.find(expected[i].second), std::string::npos)
        << answer.rejected[i].reason;
  }
  const StoreCounts counts = Counts();
  EXPECT_EQ(counts.events, 3) << "the good scan, the unknown type and the good signup";
  EXPECT_EQ(counts.profiles, 1);
  EXPECT_EQ(Status("kiosk-1").dead_letters, 5);
  auto letters = store_->DeadLetters("kiosk-1");
  ASSERT_TRUE(letters);
  ASSERT_EQ(letters->size(), 5u);
  EXPECT_EQ((*letters)[1].event, (EventId{"kiosk-1", "inc-a", 3}));
  EXPECT_EQ((*letters)[1].type, "scan");
  EXPECT_EQ((*letters)[1].reason, answer.rejected[1].reason);
}

TEST_P(ProfileStoreBackendTest, ProfilesMergeAcrossKiosksByPhoneWithPersonalDataSealed) {
  const std::string phone = "+8613812345678";
  // Kiosk A's signup is later but arrives first; consent follows the later signup.
  Ingest(MakeBatch("kiosk-a", "inc-a", 1,
                   {Signup(hq_key(), {phone, testing::Device('a'), true, kT0 + 1000, "IDXA"})}));
  Ingest(MakeBatch("kiosk-b", "inc-b", 1,
                   {Signup(hq_key(), {phone, testing::Device('b'), false, kT0, "IDXB"}),
                    Signup(hq_key(), {"+8613900000000", testing::Device('c'), false, kT0})}));
  auto from_a = store_->ProfileOfSignup({"kiosk-a", "inc-a", 1});
  auto from_b = store_->ProfileOfSignup({"kiosk-b", "inc-b", 1});
  ASSERT_TRUE(from_a && *from_a && from_b && *from_b);
  EXPECT_EQ(**from_a, identity_->ProfileKey(phone));
  EXPECT_EQ(**from_a, **from_b) << "one shopper, two kiosks, one profile";
  const ProfileSummary profile = ProfileOf(phone);
  EXPECT_EQ(profile.signups, 2);
  EXPECT_EQ(profile.kiosks, (std::vector<std::string>{"kiosk-a", "kiosk-b"}));
  EXPECT_EQ(profile.first_signup_at_ms, kT0);
  EXPECT_EQ(profile.last_signup_at_ms, kT0 + 1000);
  EXPECT_TRUE(profile.marketing_consent) << "consent as given at the latest signup";
  EXPECT_EQ(Counts().profiles, 2);

  if (GetParam() == Backend::kSqlite) {
    store_.reset();  // closes the database, folding the WAL in
    std::ifstream file(dir_ / "hq.db", std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(file)), {});
    ASSERT_FALSE(bytes.empty());
    EXPECT_EQ(bytes.find("13812345678"), std::string::npos) << "a phone number in plaintext";
    EXPECT_EQ(bytes.find("Li Lei"), std::string::npos) << "a name in plaintext";
  }
}

TEST_P(ProfileStoreBackendTest, SignupsOfOneProfileInOneBatchMergeAsTheyWouldOneByOne) {
  // Ingest writes a batch's signups of one profile as one merge; the result must be what taking
  // them one by one in seq order gives: contact and consent follow the latest occurred_at (the
  // later seq on a tie, and a tie with the stored latest wins too).
  const std::string phone = "+8613812345678";
  const auto signup = [&](char device, bool marketing, std::int64_t at_ms) {
    return Signup(hq_key(), {phone, testing::Device(device), marketing, at_ms});
  };
  Ingest(MakeBatch("kiosk-a", "inc-a", 1, {signup('f', false, kT0 + 500)}));
  Ingest(MakeBatch("kiosk-b", "inc-b", 1,
                   {signup('a', true, kT0 + 100), signup('b', false, kT0 + 900),
                    signup('a', true, kT0 + 900), Scan(testing::Device('a'), kT0 + 950)}));
  ProfileSummary profile = ProfileOf(phone);
  EXPECT_EQ(profile.signups, 4);
  EXPECT_EQ(profile.first_signup_at_ms, kT0 + 100);
  EXPECT_EQ(profile.last_signup_at_ms, kT0 + 900);
  EXPECT_TRUE(profile.marketing_consent) << "the later of the two signups at kT0 + 900";
  EXPECT_EQ(profile.linked_devices, 3) << "f at kiosk-a; a (signed up twice) and b at kiosk-b";
  EXPECT_EQ(profile.kiosks, (std::vector<std::string>{"kiosk-a", "kiosk-b"}));

  Ingest(MakeBatch("kiosk-c", "inc-c", 1,
                   {signup('c', false, kT0 + 800), signup('c', false, kT0 + 700)}));
  profile = ProfileOf(phone);
  EXPECT_EQ(profile.signups, 6);
  EXPECT_TRUE(profile.marketing_consent) << "both older than the stored latest signup";
  EXPECT_EQ(profile.last_signup_at_ms, kT0 + 900);

  Ingest(MakeBatch("kiosk-c", "inc-c", 3, {signup('c', false, kT0 + 900)}));
  EXPECT_FALSE(ProfileOf(phone).marketing_consent) << "a tie with the stored latest wins";

  Ingest(MakeBatch("kiosk-c", "inc-c", 4,
                   {signup('d', true, kT0 + 2000), signup('d', false, kT0 + 1500)}));
  profile = ProfileOf(phone);
  EXPECT_TRUE(profile.marketing_consent) << "the newest, although an older one came after it";
  EXPECT_EQ(profile.signups, 9);
  EXPECT_EQ(profile.last_signup_at_ms, kT0 + 2000);
  EXPECT_EQ(Counts().signups, 9);
  EXPECT_EQ(Counts().profiles, 1);
}

TEST_P(ProfileStoreBackendTest, OneBatchCanIssueAVoucherTwiceAndRedeemItTwice) {
  // The ledger keeps the first issue, and the second redemption in the same batch is a conflict
  // with the first, exactly as if the events had come one per batch.
  const std::string voucher = "0000000000000fed";
  Ingest(MakeBatch(
      "kiosk-a", "inc-a", 1,
      {VoucherIssued(voucher, "fleet", kExpires), VoucherIssued(voucher, "fleet", kExpires),
       Redemption("kiosk-a", voucher, "fleet", kExpires),
       Redemption("kiosk-a", voucher, "fleet", kExpires)}));
  auto conflicts = store_->Conflicts();
  ASSERT_TRUE(conflicts) << conflicts.error().message();
  ASSERT_EQ(conflicts->size(), 1u);
  EXPECT_EQ((*conflicts)[0].first, (EventId{"kiosk-a", "inc-a", 3}));
  EXPECT_EQ((*conflicts)[0].second, (EventId{"kiosk-a", "inc-a", 4}));
  EXPECT_EQ(Counts().redemptions, 2);
  EXPECT_EQ(Counts().events, 4);
}

TEST_P(ProfileStoreBackendTest, ASignupLinksItsDevicesEarlierAndLaterScans) {
  const std::string device = testing::Device('d');
  Ingest(
      MakeBatch("kiosk-1", "inc-a", 1,
                {Scan(device, kT0), Scan(testing::Device('e'), kT0 + 1), Scan(device, kT0 + 2)}));
  Ingest(
      MakeBatch("kiosk-1", "inc-a", 4, {Signup(hq_key(), {.device = device, .at_ms = kT0 + 3})}));
  ProfileSummary profile = ProfileOf("+8613812345678");
  EXPECT_EQ(profile.linked_devices, 1);
  EXPECT_EQ(profile.linked_scans, 2) << "the two earlier scans from the signup's device";
  Ingest(MakeBatch("kiosk-1", "inc-a", 5, {Scan(device, kT0 + 4)}));
  EXPECT_EQ(ProfileOf("+8613812345678").linked_scans, 3);
  // The same cookie value at another kiosk is another device (cookies belong to a kiosk's host).
  Ingest(MakeBatch("kiosk-2", "inc-z", 1, {Scan(device, kT0 + 5)}));
  EXPECT_EQ(ProfileOf("+8613812345678").linked_scans, 3);
}

TEST_P(ProfileStoreBackendTest, ASecondRedemptionAnywhereIsAConflictAndBothAreKept) {
  const std::string voucher = "00112233aabbccdd";
  Ingest(MakeBatch("kiosk-a", "inc-a", 1,
                   {VoucherIssued(voucher, "fleet", kExpires),
                    VoucherIssued("ffffffffffffffff", "store", kExpires),
                    Redemption("kiosk-a", "ffffffffffffffff", "store", kExpires),
                    Redemption("kiosk-a", voucher, "fleet", kExpires, kT0 + 10)}));
  clock_.Advance(1h);
  const EventBatch at_b =
      MakeBatch("kiosk-b", "inc-b", 1, {Redemption("kiosk-a", voucher, "fleet", kExpires)});
  Ingest(at_b);
  Ingest(at_b);  // a replay adds nothing
  auto conflicts = store_->Conflicts();
  ASSERT_TRUE(conflicts);
  ASSERT_EQ(conflicts->size(), 1u);
  EXPECT_EQ((*conflicts)[0].voucher_key, "kiosk-a/" + voucher);
  EXPECT_EQ((*conflicts)[0].first, (EventId{"kiosk-a", "inc-a", 4}));
  EXPECT_EQ((*conflicts)[0].second, (EventId{"kiosk-b", "inc-b", 1}));
  EXPECT_EQ((*conflicts)[0].detected_at_ms, kT0 + 3'600'000);
  EXPECT_EQ(Counts().redemptions, 3) << "both redemptions kept, never merged";
  EXPECT_EQ(Status("kiosk-a").conflicts, 1);
  EXPECT_EQ(Status("kiosk-b").conflicts, 1);
  auto statuses = store_->KioskStatuses();
  ASSERT_TRUE(statuses) << statuses.error().message();
  ASSERT_EQ(statuses->size(), 2u);
  EXPECT_EQ((*statuses)[0].kiosk_id, "kiosk-a");
  EXPECT_EQ((*statuses)[0].high_water, 4);
  EXPECT_EQ((*statuses)[1].kiosk_id, "kiosk-b");
  EXPECT_EQ((*statuses)[1].last_batch_at_ms, kT0 + 3'600'000);

  auto redeemed = store_->RedeemedVouchersAfter(0, kExpires - 1, kWholeLedger);
  ASSERT_TRUE(redeemed) << redeemed.error().message();
  const std::string store_voucher = "kiosk-a/ffffffffffffffff";
  EXPECT_EQ(redeemed->vouchers,
            (RedeemedVouchers{2,
                              store_voucher,
                              std::nullopt,
                              {{"kiosk-a/" + voucher, kExpires}, {store_voucher, kExpires}}}))
      << "both scopes, and the conflict took no third position";
  redeemed = store_->RedeemedVouchersAfter(0, kExpires, kWholeLedger);
  ASSERT_TRUE(redeemed);
  EXPECT_EQ(redeemed->vouchers, (RedeemedVouchers{2, store_voucher, std::nullopt, {}}))
      << "expired vouchers are refused anyway; the positions stay";
}

TEST_P(ProfileStoreBackendTest, ARedemptionThatArrivesBeforeItsIssueStillConflictsLater) {
  const std::string voucher = "0000000000000abc";
  Ingest(MakeBatch("kiosk-b", "inc-b", 1, {Redemption("kiosk-a", voucher, "fleet", kExpires)}));
  Ingest(MakeBatch("kiosk-a", "inc-a", 1,
                   {VoucherIssued(voucher, "fleet", kExpires),
                    Redemption("kiosk-a", voucher, "fleet", kExpires)}));
  auto conflicts = store_->Conflicts();
  ASSERT_TRUE(conflicts);
  ASSERT_EQ(conflicts->size(), 1u);
  EXPECT_EQ((*conflicts)[0].first, (EventId{"kiosk-b", "inc-b", 1}));
  EXPECT_EQ((*conflicts)[0].second, (EventId{"kiosk-a", "inc-a", 2}));
}

TEST_P(ProfileStoreBackendTest, ConcurrentDeliveriesStoreEverythingOnce) {
  // The same batches from several threads at once (on PostgreSQL: several connections), and two
  // kiosks redeeming one voucher at the same time: one copy of each event, exactly one conflict.
  const std::string voucher = "0000000000000def";
  std::vector<EventBatch> batches;
  for (int kiosk = 0; kiosk < 2; ++kiosk) {
    const std::string id = "kiosk-" + std::to_string(kiosk);
    batches.push_back(MakeBatch(id, "inc", 1, {Redemption("kiosk-x", voucher, "fleet", kExpires)}));
    batches.push_back(ScanBatch(id, "inc", 2, 200));
  }
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int copy = 0; copy < 3; ++copy) {
    for (const EventBatch& batch : batches) {
      threads.emplace_back([&, batch] {
        if (!store_->Ingest(batch)) ++failures;
      });
    }
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(Counts().events, 2 * 201);
  EXPECT_EQ(Counts().redemptions, 2);
  EXPECT_EQ(Counts().conflicts, 1);
  EXPECT_EQ(Status("kiosk-0").high_water, 201);
  EXPECT_EQ(Status("kiosk-1").high_water, 201);
}

TEST_P(ProfileStoreBackendTest, EnrollmentTokensWorkOnceAndExpire) {
  auto token = store_->CreateEnrollmentToken("kiosk-1", 1h);
  ASSERT_TRUE(token) << token.error().message();
  EXPECT_EQ(token->size(), 32u);
  auto used = store_->ConsumeEnrollmentToken(*token);
  ASSERT_TRUE(used) << used.error().message();
  EXPECT_EQ(*used, "kiosk-1");
  auto again = store_->ConsumeEnrollmentToken(*token);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind(), ErrorKind::kConflict);
  EXPECT_EQ(again.error().message(), "enrollment token already used");

  auto late = store_->CreateEnrollmentToken("kiosk-2", 1h);
  ASSERT_TRUE(late);
  clock_.Advance(1h);
  auto expired = store_->ConsumeEnrollmentToken(*late);
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error().message(), "enrollment token expired");

  auto unknown = store_->ConsumeEnrollmentToken(std::string(32, 'A'));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().kind(), ErrorKind::kNotFound);
  EXPECT_FALSE(store_->ConsumeEnrollmentToken("short"));
  EXPECT_FALSE(store_->CreateEnrollmentToken("bad id", 1h));
  EXPECT_FALSE(store_->CreateEnrollmentToken("kiosk-3", 0s));

  // Of several concurrent attempts with one token, exactly one wins.
  auto contested = store_->CreateEnrollmentToken("kiosk-4", 1h);
  ASSERT_TRUE(contested);
  std::atomic<int> wins{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&] {
      if (store_->ConsumeEnrollmentToken(*contested)) ++wins;
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(wins, 1);
}

TEST_P(ProfileStoreBackendTest, RevokedKiosksAndSupersededCertificatesAreRefused) {
  const std::string device_key(32, '\x42');
  ASSERT_TRUE(store_->RegisterKiosk({"kiosk-1", "01AF", device_key, std::nullopt}));
  auto revoked = store_->IsRevoked("kiosk-1", "01AF");
  ASSERT_TRUE(revoked);
  EXPECT_FALSE(*revoked);
  EXPECT_TRUE(*store_->IsRevoked("kiosk-1", "02B0")) << "not its certificate";
  EXPECT_TRUE(*store_->IsRevoked("kiosk-9", "01AF")) << "not a registered kiosk";

  clock_.Advance(1min);
  ASSERT_TRUE(store_->RegisterKiosk({"kiosk-1", "02B0", device_key, std::nullopt}));
  EXPECT_TRUE(*store_->IsRevoked("kiosk-1", "01AF")) << "superseded by re-enrollment";
  EXPECT_FALSE(*store_->IsRevoked("kiosk-1", "02B0"));

  clock_.Advance(1min);
  ASSERT_TRUE(store_->RevokeKiosk("kiosk-1"));
  EXPECT_TRUE(*store_->IsRevoked("kiosk-1", "02B0"));
  auto again = store_->RegisterKiosk({"kiosk-1", "03C1", device_key, std::nullopt});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind(), ErrorKind::kConflict);
  EXPECT_TRUE(*store_->IsRevoked("kiosk-1", "03C1"));
  auto missing = store_->RevokeKiosk("kiosk-9");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind(), ErrorKind::kNotFound);

  auto kiosks = store_->Kiosks();
  ASSERT_TRUE(kiosks);
  ASSERT_EQ(kiosks->size(), 1u);
  EXPECT_EQ((*kiosks)[0].cert_serial, "02B0");
  EXPECT_EQ((*kiosks)[0].device_public_key, device_key);
  EXPECT_EQ((*kiosks)[0].enrolled_at_ms, kT0 + 60'000);
  EXPECT_TRUE((*kiosks)[0].revoked);
  EXPECT_EQ((*kiosks)[0].revoked_at_ms, kT0 + 120'000);
}

// A renewal keeps the certificate renewed with accepted until it ends: the kiosk may have lost
// the answer and ask again with it, which supersedes the certificate that answer held.
TEST_P(ProfileStoreBackendTest, ARenewedCertificateStaysAcceptedUntilTheKioskRenewsWithTheNewOne) {
  const std::string device_key(32, '\x42');
  const auto accepted = [this](std::string_view serial) {
    auto revoked = store_->IsRevoked("kiosk-1", serial);
    EXPECT_TRUE(revoked) << revoked.error().message();
    return revoked && !*revoked;
  };
  const auto refused_as = [this, &device_key](std::string_view presented, std::string_view key) {
    auto renewed = store_->RenewKioskCertificate(
        {"kiosk-1", std::string(presented), std::string(key), "09FF", kT0 + 1});
    return renewed ? ErrorKind::kInternal : renewed.error().kind();
  };
  EXPECT_EQ(refused_as("01AF", device_key), ErrorKind::kNotFound) << "not registered";
  ASSERT_TRUE(store_->RegisterKiosk({"kiosk-1", "01AF", device_key, kT0 + 1000}));

  ASSERT_TRUE(store_->RenewKioskCertificate({"kiosk-1", "01AF", device_key, "02B0", kT0 + 2000}));
  EXPECT_TRUE(accepted("01AF")) << "the answer may be lost";
  EXPECT_TRUE(accepted("02B0"));
  // The answer was lost: the kiosk renews with 01AF again, and 02B0 is superseded.
  ASSERT_TRUE(store_->RenewKioskCertificate({"kiosk-1", "01AF", device_key, "03C1", kT0 + 3000}));
  EXPECT_TRUE(accepted("01AF"));
  EXPECT_FALSE(accepted("02B0"));
  EXPECT_TRUE(accepted("03C1"));
  EXPECT_EQ(refused_as("02B0", device_key), ErrorKind::kConflict) << "superseded";
  // The kiosk uses 03C1 to renew next: 01AF is done with.
  ASSERT_TRUE(store_->RenewKioskCertificate({"kiosk-1", "03C1", device_key, "04D2", kT0 + 4000}));
  EXPECT_FALSE(accepted("01AF"));
  EXPECT_TRUE(accepted("03C1"));
  EXPECT_TRUE(accepted("04D2"));
  auto kiosks = store_->Kiosks();
  ASSERT_TRUE(kiosks);
  ASSERT_EQ(kiosks->size(), 1u);
  EXPECT_EQ((*kiosks)[0].cert_serial, "04D2");
  EXPECT_EQ((*kiosks)[0].previous_cert_serial, "03C1");
  EXPECT_EQ((*kiosks)[0].cert_not_after_ms, kT0 + 4000);
  EXPECT_EQ((*kiosks)[0].enrolled_at_ms, kT0) << "a renewal is not an enrollment";

  EXPECT_EQ(refused_as("04D2", std::string(32, '\x43')), ErrorKind::kInvalidArgument)
      << "another key takes enrolling again";
  EXPECT_TRUE(accepted("04D2"));
  // Enrolling again ends both certificates.
  ASSERT_TRUE(store_->RegisterKiosk({"kiosk-1", "05E3", device_key, kT0 + 5000}));
  EXPECT_FALSE(accepted("03C1"));
  EXPECT_FALSE(accepted("04D2"));
  EXPECT_EQ(refused_as("04D2", device_key), ErrorKind::kConflict);
  ASSERT_TRUE(store_->RevokeKiosk("kiosk-1"));
  EXPECT_EQ(refused_as("05E3", device_key), ErrorKind::kConflict) << "revoked";
  EXPECT_FALSE(accepted("05E3"));

  ASSERT_TRUE(store_->RegisterKiosk({"kiosk-2", "06F4", "", std::nullopt}));
  auto keyless = store_->RenewKioskCertificate({"kiosk-2", "06F4", device_key, "07A5", kT0});
  ASSERT_FALSE(keyless);
  EXPECT_EQ(keyless.error().kind(), ErrorKind::kConflict);
  EXPECT_NE(keyless.error().message().find("enroll it again"), std::string::npos);
}

TEST_P(ProfileStoreBackendTest, HonourVouchersOfNeedsARegisteredRevokedKiosk) {
  auto unknown = store_->HonourVouchersOf("kiosk-9", kT0);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(unknown.error().message(), "honour vouchers: no kiosk kiosk-9 is registered");

  ASSERT_TRUE(store_->RegisterKiosk({"kiosk-1", "01AF", std::string(32, '\x42'), std::nullopt}));
  auto unrevoked = store_->HonourVouchersOf("kiosk-1", kT0);
  ASSERT_FALSE(unrevoked);
  EXPECT_EQ(unrevoked.error().kind(), ErrorKind::kConflict);
  EXPECT_EQ(unrevoked.error().message(),
            "honour vouchers: kiosk kiosk-1 is not revoked: kiosks accept its vouchers already");
  EXPECT_EQ(HonourCutoffOf("kiosk-1"), std::nullopt) << "a refused call stores nothing";

  ASSERT_TRUE(store_->RegisterKiosk({"kiosk-2", "02B0", "", std::nullopt}));
  ASSERT_TRUE(store_->RevokeKiosk("kiosk-2"));
  auto keyless = store_->HonourVouchersOf("kiosk-2", kT0);
  ASSERT_FALSE(keyless);
  EXPECT_EQ(keyless.error().kind(), ErrorKind::kConflict);
  EXPECT_EQ(keyless.error().message(),
            "honour vouchers: HQ holds no device key of kiosk kiosk-2 (enrolled before HQ kept "
            "them): kiosks could not check its vouchers");
  EXPECT_EQ(HonourCutoffOf("kiosk-2"), std::nullopt);
}

// A dry run's cutoff is the one HonourVouchersOf would store; it stores nothing. The arrivals are
// those of the kiosk's unexpired vouchers' issues, earliest first, whatever the kiosk's state.
TEST_P(ProfileStoreBackendTest,
       HonourCutoffForStoresNothingAndArrivalsAreTheIssuesReceivedInOrder) {
  const std::string key(32, '\x42');
  ASSERT_TRUE(store_->RegisterKiosk({"kiosk-a", "01AF", key, std::nullopt}));
  Ingest(MakeBatch("kiosk-b", "inc-b", 1,
                   {Redemption("kiosk-a", "00000000000000a0", "fleet", kExpires),
                    VoucherIssued("00000000000000b1", "fleet", kExpires)}));
  Ingest(MakeBatch("kiosk-a", "inc-a", 1,
                   {VoucherIssued("00000000000000a1", "fleet", kExpires),
                    VoucherIssued("00000000000000a2", "store", kExpires - 1000)}));
  clock_.Advance(10min);
  Ingest(MakeBatch("kiosk-a", "inc-a", 3, {VoucherIssued("00000000000000a3", "fleet", kExpires)}));
  EXPECT_EQ(store_->VoucherIssueArrivals("kiosk-a", 0).value(),
            (std::vector<std::int64_t>{kT0, kT0, kT0 + 600'000}))
      << "not kiosk-b's issue, nor the redemption whose issue never arrived";
  EXPECT_EQ(store_->VoucherIssueArrivals("kiosk-a", kExpires - 1000).value(),
            (std::vector<std::int64_t>{kT0, kT0 + 600'000}))
      << "an expired voucher is refused anyway";
  EXPECT_EQ(store_->VoucherIssueArrivals("kiosk-9", 0).value(), std::vector<std::int64_t>{});

  EXPECT_EQ(store_->HonourCutoffFor("kiosk-a", kT0).error().kind(), ErrorKind::kConflict);
  clock_.Advance(1min);
  ASSERT_TRUE(store_->RevokeKiosk("kiosk-a"));
  EXPECT_EQ(store_->HonourCutoffFor("kiosk-a", kT0 + 1).value(), kT0 + 1);
  EXPECT_EQ(store_->HonourCutoffFor("kiosk-a", kT0 + 3'600'000).value(), kT0 + 660'000)
      << "never past the revocation";
  EXPECT_EQ(HonourCutoffOf("kiosk-a"), std::nullopt) << "nothing stored";
  EXPECT_EQ(Honoured(0), HonouredMap{});
}

// Kiosks keep accepting the vouchers whose issue HQ received (HQ's clock) before the cutoff, never
// past the revocation, and not yet expired.
TEST_P(ProfileStoreBackendTest, HonouredVouchersAreThoseHqReceivedTheIssueOfBeforeTheCutoff) {
  const std::string key(32, '\x42');
  const std::string early = "00000000000000a1", later = "00000000000000a2";
  const std::string expiring = "00000000000000e1", redeemed_only = "00000000000000a0";
  const std::string after_revocation = "00000000000000a3";
  constexpr std::int64_t kExpiresSoon = kExpires - 1000;
  const auto digest = [](const std::string& id, const std::string& scope, std::int64_t expires) {
    return HonouredVoucherDigest("kiosk-a", id, "store-1", scope, "Tote bag", expires);
  };
  ASSERT_TRUE(store_->RegisterKiosk({"kiosk-a", "01AF", key, std::nullopt}));
  // Received at kT0: kiosk-b's redemptions of `early` (telling another expiry, which its issue
  // corrects) and of `redeemed_only`, whose issue never arrives; then kiosk-a's issues.
  Ingest(MakeBatch("kiosk-b", "inc-b", 1,
                   {Redemption("kiosk-a", early, "fleet", kExpires + 5),
                    Redemption("kiosk-a", redeemed_only, "fleet", kExpires)}));
  Ingest(MakeBatch(
      "kiosk-a", "inc-a", 1,
      {VoucherIssued(early, "fleet", kExpires), VoucherIssued(expiring, "store", kExpiresSoon)}));
  clock_.Advance(10min);
  Ingest(MakeBatch("kiosk-a", "inc-a", 3, {VoucherIssued(later, "fleet", kExpires)}));
  clock_.Advance(10min);
  const std::int64_t revoked_at = kT0 + 20 * 60'000;
  ASSERT_TRUE(store_->RevokeKiosk("kiosk-a"));
  clock_.Advance(1min);
  Ingest(MakeBatch("kiosk-a", "inc-a", 4, {VoucherIssued(after_revocation, "fleet", kExpires)}));
  EXPECT_EQ(Honoured(0), HonouredMap{}) << "revoked, but no cutoff named";
  EXPECT_EQ(HonourCutoffOf("kiosk-a"), std::nullopt);

  const std::int64_t between = kT0 + 5 * 60'000;
  EXPECT_EQ(store_->HonourVouchersOf("kiosk-a", between).value(), between);
  EXPECT_EQ(HonourCutoffOf("kiosk-a"), between);
  EXPECT_EQ(Honoured(kExpiresSoon - 1),
            (HonouredMap{{"kiosk-a",
                          {key,
                           {{early, digest(early, "fleet", kExpires)},
                            {expiring, digest(expiring, "store", kExpiresSoon)}}}}}))
      << "the issues received before the cutoff only, as the issues tell them";
  EXPECT_EQ(Honoured(kExpiresSoon),
            (HonouredMap{{"kiosk-a", {key, {{early, digest(early, "fleet", kExpires)}}}}}))
      << "an expired voucher is refused anyway";

  EXPECT_EQ(store_->HonourVouchersOf("kiosk-a", kT0 + 60 * 60'000).value(), revoked_at)
      << "never past the revocation";
  EXPECT_EQ(HonourCutoffOf("kiosk-a"), revoked_at);
  EXPECT_EQ(Honoured(kExpiresSoon), (HonouredMap{{"kiosk-a",
                                                  {key,
                                                   {{early, digest(early, "fleet", kExpires)},
                                                    {later, digest(later, "fleet", kExpires)}}}}}))
      << "a later cutoff adds the later issue, not the one received after the revocation";

  EXPECT_EQ(store_->HonourVouchersOf("kiosk-a", kT0).value(), kT0);
  EXPECT_EQ(Honoured(0), HonouredMap{}) << "received at kT0, not before: the kiosk is left out";
  EXPECT_EQ(store_->HonourVouchersOf("kiosk-a", kT0 + 1).value(), kT0 + 1);
  EXPECT_EQ(Honoured(kExpiresSoon).at("kiosk-a").vouchers.size(), 1u);
}

TEST_P(ProfileStoreBackendTest, HonouredVouchersComeOnlyFromRevokedKiosksWithAKey) {
  const std::string key(32, '\x42'), voucher = "00000000000000f1";
  ASSERT_TRUE(store_->RegisterKiosk({"kiosk-n", "01AF", key, std::nullopt}));
  ASSERT_TRUE(store_->RegisterKiosk({"kiosk-k", "02B0", "", std::nullopt}));
  ASSERT_TRUE(store_->RegisterKiosk({"kiosk-r", "03C1", key, std::nullopt}));
  for (const std::string kiosk_id : {"kiosk-n", "kiosk-k", "kiosk-r"}) {
    Ingest(MakeBatch(kiosk_id, "inc", 1, {VoucherIssued(voucher, "fleet", kExpires)}));
  }
  clock_.Advance(1min);
  ASSERT_TRUE(store_->RevokeKiosk("kiosk-k"));
  ASSERT_TRUE(store_->RevokeKiosk("kiosk-r"));
  EXPECT_EQ(store_->HonourVouchersOf("kiosk-r", kT0 + 1).value(), kT0 + 1);
  // No call gives a kiosk that is not revoked, or has no key, a cutoff: set them beside the store.
  ASSERT_NO_FATAL_FAILURE(Direct(StrCat("UPDATE kiosks SET honour_received_before_ms = ", kT0 + 1,
                                        " WHERE kiosk_id IN ('kiosk-n', 'kiosk-k')")));
  EXPECT_EQ(HonourCutoffOf("kiosk-n"), kT0 + 1);
  const HonouredMap honoured = Honoured(0);
  EXPECT_EQ(honoured.size(), 1u)
      << "kiosk-n is trusted, and kiosks could not check kiosk-k's vouchers without its key";
  ASSERT_TRUE(honoured.contains("kiosk-r"));
  EXPECT_EQ(honoured.at("kiosk-r").public_key, key);
}

TEST_P(ProfileStoreBackendTest, HonouredVouchersBeyondTheLimitAreThoseExpiringFirst) {
  const std::string key(32, '\x42');
  ASSERT_TRUE(store_->RegisterKiosk({"kiosk-a", "01AF", key, std::nullopt}));
  ASSERT_TRUE(store_->RegisterKiosk({"kiosk-c", "02B0", key, std::nullopt}));
  Ingest(
      MakeBatch("kiosk-a", "inc", 1, {VoucherIssued("00000000000000a1", "fleet", kExpires + 100)}));
  Ingest(MakeBatch("kiosk-c", "inc", 1,
                   {VoucherIssued("00000000000000c3", "fleet", kExpires + 300),
                    VoucherIssued("00000000000000c1", "fleet", kExpires + 200),
                    VoucherIssued("00000000000000c2", "fleet", kExpires + 50)}));
  clock_.Advance(1min);
  for (const std::string kiosk_id : {"kiosk-a", "kiosk-c"}) {
    ASSERT_TRUE(store_->RevokeKiosk(kiosk_id));
    ASSERT_TRUE(store_->HonourVouchersOf(kiosk_id, kT0 + 1));
  }
  // Kiosk id -> its voucher ids.
  const auto ids = [this](std::size_t max_vouchers) {
    std::map<std::string, std::vector<std::string>> listed;
    for (const auto& [kiosk_id, honoured] : Honoured(0, max_vouchers)) {
      for (const auto& [id, digest] : honoured.vouchers) listed[kiosk_id].push_back(id);
    }
    return listed;
  };
  using Ids = std::map<std::string, std::vector<std::string>>;
  EXPECT_EQ(ids(1000),
            (Ids{{"kiosk-a", {"00000000000000a1"}},
                 {"kiosk-c", {"00000000000000c1", "00000000000000c2", "00000000000000c3"}}}));
  EXPECT_EQ(ids(2), (Ids{{"kiosk-c", {"00000000000000c1", "00000000000000c3"}}}))
      << "the two expiring last";
  EXPECT_EQ(ids(3), (Ids{{"kiosk-a", {"00000000000000a1"}},
                         {"kiosk-c", {"00000000000000c1", "00000000000000c3"}}}))
      << "the limit counts the vouchers of every kiosk";
  EXPECT_EQ(ids(0), Ids{});
}

TEST_P(ProfileStoreBackendTest, RefusesAnInvalidBatchAndKeepsDataAcrossReopening) {
  EventBatch holey = ScanBatch("kiosk-1", "inc-a", 1, 3);
  holey.events[1].seq = 5;
  auto refused = store_->Ingest(holey);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind(), ErrorKind::kInvalidArgument);
  EXPECT_EQ(Counts().events, 0);

  Ingest(ScanBatch("kiosk-1", "inc-a", 1, 3));
  Ingest(ScanBatch("kiosk-1", "inc-a", 6, 1));
  store_.reset();
  store_ = Open();  // migrations run again over existing tables: a no-op
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(Counts().events, 4);
  EXPECT_EQ(Status("kiosk-1").gaps, (std::vector<SeqGap>{{4, 5, kT0}}));
  EXPECT_EQ(Ingest(ScanBatch("kiosk-1", "inc-a", 4, 2)).high_water, 6);
}

INSTANTIATE_TEST_SUITE_P(Backends, ProfileStoreBackendTest, testing::BothBackends(),
                         testing::BackendName);

// A read left open on the store's connection stops every checkpoint: the WAL then holds the whole
// database and every read crawls through it (it did: 3.3 GB of WAL and a 4 KB database file
// after 1M events, and an 18 s report). The WalCheckpointer restarts the WAL at 4096 frames
// (16.9 MB); a batch of 500 scans adds about 600 more before that is seen.
TEST(SqliteStoreWalTest, CheckpointsKeepTheWalSmall) {
  testing::TempDir dir;
  FakeClock clock;
  auto identity = testing::TestHqIdentity(std::string(32, 'k'));
  ASSERT_TRUE(identity) << identity.error().message();
  auto store = SqliteStore::Open(dir / "hq.db", *identity, clock);
  ASSERT_TRUE(store) << store.error().message();
  for (std::int64_t batch = 0; batch < 60; ++batch) {
    auto answer = (*store)->Ingest(ScanBatch("kiosk-wal", "inc-1", 1 + batch * 500, 500));
    ASSERT_TRUE(answer) << answer.error().message();
  }
  const auto database_bytes = std::filesystem::file_size(dir / "hq.db");
  const auto wal_bytes = std::filesystem::file_size(dir / "hq.db-wal");
  EXPECT_GT(database_bytes, 8u << 20) << "the events never reached the database file";
  EXPECT_LT(wal_bytes, 22u << 20);
}

}  // namespace
}  // namespace kiosk_edge
