// The kiosk's list of fleet vouchers redeemed elsewhere, in its own file.
#include "agent/redeemed_list_store.hpp"

#include <gtest/gtest.h>

#include "support/temp_dir.hpp"

namespace kiosk_edge {
namespace {

const std::string kA = "kiosk-2/00000000000000a1", kB = "kiosk-2/00000000000000b1",
                  kC = "kiosk-3/00000000000000c1";

TEST(RedeemedListStoreTest, AWholeListReplacesNewsAddAndExpiredVouchersLeave) {
  testing::TempDir dir;
  auto store = RedeemedListStore::Open(dir.path() / "hq-redeemed.db");
  ASSERT_TRUE(store) << store.error().message();
  EXPECT_EQ((*store)->Load(0).value(), RedeemedVouchers{}) << "nothing before the first save";

  ASSERT_TRUE((*store)->Save({2, kB, std::nullopt, {{kA, 1000}, {kB, 2000}}}, 500));
  ASSERT_TRUE((*store)->Save({3, kC, 2, {{kC, 3000}}}, 500));
  EXPECT_EQ((*store)->Load(500).value(),
            (RedeemedVouchers{3, kC, std::nullopt, {{kA, 1000}, {kB, 2000}, {kC, 3000}}}));
  EXPECT_EQ((*store)->Load(1000).value().vouchers.size(), 2u) << "a1 has expired by then";

  ASSERT_TRUE((*store)->Save({4, kA, 3, {{kA, 4000}}}, 1500)) << "news for a voucher held";
  EXPECT_EQ((*store)->Load(0).value(),
            (RedeemedVouchers{4, kA, std::nullopt, {{kA, 4000}, {kB, 2000}, {kC, 3000}}}));

  store->reset();
  store = RedeemedListStore::Open(dir.path() / "hq-redeemed.db");
  ASSERT_TRUE(store);
  ASSERT_TRUE((*store)->Save({1, kC, std::nullopt, {{kC, 3000}}}, 2500)) << "a restored HQ";
  EXPECT_EQ((*store)->Load(0).value(), (RedeemedVouchers{1, kC, std::nullopt, {{kC, 3000}}}));
}

}  // namespace
}  // namespace kiosk_edge
