// The config bundle's version, on both storage backends: kept in the store, the same for the same
// content across profile-store instances (two BundleMakers on two store objects over one
// database), higher for new content, unchanged by a restart. PostgreSQL runs in a throwaway
// cluster (tests/support/postgres_cluster.hpp) that these tests FAIL without.

#include "sync/profile_store/bundle_maker.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <thread>
#include <vector>

#include "common/crypto.hpp"
#include "common/fake_clock.hpp"
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

using testing::Backend;

BundleChannel Poster(std::string id) {
  return BundleChannel{std::move(id), "Lobby poster", "poster",     "north/lobby/poster-v1",
                       "spring",      "store-1",      std::nullopt, std::nullopt,
                       false};
}

HqChannelKeys OneKey(char id, char fill) {
  return HqChannelKeys{{HqChannelKey{id, std::string(32, fill), 1'700'000'000, std::nullopt}}, id};
}

class BundleMakerTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    auto identity = testing::TestHqIdentity(std::string(32, 'i'));
    ASSERT_TRUE(identity) << identity.error().message();
    identity_ = std::make_unique<HqIdentity>(std::move(*identity));
  }

  // A store on this test's database, as one profile-store instance opens it. On SQLite, without
  // the device scan index, which one process at a time keeps and bundles do not use.
  std::unique_ptr<StoreBackend> OpenInstance() {
    auto store = database_.Open(*identity_, clock_, 2, SqliteStore::DeviceScans::kAbsent);
    EXPECT_TRUE(store) << store.error().message();
    return store ? std::move(*store) : nullptr;
  }

  static BundleMaker Maker(std::vector<BundleChannel> channels, const HqChannelKeys& keys,
                           std::int64_t redeemed_page_positions = kRedeemedPagePositions) {
    return BundleMaker(
        std::move(channels), [keys] { return Result<HqChannelKeys>(keys); },
        redeemed_page_positions);
  }

  ConfigBundle Bundle(BundleMaker& maker, StoreBackend& store) {
    auto bundle = maker.Current(store, *identity_, clock_, "kiosk-1");
    EXPECT_TRUE(bundle) << bundle.error().message();
    return bundle ? *bundle : ConfigBundle{};
  }

  testing::TempDir dir_;
  FakeClock clock_;
  testing::TestDatabase database_{GetParam(), dir_ / "hq.db"};
  std::unique_ptr<HqIdentity> identity_;
};

TEST_P(BundleMakerTest, CarriesHqsChannelsKeysAndSealingKey) {
  auto store = OpenInstance();
  ASSERT_NE(store, nullptr);
  HqChannelKeys keys = OneKey('B', 'b');
  keys.keys.front().retired_at_s = 1'799'000'000;
  keys.keys.push_back(HqChannelKey{'C', std::string(32, 'c'), 1'799'000'000, std::nullopt});
  keys.signing_key_id = 'C';
  BundleMaker maker = Maker({Poster("LOBBY-1")}, keys);
  const ConfigBundle bundle = Bundle(maker, *store);
  ASSERT_EQ(bundle.channels.size(), 1u);
  EXPECT_EQ(bundle.channels[0], Poster("LOBBY-1"));
  ASSERT_EQ(bundle.channel_keys.size(), 2u);
  EXPECT_EQ(bundle.channel_keys[0].id, 'B');
  EXPECT_EQ(bundle.channel_keys[0].retired_at_s, 1'799'000'000);
  EXPECT_EQ(bundle.signing_key_id, 'C');
  EXPECT_EQ(bundle.hq_public_key, identity_->public_key());
  EXPECT_TRUE(ValidateConfigBundle(bundle));
}

TEST_P(BundleMakerTest, SameContentSameVersionOnTwoInstancesAndAfterRestart) {
  auto first = OpenInstance();
  auto second = OpenInstance();
  ASSERT_TRUE(first && second);
  BundleMaker maker_a = Maker({Poster("LOBBY-1")}, OneKey('B', 'b'));
  BundleMaker maker_b = Maker({Poster("LOBBY-1")}, OneKey('B', 'b'));
  const std::int64_t version = Bundle(maker_a, *first).version;
  clock_.Advance(5s);  // a later pull: the version does not follow the clock
  EXPECT_EQ(Bundle(maker_b, *second).version, version);
  EXPECT_EQ(Bundle(maker_a, *first).version, version);

  first.reset();
  second.reset();
  auto restarted = OpenInstance();
  ASSERT_NE(restarted, nullptr);
  BundleMaker after_restart = Maker({Poster("LOBBY-1")}, OneKey('B', 'b'));
  EXPECT_EQ(Bundle(after_restart, *restarted).version, version);
}

TEST_P(BundleMakerTest, NewContentGetsAHigherVersionEveryInstanceAgreesOn) {
  auto first = OpenInstance();
  auto second = OpenInstance();
  ASSERT_TRUE(first && second);
  BundleMaker one_channel = Maker({Poster("LOBBY-1")}, OneKey('B', 'b'));
  BundleMaker two_channels = Maker({Poster("LOBBY-1"), Poster("LOBBY-2")}, OneKey('B', 'b'));
  BundleMaker new_key = Maker({Poster("LOBBY-1")}, OneKey('C', 'c'));
  const std::int64_t v1 = Bundle(one_channel, *first).version;
  const std::int64_t v2 = Bundle(two_channels, *second).version;
  EXPECT_GT(v2, v1);
  EXPECT_EQ(Bundle(two_channels, *first).version, v2);
  const std::int64_t v3 = Bundle(new_key, *first).version;
  EXPECT_GT(v3, v2);
  // A kiosk revoked by HQ changes the content too.
  ASSERT_TRUE(second->RegisterKiosk({"kiosk-1", "17", std::string(32, 'k'), std::nullopt}));
  const std::int64_t v4 = Bundle(new_key, *second).version;
  EXPECT_GT(v4, v3);
  ASSERT_TRUE(first->RevokeKiosk("kiosk-1"));
  const ConfigBundle revoked = Bundle(new_key, *first);
  EXPECT_GT(revoked.version, v4);
  EXPECT_EQ(revoked.revoked_kiosks, std::vector<std::string>{"kiosk-1"});
  // Going back to earlier content is a change as well: versions never repeat.
  EXPECT_GT(Bundle(one_channel, *second).version, revoked.version);
}

TEST_P(BundleMakerTest, InstancesRacingWithTheSameNewContentAgree) {
  auto first = OpenInstance();
  auto second = OpenInstance();
  ASSERT_TRUE(first && second);
  BundleMaker before = Maker({Poster("LOBBY-1")}, OneKey('B', 'b'));
  const std::int64_t old_version = Bundle(before, *first).version;
  for (int round = 0; round < 10; ++round) {
    BundleMaker changed =
        Maker({Poster("LOBBY-1"), Poster(StrCat("ROUND-", round))}, OneKey('B', 'b'));
    std::vector<std::int64_t> seen(8);
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < seen.size(); ++i) {
      threads.emplace_back([&, i] {
        StoreBackend& store = i % 2 == 0 ? *first : *second;
        auto bundle = changed.Current(store, *identity_, clock_, "kiosk-1");
        seen[i] = bundle ? bundle->version : -1;
      });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(std::set<std::int64_t>(seen.begin(), seen.end()).size(), 1u) << "round " << round;
    EXPECT_GT(seen[0], old_version);
  }
}

TEST_P(BundleMakerTest, RefusesADigestThatIsNotOne) {
  auto store = OpenInstance();
  ASSERT_NE(store, nullptr);
  auto version = store->BundleVersionFor("not a digest");
  ASSERT_FALSE(version);
  EXPECT_EQ(version.error().kind(), ErrorKind::kInvalidArgument);
}

// What a kiosk holding the redeemed list through a position gets: what came after it.
TEST_P(BundleMakerTest, RedeemedVouchersGoAsChangesSinceTheListTheKioskHolds) {
  auto opened = database_.Open(*identity_, clock_);  // serve's store: it ingests
  ASSERT_TRUE(opened) << opened.error().message();
  std::unique_ptr<StoreBackend> store = std::move(*opened);
  BundleMaker maker = Maker({}, OneKey('B', 'b'));
  const auto redeem = [&store](std::int64_t seq, const std::string& voucher,
                               std::int64_t expires_s) {
    auto answer = store->Ingest(testing::MakeBatch(
        "kiosk-2", "inc-2", seq, {testing::Redemption("kiosk-2", voucher, "fleet", expires_s)}));
    ASSERT_TRUE(answer) << answer.error().message();
  };
  const auto current = [&](std::optional<RedeemedPosition> held) {
    auto bundle = maker.Current(*store, *identity_, clock_, "kiosk-1", held);
    EXPECT_TRUE(bundle) << bundle.error().message();
    return bundle ? *bundle : ConfigBundle{};
  };
  const auto at = [](std::int64_t through, const char* voucher) {
    return RedeemedPosition{through, StrCat("kiosk-2/", voucher)};
  };
  const std::int64_t now_s = UnixMs(clock_.WallNow()) / 1000;
  ASSERT_NO_FATAL_FAILURE(redeem(1, "00000000000000a1", now_s + 3600));
  ASSERT_NO_FATAL_FAILURE(redeem(2, "00000000000000a2", now_s + 60));
  const ConfigBundle whole = current(std::nullopt);
  EXPECT_EQ(whole.redeemed, (RedeemedVouchers{2,
                                              "kiosk-2/00000000000000a2",
                                              std::nullopt,
                                              {{"kiosk-2/00000000000000a1", now_s + 3600},
                                               {"kiosk-2/00000000000000a2", now_s + 60}}}));
  const ConfigBundle held = current(at(2, "00000000000000a2"));
  EXPECT_EQ(held.redeemed, (RedeemedVouchers{2, "kiosk-2/00000000000000a2", 2, {}}))
      << "nothing new since 2";
  EXPECT_EQ(held.version, whole.version) << "the version is the fleet's, whatever is held";

  ASSERT_NO_FATAL_FAILURE(redeem(3, "00000000000000a3", now_s + 3600));
  const ConfigBundle after = current(at(2, "00000000000000a2"));
  EXPECT_EQ(after.redeemed,
            (RedeemedVouchers{
                3, "kiosk-2/00000000000000a3", 2, {{"kiosk-2/00000000000000a3", now_s + 3600}}}));
  EXPECT_GT(after.version, whole.version) << "a redemption is news";
  EXPECT_EQ(current(at(1, "00000000000000a1")).redeemed.vouchers.size(), 2u)
      << "since 1: a2 and a3";
  EXPECT_EQ(current(RedeemedPosition{}).redeemed.since, std::nullopt)
      << "0 holds nothing: the whole list";

  // A database restored from a backup older than the kiosk's list: the kiosk's position is past
  // HQ's, or HQ gave it again to another voucher. Either way, the whole list.
  for (const RedeemedPosition& stale : {at(7, "00000000000000a7"), at(2, "00000000000000a9")}) {
    const ConfigBundle behind = current(stale);
    EXPECT_EQ(behind.redeemed.since, std::nullopt) << stale.through;
    EXPECT_EQ(behind.redeemed.vouchers.size(), 3u) << stale.through;
  }

  // a2 expires by HQ's clock, but a kiosk whose clock is behind still needs it, for a while.
  clock_.Advance(std::chrono::seconds(59 + kExpiredVoucherGraceS));
  const ConfigBundle expiring = current(std::nullopt);
  EXPECT_EQ(expiring.redeemed.vouchers.size(), 3u) << "within the grace period";
  clock_.Advance(1s);
  const ConfigBundle expired = current(std::nullopt);
  EXPECT_EQ(expired.redeemed.vouchers.size(), 2u) << "a2 expired a grace period ago";
  EXPECT_EQ(expired.version, after.version) << "kiosks drop expired vouchers themselves";
}

// A long list goes in pages, each with the fleet's version; only the last page leaves the kiosk
// holding the bundle (304 from then on).
TEST_P(BundleMakerTest, ALongRedeemedListGoesInPagesOfOneVersion) {
  auto opened = database_.Open(*identity_, clock_);
  ASSERT_TRUE(opened) << opened.error().message();
  std::unique_ptr<StoreBackend> store = std::move(*opened);
  BundleMaker maker = Maker({}, OneKey('B', 'b'), 2);
  const std::int64_t expires_s = UnixMs(clock_.WallNow()) / 1000 + 3600;
  for (int i = 1; i <= 5; ++i) {
    ASSERT_TRUE(store->Ingest(testing::MakeBatch(
        "kiosk-2", "inc-2", i,
        {testing::Redemption("kiosk-2", StrCat("00000000000000a", i), "fleet", expires_s)})));
  }
  const auto current = [&](std::optional<RedeemedPosition> held) {
    auto bundle = maker.Current(*store, *identity_, clock_, "kiosk-1", held);
    EXPECT_TRUE(bundle) << bundle.error().message();
    return bundle ? *bundle : ConfigBundle{};
  };
  std::vector<std::int64_t> ends;
  std::set<std::int64_t> versions;
  RedeemedPosition held;
  std::size_t vouchers = 0;
  for (bool more = true; more && ends.size() < 10;) {
    const ConfigBundle page = current(held);
    EXPECT_EQ(page.redeemed.since, held.through > 0 ? std::optional(held.through) : std::nullopt);
    EXPECT_FALSE(KioskHoldsBundle(page, ConfigBundleEtag(page.version), held))
        << "the same version, but the kiosk's list is not the whole yet";
    ends.push_back(page.redeemed.through);
    versions.insert(page.version);
    vouchers += page.redeemed.vouchers.size();
    more = page.redeemed.more;
    held = page.redeemed.end();
  }
  EXPECT_EQ(ends, (std::vector<std::int64_t>{2, 4, 5}));
  EXPECT_EQ(versions.size(), 1u);
  EXPECT_EQ(vouchers, 5u);
  const ConfigBundle caught_up = current(held);
  EXPECT_TRUE(caught_up.redeemed.vouchers.empty());
  EXPECT_TRUE(KioskHoldsBundle(caught_up, ConfigBundleEtag(caught_up.version), held));
  EXPECT_FALSE(KioskHoldsBundle(caught_up, ConfigBundleEtag(caught_up.version - 1), held));

  const ConfigBundle whole = current(std::nullopt);  // a kiosk without redeemed-delta: no pages
  EXPECT_EQ(whole.redeemed.vouchers.size(), 5u);
  EXPECT_FALSE(whole.redeemed.more);
  EXPECT_EQ(whole.version, caught_up.version);
  EXPECT_TRUE(KioskHoldsBundle(whole, ConfigBundleEtag(whole.version), std::nullopt));
}

// The erased events are one kiosk's; the fleet's count of them stands for them all.
// A revoked kiosk's honoured vouchers come with their digest, the digest alone to a kiosk that
// holds the list; a new cutoff or a voucher's expiry gives a new list under a new version.
TEST_P(BundleMakerTest, HonouredVouchersComeWithTheirDigestAndAloneToAKioskHoldingThem) {
  auto opened = database_.Open(*identity_, clock_);  // serve's store: it ingests
  ASSERT_TRUE(opened) << opened.error().message();
  std::unique_ptr<StoreBackend> store = std::move(*opened);
  BundleMaker maker = Maker({}, OneKey('B', 'b'));
  const std::string key(32, 's');
  const std::int64_t now_s = testing::kT0 / 1000;
  ASSERT_TRUE(store->RegisterKiosk({"kiosk-s", "5701", key, std::nullopt}));
  ASSERT_TRUE(store->Ingest(testing::MakeBatch(
      "kiosk-s", "inc", 1, {testing::VoucherIssued("00000000000000a1", "store", now_s + 86'400)})));
  clock_.Advance(1min);
  ASSERT_TRUE(store->Ingest(testing::MakeBatch(
      "kiosk-s", "inc", 2,
      {testing::VoucherIssued("00000000000000a2", "store", now_s + 30 * 86'400)})));
  clock_.Advance(1min);
  ASSERT_TRUE(store->RevokeKiosk("kiosk-s"));
  const ConfigBundle revoked = Bundle(maker, *store);
  EXPECT_TRUE(revoked.honoured_vouchers.empty());
  EXPECT_EQ(revoked.honoured_digest, "");

  ASSERT_TRUE(store->HonourVouchersOf("kiosk-s", testing::kT0 + 1));
  const ConfigBundle first = Bundle(maker, *store);
  ASSERT_EQ(first.honoured_vouchers.size(), 1u);
  EXPECT_EQ(first.honoured_vouchers.at("kiosk-s").public_key, key);
  EXPECT_EQ(first.honoured_vouchers.at("kiosk-s").vouchers.size(), 1u);
  EXPECT_EQ(first.honoured_digest, HonouredListDigest(first.honoured_vouchers));
  EXPECT_GT(first.version, revoked.version);
  auto held =
      maker.Current(*store, *identity_, clock_, "kiosk-1", std::nullopt, first.honoured_digest);
  ASSERT_TRUE(held) << held.error().message();
  EXPECT_TRUE(held->honoured_vouchers.empty()) << "the digest alone";
  EXPECT_EQ(held->honoured_digest, first.honoured_digest);
  EXPECT_EQ(held->version, first.version);

  // Another cutoff, set by another process: the next bundle has the new list.
  auto other_process = OpenInstance();
  ASSERT_NE(other_process, nullptr);
  ASSERT_TRUE(other_process->HonourVouchersOf("kiosk-s", testing::kT0 + 90'000));
  const ConfigBundle both = Bundle(maker, *store);
  ASSERT_EQ(both.honoured_vouchers.size(), 1u);
  EXPECT_EQ(both.honoured_vouchers.at("kiosk-s").vouchers.size(), 2u);
  EXPECT_NE(both.honoured_digest, first.honoured_digest);
  EXPECT_GT(both.version, first.version);

  // The first voucher leaves the list with the day after its expiry's grace.
  clock_.Advance(std::chrono::seconds(86'400 + kExpiredVoucherGraceS + 86'400));
  const ConfigBundle later = Bundle(maker, *store);
  ASSERT_EQ(later.honoured_vouchers.size(), 1u);
  EXPECT_EQ(later.honoured_vouchers.at("kiosk-s").vouchers.size(), 1u);
  EXPECT_TRUE(later.honoured_vouchers.at("kiosk-s").vouchers.contains("00000000000000a2"));
  EXPECT_GT(later.version, both.version);
}

TEST(BundleContentDigestTest, IgnoresTheVersionAndOneKiosksErasedEventsAndSeesEveryOtherChange) {
  ConfigBundle bundle;
  bundle.hq_public_key = std::string(32, 'h');
  bundle.channels = {Poster("LOBBY-1")};
  const RedeemedPosition none;
  const auto digest = BundleContentDigest(bundle, 0, none);
  ASSERT_TRUE(digest);
  EXPECT_EQ(digest->size(), 64u);
  ConfigBundle later = bundle;
  later.version = 99;
  EXPECT_EQ(BundleContentDigest(later, 0, none).value(), *digest);
  ConfigBundle own_erasures = bundle;
  own_erasures.erased_events = {"kiosk-1/inc-a/3"};
  EXPECT_EQ(BundleContentDigest(own_erasures, 0, none).value(), *digest);
  EXPECT_NE(BundleContentDigest(bundle, 1, none).value(), *digest);
  // The list, `since` and the page vary with the kiosk and the clock; the ledger's end is news.
  ConfigBundle redeemed = bundle;
  redeemed.redeemed = {0, "", std::nullopt, {{"kiosk-2/00000000000000a1", 1'900'000'000}}};
  EXPECT_EQ(BundleContentDigest(redeemed, 0, none).value(), *digest);
  const RedeemedPosition end_4{4, "kiosk-2/00000000000000a4"};
  const auto through_4 = BundleContentDigest(bundle, 0, end_4);
  EXPECT_NE(through_4.value(), *digest);
  redeemed.redeemed = {2, "kiosk-2/00000000000000a2", 1, {}, true};  // a page of the list
  EXPECT_EQ(BundleContentDigest(redeemed, 0, end_4).value(), through_4.value());
  EXPECT_NE(BundleContentDigest(bundle, 0, {4, "kiosk-2/00000000000000b4"}).value(),
            through_4.value())
      << "another voucher at the end: a restored ledger";
  ConfigBundle renamed = bundle;
  renamed.channels[0].name = "Lobby poster v2";
  EXPECT_NE(BundleContentDigest(renamed, 0, none).value(), *digest);
  // The honoured vouchers count by their digest: with the list or the digest alone, the same.
  ConfigBundle honoured = bundle;
  honoured.revoked_kiosks = {"kiosk-9"};
  honoured.honoured_vouchers = {
      {"kiosk-9", {std::string(32, '9'), {{"00000000000000a1", std::string(32, 'd')}}}}};
  honoured.honoured_digest = HonouredListDigest(honoured.honoured_vouchers);
  ConfigBundle digest_alone = honoured;
  digest_alone.honoured_vouchers.clear();
  EXPECT_EQ(BundleContentDigest(honoured, 0, none).value(),
            BundleContentDigest(digest_alone, 0, none).value());
  ConfigBundle other_list = digest_alone;
  other_list.honoured_digest = std::string(64, 'e');
  EXPECT_NE(BundleContentDigest(other_list, 0, none).value(),
            BundleContentDigest(digest_alone, 0, none).value());
}

INSTANTIATE_TEST_SUITE_P(Backends, BundleMakerTest, testing::BothBackends(), testing::BackendName);

}  // namespace
}  // namespace kiosk_edge
