// The voucher ledger's positions (StoreBackend::RedeemedVouchersAfter), on both storage
// backends: what the config bundle's `redeemed` is read from. PostgreSQL runs in a throwaway
// cluster (tests/support/postgres_cluster.hpp) that these tests FAIL without.

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/strings.hpp"
#include "support/test_stores.hpp"
#include "sync/store_test_events.hpp"

namespace kiosk_edge {
namespace {

using testing::kExpires;
using testing::kT0;
using testing::MakeBatch;
using testing::Redemption;
using testing::Scan;
using testing::VoucherIssued;

class RedeemedLedgerTest : public testing::StoreSuite {};

// What a kiosk holding the list through a position asks for: only what was redeemed after it.
// Store vouchers are on the list too: another kiosk of the store must refuse them.
TEST_P(RedeemedLedgerTest, FirstRedemptionsOfEitherScopeTakeLedgerPositionsInOrder) {
  EXPECT_EQ(store_->RedeemedVouchersAfter(0, kExpires - 1, kWholeLedger).value().vouchers,
            (RedeemedVouchers{}));
  const auto key = [](const std::string& voucher) { return "kiosk-a/" + voucher; };
  Ingest(MakeBatch("kiosk-b", "inc-b", 1,
                   {Redemption("kiosk-a", "00000000000000b2", "fleet", kExpires),
                    Redemption("kiosk-a", "00000000000000b1", "fleet", kExpires - 10),
                    Redemption("kiosk-a", "00000000000000b3", "store", kExpires)}));
  auto first = store_->RedeemedVouchersAfter(0, kExpires - 100, kWholeLedger);
  ASSERT_TRUE(first) << first.error().message();
  EXPECT_EQ(first->ledger_end, (RedeemedPosition{3, key("00000000000000b3")}));
  EXPECT_EQ(first->vouchers, (RedeemedVouchers{3,
                                               key("00000000000000b3"),
                                               std::nullopt,
                                               {{key("00000000000000b1"), kExpires - 10},
                                                {key("00000000000000b2"), kExpires},
                                                {key("00000000000000b3"), kExpires}}}))
      << "sorted by key";
  EXPECT_EQ(store_->RedeemedVoucherAt(1).value(), key("00000000000000b1"))
      << "a batch's in key order";
  EXPECT_EQ(store_->RedeemedVoucherAt(4).value(), std::nullopt);

  // A redemption before its issue, another again (a conflict), and a new one.
  Ingest(MakeBatch("kiosk-c", "inc-c", 1,
                   {Redemption("kiosk-a", "00000000000000b1", "fleet", kExpires - 10),
                    Redemption("kiosk-a", "00000000000000c1", "fleet", kExpires)}));
  Ingest(MakeBatch("kiosk-a", "inc-a", 1, {VoucherIssued("00000000000000c1", "fleet", kExpires)}));
  auto since = store_->RedeemedVouchersAfter(first->vouchers.through, kExpires - 100, kWholeLedger);
  ASSERT_TRUE(since);
  EXPECT_EQ(since->vouchers,
            (RedeemedVouchers{
                4, key("00000000000000c1"), std::nullopt, {{key("00000000000000c1"), kExpires}}}));
  EXPECT_EQ(store_->RedeemedVouchersAfter(4, kExpires - 100, kWholeLedger).value().vouchers,
            (RedeemedVouchers{4, key("00000000000000c1"), std::nullopt, {}}));
  EXPECT_EQ(
      store_->RedeemedVouchersAfter(0, kExpires - 5, kWholeLedger).value().vouchers.vouchers.size(),
      3u)
      << "b1 expired";

  store_.reset();
  store_ = Open();  // positions survive; the next continues after them
  ASSERT_NE(store_, nullptr);
  Ingest(MakeBatch("kiosk-b", "inc-b", 4,
                   {Redemption("kiosk-a", "00000000000000d1", "fleet", kExpires)}));
  EXPECT_EQ(store_->RedeemedVouchersAfter(4, kExpires - 100, kWholeLedger).value().vouchers,
            (RedeemedVouchers{
                5, key("00000000000000d1"), std::nullopt, {{key("00000000000000d1"), kExpires}}}));
}

// A redemption that reaches HQ before its voucher's issue makes the voucher's entry from what the
// redeeming kiosk reported. The issue, from the kiosk that signed the voucher, corrects the
// expiry, so a wrong one cannot keep a redeemed fleet voucher off the list; the corrected voucher
// takes a new position, so kiosks that read past its first one get it too.
TEST_P(RedeemedLedgerTest, TheIssueCorrectsTheExpiryAnEarlierRedemptionReported) {
  const std::string key = "kiosk-a/00000000000000e1";
  const std::string other = "kiosk-a/00000000000000e2";
  Ingest(MakeBatch("kiosk-b", "inc-b", 1,
                   {Redemption("kiosk-a", "00000000000000e1", "fleet", kExpires - 1000),
                    Redemption("kiosk-a", "00000000000000e2", "fleet", kExpires)}));
  EXPECT_EQ(store_->RedeemedVouchersAfter(0, kExpires - 100, kWholeLedger).value().vouchers,
            (RedeemedVouchers{2, other, std::nullopt, {{other, kExpires}}}))
      << "e1 expired, by what the redemption said";

  Ingest(MakeBatch("kiosk-a", "inc-a", 1, {VoucherIssued("00000000000000e1", "fleet", kExpires)}));
  EXPECT_EQ(store_->RedeemedVouchersAfter(0, kExpires - 100, kWholeLedger).value().vouchers,
            (RedeemedVouchers{3, key, std::nullopt, {{key, kExpires}, {other, kExpires}}}));
  EXPECT_EQ(store_->RedeemedVouchersAfter(2, kExpires - 100, kWholeLedger).value().vouchers,
            (RedeemedVouchers{3, key, std::nullopt, {{key, kExpires}}}))
      << "a kiosk that held the list through position 2";
  EXPECT_EQ(store_->RedeemedVoucherAt(1).value(), std::nullopt)
      << "a kiosk that held it through position 1 gets the whole list";

  // The first issue wins: another issue of the key (a kiosk restored from an old copy) changes
  // nothing, nor does the issue of a voucher whose redemption reported it as it was.
  Ingest(MakeBatch("kiosk-a", "inc-a2", 1,
                   {VoucherIssued("00000000000000e1", "fleet", kExpires - 1000),
                    VoucherIssued("00000000000000e2", "fleet", kExpires)}));
  EXPECT_EQ(store_->RedeemedVouchersAfter(0, kExpires - 100, kWholeLedger).value(),
            (RedeemedPage{{3, key, std::nullopt, {{key, kExpires}, {other, kExpires}}, false},
                          RedeemedPosition{3, key}}));
  EXPECT_EQ(store_->RedeemedVoucherAt(2).value(), other);
}

// The ledger's last position is no exception: a voucher there whose issue corrects the expiry
// takes the next position, not the same one again (a kiosk holding the list through it would
// never learn the correction).
TEST_P(RedeemedLedgerTest, AnExpiryCorrectedAtTheLedgersEndTakesTheNextPosition) {
  const std::string key = "kiosk-a/00000000000000e1";
  Ingest(MakeBatch("kiosk-b", "inc-b", 1,
                   {Redemption("kiosk-a", "00000000000000e1", "fleet", kExpires - 1000)}));
  ASSERT_EQ(store_->RedeemedVoucherAt(1).value(), key);
  Ingest(MakeBatch("kiosk-a", "inc-a", 1, {VoucherIssued("00000000000000e1", "fleet", kExpires)}));
  EXPECT_EQ(store_->RedeemedVoucherAt(1).value(), std::nullopt);
  EXPECT_EQ(
      store_->RedeemedVouchersAfter(1, kExpires - 100, kWholeLedger).value(),
      (RedeemedPage{{2, key, std::nullopt, {{key, kExpires}}, false}, RedeemedPosition{2, key}}));
}

// The issue corrects the scope an earlier redemption reported: the list holds both scopes, so a
// voucher keeps its position unless the issue corrects its expiry too.
TEST_P(RedeemedLedgerTest, TheIssueCorrectsTheScopeAnEarlierRedemptionReported) {
  const std::string fleet = "kiosk-a/00000000000000f1";
  const std::string store = "kiosk-a/00000000000000f2";
  Ingest(MakeBatch("kiosk-b", "inc-b", 1,
                   {Redemption("kiosk-a", "00000000000000f1", "store", kExpires - 10),
                    Redemption("kiosk-a", "00000000000000f2", "fleet", kExpires)}));
  EXPECT_EQ(
      store_->RedeemedVouchersAfter(0, kExpires - 100, kWholeLedger).value().vouchers,
      (RedeemedVouchers{2, store, std::nullopt, {{fleet, kExpires - 10}, {store, kExpires}}}));

  Ingest(MakeBatch("kiosk-a", "inc-a", 1,
                   {VoucherIssued("00000000000000f1", "fleet", kExpires),
                    VoucherIssued("00000000000000f2", "store", kExpires)}));
  EXPECT_EQ(store_->RedeemedVoucherAt(2).value(), store) << "the scope alone moves nothing";
  EXPECT_EQ(store_->RedeemedVouchersAfter(2, kExpires - 100, kWholeLedger).value().vouchers,
            (RedeemedVouchers{3, fleet, std::nullopt, {{fleet, kExpires}}}))
      << "the corrected expiry takes a new position";
  EXPECT_EQ(store_->RedeemedVouchersAfter(0, kExpires - 100, kWholeLedger).value().vouchers,
            (RedeemedVouchers{3, fleet, std::nullopt, {{fleet, kExpires}, {store, kExpires}}}));
}

// HQ sends a long list in pages of ledger positions; a page's end is a position like any other.
TEST_P(RedeemedLedgerTest, TheLedgerIsReadInPagesOfPositions) {
  const auto key = [](const std::string& voucher) { return "kiosk-a/" + voucher; };
  Ingest(MakeBatch("kiosk-b", "inc-b", 1,
                   {Redemption("kiosk-a", "00000000000000e1", "fleet", kExpires),
                    Redemption("kiosk-a", "00000000000000e2", "fleet", kExpires - 10),
                    Redemption("kiosk-a", "00000000000000e3", "fleet", kExpires),
                    Redemption("kiosk-a", "00000000000000e4", "fleet", kExpires),
                    Redemption("kiosk-a", "00000000000000e5", "fleet", kExpires)}));
  const RedeemedPosition end{5, key("00000000000000e5")};
  EXPECT_EQ(
      store_->RedeemedVouchersAfter(0, kExpires - 1, 2).value(),
      (RedeemedPage{
          {2, key("00000000000000e2"), std::nullopt, {{key("00000000000000e1"), kExpires}}, true},
          end}))
      << "e2 has expired, yet its position ends the page";
  EXPECT_EQ(
      store_->RedeemedVouchersAfter(2, kExpires - 1, 2).value(),
      (RedeemedPage{{4,
                     key("00000000000000e4"),
                     std::nullopt,
                     {{key("00000000000000e3"), kExpires}, {key("00000000000000e4"), kExpires}},
                     true},
                    end}));
  EXPECT_EQ(
      store_->RedeemedVouchersAfter(4, kExpires - 1, 2).value(),
      (RedeemedPage{
          {5, key("00000000000000e5"), std::nullopt, {{key("00000000000000e5"), kExpires}}, false},
          end}))
      << "the last page";
  EXPECT_EQ(store_->RedeemedVouchersAfter(5, kExpires - 1, 2).value(),
            (RedeemedPage{{5, key("00000000000000e5"), std::nullopt, {}, false}, end}))
      << "nothing after the end";
  EXPECT_EQ(store_->RedeemedVouchersAfter(0, kExpires - 1, kWholeLedger).value().vouchers.more,
            false);
}

// Kiosks follow the ledger by asking for what came after the `through` they last read. Positions
// given while other batches commit (on PostgreSQL: several connections) must never land at or
// below a `through` already read, or that kiosk would miss the voucher for good.
TEST_P(RedeemedLedgerTest, AReaderFollowingTheLedgerMissesNoConcurrentRedemption) {
  constexpr int kWriters = 6, kBatchesEach = 20;
  std::atomic<int> writing{kWriters}, failures{0};
  std::vector<std::thread> writers;
  for (int writer = 0; writer < kWriters; ++writer) {
    writers.emplace_back([&, writer] {
      const std::string kiosk = "kiosk-" + std::to_string(writer);
      for (int i = 0; i < kBatchesEach; ++i) {
        const std::string voucher = StrCat("00000000000", writer, i < 10 ? "000" : "00", i);
        const EventBatch batch = MakeBatch(kiosk, "inc", 1 + 2 * i,
                                           {Redemption("kiosk-x", voucher, "fleet", kExpires),
                                            Scan(testing::Device('a'), kT0 + i)});
        if (!store_->Ingest(batch)) ++failures;
      }
      --writing;
    });
  }
  std::set<std::string> seen;
  std::int64_t through = 0;
  int reads = 0;
  bool more = false;
  const auto follow = [&] {
    auto news = store_->RedeemedVouchersAfter(through, kExpires - 1, 7);  // in pages
    ASSERT_TRUE(news) << news.error().message();
    for (const RedeemedVoucher& voucher : news->vouchers.vouchers) seen.insert(voucher.key);
    EXPECT_LE(news->vouchers.through, through + 7);
    EXPECT_EQ(news->vouchers.more, news->vouchers.through < news->ledger_end.through);
    through = news->vouchers.through;
    more = news->vouchers.more;
    ++reads;
  };
  while (writing > 0) ASSERT_NO_FATAL_FAILURE(follow());
  for (std::thread& thread : writers) thread.join();
  do {
    ASSERT_NO_FATAL_FAILURE(follow());
  } while (more);
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kWriters * kBatchesEach)) << reads << " reads";
  EXPECT_EQ(through, kWriters * kBatchesEach) << "one position per voucher";
}

INSTANTIATE_TEST_SUITE_P(Backends, RedeemedLedgerTest, testing::BothBackends(),
                         testing::BackendName);

}  // namespace
}  // namespace kiosk_edge
