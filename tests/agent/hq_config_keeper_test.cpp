// HqConfigKeeper: HQ's channels, channel keys, sealing key and trust list applied to a kiosk
// whole or not at all, recorded in the journal, kept as the last good copy and applied again at
// start; and the channel codec swapped under readers.

#include "agent/hq_config_keeper.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <boost/json/parse.hpp>
#include <cstdio>
#include <thread>

#include "common/fake_clock.hpp"
#include "common/files.hpp"
#include "common/strings.hpp"
#include "support/temp_dir.hpp"

namespace kiosk_edge {
namespace {

using std::chrono::seconds;

const std::chrono::system_clock::time_point kKeeperNow{seconds(1'800'000'000)};
const TokenKey kOwnKey{'A', std::string(32, 'a'), std::nullopt};

ChannelTokenCodec Codec(std::vector<TokenKey> keys, char signing) {
  auto codec = ChannelTokenCodec::Create(std::move(keys), signing, kChannelKeyOverlap);
  EXPECT_TRUE(codec) << codec.error().message();
  return std::move(*codec);
}

BundleChannel HqChannel(std::string id, std::string name = "Lobby poster") {
  return BundleChannel{std::move(id), std::move(name), "elevator",   "north/bldg-2/elevator-3",
                       "spring",      "store-1",       std::nullopt, std::nullopt,
                       false};
}

// HQ's bundle: two channels, key B retired, key C signing.
ConfigBundle HqBundle() {
  ConfigBundle bundle;
  bundle.version = 7;
  bundle.channels = {HqChannel("HQ-LOBBY"), HqChannel("HQ-ELEV-3")};
  bundle.channel_keys = {{'B', std::string(32, 'b'), 1'799'000'000},
                         {'C', std::string(32, 'c'), std::nullopt}};
  bundle.signing_key_id = 'C';
  bundle.hq_public_key = std::string(32, 'h');
  bundle.trusted_kiosks = {{"kiosk-2", std::string(32, '2')}};
  bundle.revoked_kiosks = {"kiosk-9"};
  bundle.honoured_vouchers = {
      {"kiosk-9", {std::string(32, '9'), {{"00000000000000a1", std::string(32, 'd')}}}}};
  bundle.honoured_digest = HonouredListDigest(bundle.honoured_vouchers);
  bundle.redeemed = {
      3, "kiosk-2/0123456789abcdef", std::nullopt, {{"kiosk-2/0123456789abcdef", 1'900'000'000}}};
  return bundle;
}

class HqConfigKeeperTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(); }

  // The kiosk as it starts: journal, channels rebuilt from it, its own keys, then the keeper.
  void Start(std::uint64_t journal_budget_bytes = 64 << 20) {
    keeper_.reset();
    journal_.reset();
    JournalOptions options;
    options.path = dir_ / "journal.db";
    options.kiosk_id = "kiosk-1";
    options.clock = &clock_;
    options.boot_id = "boot-a";
    options.max_disk_bytes = journal_budget_bytes;
    auto journal = Journal::Open(options);
    ASSERT_TRUE(journal) << journal.error().message();
    journal_ = std::move(*journal);
    channels_ = std::make_unique<ChannelRegistry>();
    ASSERT_TRUE(channels_->Load(*journal_));
    codecs_ = std::make_unique<ChannelCodecHolder>(Codec({kOwnKey}, 'A'));
    hq_key_ = std::make_unique<SharedSnapshot<std::string>>(std::string(32, 'd'));
    TrustList own;
    own.kiosk_keys.emplace("kiosk-1", std::string(32, '1'));
    trust_ = std::make_unique<TrustStore>(own);
    keeper_ = std::make_unique<HqConfigKeeper>(
        dir_.path(),
        HqConfigTargets{journal_.get(), channels_.get(), codecs_.get(), hq_key_.get(),
                        trust_.get()},
        KioskOwnKeys{"kiosk-1", std::string(32, '1'), kOwnKey}, clock_);
  }

  // Defines a channel the way the kiosk's own config or kioskctl does.
  void DefineLocally(const std::string& id) {
    Channel channel{id,        "Local",   Medium::kPoster, "store-1/counter",
                    "welcome", "store-1", std::nullopt,    std::nullopt,
                    false,     false};
    EventDraft draft = ChannelDefinedEvent(channel);
    const std::string payload = draft.payload_json;
    ASSERT_TRUE(journal_->Append(std::move(draft)));
    ASSERT_TRUE(channels_->Apply("channel_defined", payload));
  }

  std::int64_t LastSeq() { return journal_->Marks().last_seq; }

  // The redeemed vouchers as saved in hq-redeemed.db.
  RedeemedVouchers SavedList() {
    auto store = RedeemedListStore::Open(dir_ / "hq-redeemed.db");
    EXPECT_TRUE(store) << store.error().message();
    if (!store) return {};
    auto list = (*store)->Load(0);
    EXPECT_TRUE(list) << list.error().message();
    return list ? *list : RedeemedVouchers{};
  }

  std::vector<JournalEvent> Events() {
    auto events = journal_->ReadAfter(0, 1000);
    EXPECT_TRUE(events);
    return events ? *events : std::vector<JournalEvent>{};
  }

  testing::TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<Journal> journal_;
  std::unique_ptr<ChannelRegistry> channels_;
  std::unique_ptr<ChannelCodecHolder> codecs_;
  std::unique_ptr<SharedSnapshot<std::string>> hq_key_;
  std::unique_ptr<TrustStore> trust_;
  std::unique_ptr<HqConfigKeeper> keeper_;
};

TEST_F(HqConfigKeeperTest, AppliesChannelsKeysSealingKeyAndTrustList) {
  const std::string local_code = codecs_->Current()->Issue("HQ-LOBBY").value();  // before sync
  ASSERT_TRUE(keeper_->Apply(HqBundle()));

  const auto lobby = channels_->Find("HQ-LOBBY");
  ASSERT_TRUE(lobby);
  EXPECT_TRUE(lobby->defined_by_hq);
  EXPECT_EQ(lobby->medium, Medium::kElevator);
  EXPECT_TRUE(channels_->Find("HQ-ELEV-3"));
  const auto events = Events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, "channel_defined");
  EXPECT_NE(events[0].payload_json.find(R"("origin":"hq")"), std::string::npos);

  const auto codec = codecs_->Current();
  const std::string hq_code = codec->Issue("HQ-LOBBY").value();
  EXPECT_EQ(hq_code.substr(0, 10), "HQ-LOBBY.C") << "new codes are signed with HQ's key";
  EXPECT_EQ(hq_code,
            Codec({{'C', std::string(32, 'c'), std::nullopt}}, 'C').Issue("HQ-LOBBY").value());
  const std::string old_hq_code =
      Codec({{'B', std::string(32, 'b'), std::nullopt}}, 'B').Issue("HQ-LOBBY").value();
  EXPECT_EQ(codec->Verify(old_hq_code, kKeeperNow).value(), "HQ-LOBBY")
      << "retired key, in overlap";
  EXPECT_EQ(codec->Verify(local_code, kKeeperNow).value(), "HQ-LOBBY")
      << "the kiosk's own key stays";

  EXPECT_EQ(*hq_key_->Current(), std::string(32, 'h'));
  const auto trust = trust_->Current();
  EXPECT_TRUE(trust->kiosk_keys.contains("kiosk-2"));
  EXPECT_TRUE(trust->kiosk_keys.contains("kiosk-1")) << "its own key always";
  EXPECT_TRUE(trust->revoked_kiosks.contains("kiosk-9"));
  ASSERT_TRUE(trust->honoured.contains("kiosk-9"));
  EXPECT_EQ(trust->honoured.at("kiosk-9").public_key, std::string(32, '9'));
  EXPECT_EQ(trust->honoured.at("kiosk-9").vouchers,
            (std::map<std::string, std::string>{{"00000000000000a1", std::string(32, 'd')}}));
  EXPECT_TRUE(trust->redeemed_elsewhere.contains("kiosk-2/0123456789abcdef"));
  EXPECT_EQ(keeper_->version(), 7);

  struct stat info {};
  ASSERT_EQ(::stat((dir_ / "hq-config.json").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
}

// A bundle with the honoured vouchers' digest alone keeps the list in force; one naming a list the
// kiosk does not hold changes nothing.
TEST_F(HqConfigKeeperTest, TheHonouredDigestAloneKeepsTheListHeld) {
  ConfigBundle bundle = HqBundle();
  ASSERT_TRUE(keeper_->Apply(bundle));
  EXPECT_EQ(keeper_->honoured_digest(), bundle.honoured_digest);
  const auto honoured = trust_->Current()->honoured;

  ConfigBundle digest_alone = bundle;
  digest_alone.version = 8;
  digest_alone.honoured_vouchers.clear();
  ASSERT_TRUE(keeper_->Apply(digest_alone));
  EXPECT_EQ(keeper_->version(), 8);
  EXPECT_EQ(trust_->Current()->honoured, honoured);
  EXPECT_EQ(keeper_->honoured_digest(), bundle.honoured_digest);

  ConfigBundle other = digest_alone;
  other.version = 9;
  other.honoured_digest = std::string(64, 'e');
  auto refused = keeper_->Apply(other);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find("honoured_digest"), std::string::npos);
  EXPECT_EQ(keeper_->version(), 8);

  // The saved copy holds the list itself: a restart has it in force.
  Start();
  ASSERT_TRUE(keeper_->LoadSaved());
  EXPECT_EQ(keeper_->version(), 8);
  EXPECT_EQ(keeper_->honoured_digest(), bundle.honoured_digest);
  EXPECT_EQ(trust_->Current()->honoured, honoured);
}

TEST_F(HqConfigKeeperTest, TheSameBundleAgainRecordsNothing) {
  ASSERT_TRUE(keeper_->Apply(HqBundle()));
  const std::int64_t seq = LastSeq();
  ConfigBundle again = HqBundle();
  again.version = 8;
  ASSERT_TRUE(keeper_->Apply(again));
  EXPECT_EQ(LastSeq(), seq);
}

TEST_F(HqConfigKeeperTest, ChangesRetirementsAndHqWinningOverALocalId) {
  DefineLocally("HQ-LOBBY");
  DefineLocally("COUNTER-CARD");
  ASSERT_TRUE(keeper_->Apply(HqBundle()));
  EXPECT_TRUE(channels_->Find("HQ-LOBBY")->defined_by_hq) << "HQ defines the same id: HQ's";
  EXPECT_FALSE(channels_->Find("COUNTER-CARD")->defined_by_hq) << "local channels stay";

  ConfigBundle next = HqBundle();
  next.version = 8;
  next.channels = {HqChannel("HQ-LOBBY", "Lobby poster v2"), HqChannel("HQ-NEW")};
  next.channels.push_back(HqChannel("HQ-GONE-LONG-AGO"));
  next.channels.back().retired = true;
  ASSERT_TRUE(keeper_->Apply(next));
  EXPECT_EQ(channels_->Find("HQ-LOBBY")->name, "Lobby poster v2");
  EXPECT_TRUE(channels_->Find("HQ-ELEV-3")->retired) << "no longer listed by HQ";
  EXPECT_TRUE(channels_->Find("HQ-NEW"));
  EXPECT_FALSE(channels_->Find("HQ-GONE-LONG-AGO")) << "retired and never known: not recorded";
  EXPECT_FALSE(channels_->Find("COUNTER-CARD")->retired) << "HQ retires only its own channels";

  ConfigBundle retire = next;
  retire.version = 9;
  retire.channels[0].retired = true;
  ASSERT_TRUE(keeper_->Apply(retire));
  EXPECT_TRUE(channels_->Find("HQ-LOBBY")->retired);
  ConfigBundle back = next;
  back.version = 10;
  ASSERT_TRUE(keeper_->Apply(back));
  EXPECT_FALSE(channels_->Find("HQ-LOBBY")->retired) << "HQ brought it back";
}

TEST_F(HqConfigKeeperTest, ABundleThatCannotBeAppliedChangesNothing) {
  ASSERT_TRUE(keeper_->Apply(HqBundle()));
  const auto saved = ReadSmallFile(dir_ / "hq-config.json", 1 << 20).value();
  const std::int64_t seq = LastSeq();
  const auto codec = codecs_->Current();
  const auto trust = trust_->Current();
  const auto hq_key = hq_key_->Current();

  std::vector<ConfigBundle> bad;
  bad.push_back(HqBundle());
  bad.back().signing_key_id = 'Z';  // names no key
  bad.push_back(HqBundle());
  bad.back().channels.push_back(HqChannel("HQ-BAD", "tab\tin name"));
  bad.push_back(HqBundle());
  bad.back().channel_keys[1].secret = "short";
  bad.push_back(HqBundle());
  bad.back().hq_public_key = "not 32 bytes";
  for (ConfigBundle& bundle : bad) {
    bundle.version = 8;
    bundle.channels.push_back(HqChannel("HQ-WOULD-BE-NEW"));
    auto applied = keeper_->Apply(bundle);
    ASSERT_FALSE(applied);
    EXPECT_EQ(applied.error().kind(), ErrorKind::kInvalidArgument) << applied.error().message();
    EXPECT_EQ(applied.error().message().find(std::string(32, 'c')), std::string::npos);
  }
  EXPECT_EQ(LastSeq(), seq) << "no channel event";
  EXPECT_FALSE(channels_->Find("HQ-WOULD-BE-NEW"));
  EXPECT_EQ(codecs_->Current(), codec);
  EXPECT_EQ(trust_->Current(), trust);
  EXPECT_EQ(hq_key_->Current(), hq_key);
  EXPECT_EQ(keeper_->version(), 7);
  EXPECT_EQ(ReadSmallFile(dir_ / "hq-config.json", 1 << 20).value(), saved) << "last good copy";
}

TEST_F(HqConfigKeeperTest, AJournalThatRefusesTheChannelsLeavesTheRestAsItWas) {
  ASSERT_TRUE(keeper_->Apply(HqBundle()));
  const auto saved = ReadSmallFile(dir_ / "hq-config.json", 1 << 20).value();
  Start(/*journal_budget_bytes=*/1);  // already over budget, nothing synced to shed: appends fail
  ASSERT_TRUE(keeper_->LoadSaved());  // records nothing: the journal has every channel
  const auto codec = codecs_->Current();
  ConfigBundle next = HqBundle();
  next.version = 8;
  next.channels.push_back(HqChannel("HQ-NEW"));
  next.channel_keys[1].retired_at_s = 1'799'500'000;
  next.channel_keys.push_back({'D', std::string(32, 'd'), std::nullopt});
  next.signing_key_id = 'D';
  next.redeemed = {5, "kiosk-4/00000000000000bb", 3, {{"kiosk-4/00000000000000bb", 1'900'000'000}}};
  const auto trust = trust_->Current();
  auto applied = keeper_->Apply(next);
  ASSERT_FALSE(applied);
  EXPECT_EQ(applied.error().kind(), ErrorKind::kJournalFull) << applied.error().message();
  EXPECT_FALSE(channels_->Find("HQ-NEW"));
  EXPECT_EQ(codecs_->Current(), codec) << "the keys stay as they were";
  EXPECT_EQ(trust_->Current(), trust) << "and so does the trust list";
  EXPECT_EQ(keeper_->version(), 7);
  EXPECT_EQ(keeper_->redeemed_end().through, 3) << "what the sync client asks HQ from";
  EXPECT_EQ(ReadSmallFile(dir_ / "hq-config.json", 1 << 20).value(), saved) << "put back";

  // The list's file went ahead of the copy; at the next start it is the list in force.
  EXPECT_EQ(SavedList().through, 5);
  Start();
  ASSERT_TRUE(keeper_->LoadSaved());
  EXPECT_EQ(keeper_->version(), 7);
  EXPECT_EQ(keeper_->redeemed_end().through, 5);
  EXPECT_TRUE(trust_->Current()->redeemed_elsewhere.contains("kiosk-4/00000000000000bb"));
}

TEST_F(HqConfigKeeperTest, TheSavedCopyIsAppliedAtStartWithoutNewEvents) {
  ASSERT_TRUE(keeper_->Apply(HqBundle()));
  const std::int64_t seq = LastSeq();
  Start();  // a restart: fresh codec, key and trust list, channels from the journal
  EXPECT_EQ(codecs_->Current()->Issue("X").value().substr(0, 3), "X.A");
  ASSERT_TRUE(keeper_->LoadSaved());
  EXPECT_EQ(codecs_->Current()->Issue("X").value().substr(0, 3), "X.C");
  EXPECT_EQ(*hq_key_->Current(), std::string(32, 'h'));
  EXPECT_TRUE(trust_->Current()->kiosk_keys.contains("kiosk-2"));
  EXPECT_EQ(LastSeq(), seq);
  EXPECT_EQ(keeper_->version(), 7);
}

TEST_F(HqConfigKeeperTest, TheSavedCopyRecordsHqsChannelsInANewJournal) {
  ASSERT_TRUE(keeper_->Apply(HqBundle()));
  journal_.reset();
  std::filesystem::remove(dir_ / "journal.db");  // e.g. quarantined as corrupt at start
  Start();
  EXPECT_FALSE(channels_->Find("HQ-LOBBY"));
  ASSERT_TRUE(keeper_->LoadSaved());
  EXPECT_TRUE(channels_->Find("HQ-LOBBY"));
  EXPECT_EQ(LastSeq(), 2);
}

TEST_F(HqConfigKeeperTest, RedeemedVouchersSinceAPositionAddToTheListHeld) {
  ConfigBundle whole = HqBundle();
  whole.redeemed.vouchers.push_back({"kiosk-3/00000000000000aa", 1'800'000'100});
  ASSERT_TRUE(keeper_->Apply(whole));
  clock_.Advance(seconds(100));  // kiosk-3's voucher has now expired

  ConfigBundle delta = HqBundle();
  delta.version = 8;
  delta.redeemed = {
      5, "kiosk-4/00000000000000bb", 3, {{"kiosk-4/00000000000000bb", 1'900'000'000}}};
  ASSERT_TRUE(keeper_->Apply(delta));
  const auto trust = trust_->Current();
  EXPECT_TRUE(trust->redeemed_elsewhere.contains("kiosk-2/0123456789abcdef")) << "held before";
  EXPECT_TRUE(trust->redeemed_elsewhere.contains("kiosk-4/00000000000000bb")) << "the news";
  EXPECT_FALSE(trust->redeemed_elsewhere.contains("kiosk-3/00000000000000aa")) << "expired";

  const RedeemedVouchers expected{
      5,
      "kiosk-4/00000000000000bb",
      std::nullopt,
      {{"kiosk-2/0123456789abcdef", 1'900'000'000}, {"kiosk-4/00000000000000bb", 1'900'000'000}}};
  EXPECT_EQ(SavedList(), expected) << "the whole list is saved, in its own file";
  auto saved = DecodeConfigBundle(ReadSmallFile(dir_ / "hq-config.json", 1 << 20).value());
  ASSERT_TRUE(saved) << saved.error().message();
  EXPECT_EQ(saved->redeemed, RedeemedVouchers{}) << "not in the copy of the rest";
  Start();
  EXPECT_EQ(keeper_->redeemed_end(), RedeemedPosition{});
  ASSERT_TRUE(keeper_->LoadSaved());
  EXPECT_TRUE(trust_->Current()->redeemed_elsewhere.contains("kiosk-4/00000000000000bb"));
  EXPECT_EQ(keeper_->redeemed_end(), (RedeemedPosition{5, "kiosk-4/00000000000000bb"}))
      << "what the sync client resumes from";

  ConfigBundle next = HqBundle();  // after the restart, since the position the saved copy holds
  next.version = 9;
  next.redeemed = {6, "kiosk-5/00000000000000cc", 5, {{"kiosk-5/00000000000000cc", 1'900'000'000}}};
  ASSERT_TRUE(keeper_->Apply(next));
  EXPECT_EQ(trust_->Current()->redeemed_elsewhere.size(), 3u);
}

TEST_F(HqConfigKeeperTest, RedeemedVouchersSinceAnotherPositionAreRefused) {
  ASSERT_TRUE(keeper_->Apply(HqBundle()));  // holds them through 3
  const auto trust = trust_->Current();
  ConfigBundle delta = HqBundle();
  delta.version = 8;
  delta.channels.push_back(HqChannel("HQ-WOULD-BE-NEW"));
  delta.redeemed = {
      5, "kiosk-4/00000000000000bb", 4, {{"kiosk-4/00000000000000bb", 1'900'000'000}}};
  auto applied = keeper_->Apply(delta);
  ASSERT_FALSE(applied);
  EXPECT_EQ(applied.error().message(),
            "redeemed.since: HQ sent the vouchers redeemed after ledger position 4, but this "
            "kiosk holds them through 3");
  EXPECT_EQ(trust_->Current(), trust);
  EXPECT_FALSE(channels_->Find("HQ-WOULD-BE-NEW"));
  EXPECT_EQ(keeper_->version(), 7);

  ConfigBundle whole = HqBundle();  // a whole list replaces whatever is held
  whole.version = 9;
  whole.redeemed = {
      2, "kiosk-4/00000000000000bb", std::nullopt, {{"kiosk-4/00000000000000bb", 1'900'000'000}}};
  ASSERT_TRUE(keeper_->Apply(whole));
  EXPECT_EQ(trust_->Current()->redeemed_elsewhere,
            (std::set<std::string, std::less<>>{"kiosk-4/00000000000000bb"}));
}

// A kiosk upgraded from a version that saved "redeemed_vouchers" keeps its list until HQ's next.
TEST_F(HqConfigKeeperTest, ASavedCopyInTheFirstRedeemedFormStillLoads) {
  ConfigBundle old = HqBundle();
  auto text = EncodeConfigBundle(old, ConfigBundleWire::kRedeemedKeys);
  ASSERT_TRUE(text) << text.error().message();
  dir_.Write("hq-config.json", *text);
  ASSERT_TRUE(keeper_->LoadSaved());
  EXPECT_TRUE(trust_->Current()->redeemed_elsewhere.contains("kiosk-2/0123456789abcdef"));
  EXPECT_EQ(SavedList().vouchers.size(), 1u) << "moved into hq-redeemed.db";
  ConfigBundle delta = HqBundle();
  delta.version = 8;
  delta.redeemed = {5, "kiosk-4/00000000000000bb", 3, {}};
  EXPECT_FALSE(keeper_->Apply(delta)) << "it holds the list through 0, not 3";
}

// A copy saved while the list was part of it: the list moves into its own file at the start.
TEST_F(HqConfigKeeperTest, ASavedCopyHoldingTheListMovesItIntoItsOwnFile) {
  dir_.Write("hq-config.json", EncodeConfigBundle(HqBundle()).value());
  ASSERT_TRUE(keeper_->LoadSaved());
  EXPECT_EQ(keeper_->redeemed_end(), (RedeemedPosition{3, "kiosk-2/0123456789abcdef"}));
  EXPECT_EQ(SavedList().end(), keeper_->redeemed_end());
  ConfigBundle delta = HqBundle();
  delta.version = 8;
  delta.redeemed = {
      5, "kiosk-4/00000000000000bb", 3, {{"kiosk-4/00000000000000bb", 1'900'000'000}}};
  ASSERT_TRUE(keeper_->Apply(delta));
  Start();
  ASSERT_TRUE(keeper_->LoadSaved());
  EXPECT_EQ(trust_->Current()->redeemed_elsewhere.size(), 2u) << "the list from its file";
}

// HQ sends a long list in pages; the list the kiosk holds may outgrow one bundle's limits.
TEST_F(HqConfigKeeperTest, TheListHeldMayOutgrowOneBundle) {
  const auto page = [](std::int64_t first, std::int64_t count) {
    RedeemedVouchers list;
    for (std::int64_t i = first; i < first + count; ++i) {
      char key[32];
      std::snprintf(key, sizeof key, "kiosk-2/%016llx", static_cast<unsigned long long>(i));
      list.vouchers.push_back({key, 1'900'000'000});
    }
    list.through = first + count - 1;
    list.through_key = list.vouchers.back().key;
    list.more = true;
    return list;
  };
  const auto count = static_cast<std::int64_t>(kMaxBundleListItems) / 2 + 1;
  ConfigBundle first = HqBundle();
  first.redeemed = page(1, count);
  ASSERT_TRUE(keeper_->Apply(first));
  ConfigBundle second = HqBundle();
  second.redeemed = page(count + 1, count);
  second.redeemed.since = count;
  second.redeemed.more = false;
  auto applied = keeper_->Apply(second);
  ASSERT_TRUE(applied) << applied.error().message();
  EXPECT_EQ(trust_->Current()->redeemed_elsewhere.size(), kMaxBundleListItems + 2);
  Start();
  ASSERT_TRUE(keeper_->LoadSaved());
  EXPECT_EQ(trust_->Current()->redeemed_elsewhere.size(), kMaxBundleListItems + 2);
  EXPECT_EQ(keeper_->redeemed_end().through, 2 * count);
}

TEST_F(HqConfigKeeperTest, NoSavedCopyIsNotAnError) {
  ASSERT_TRUE(keeper_->LoadSaved());
  EXPECT_EQ(keeper_->version(), std::nullopt);
}

TEST_F(HqConfigKeeperTest, ACorruptSavedCopyChangesNothing) {
  dir_.Write("hq-config.json", R"({"version": 3})");
  const auto codec = codecs_->Current();
  EXPECT_FALSE(keeper_->LoadSaved());
  EXPECT_EQ(codecs_->Current(), codec);
  EXPECT_EQ(LastSeq(), 0);
}

TEST_F(HqConfigKeeperTest, HqKeyWithTheKiosksOwnIdReplacesIt) {
  ConfigBundle bundle = HqBundle();
  bundle.channel_keys.push_back({'A', std::string(32, 'x'), std::nullopt});
  bundle.signing_key_id = 'A';
  ASSERT_TRUE(keeper_->Apply(bundle));
  EXPECT_EQ(codecs_->Current()->Issue("HQ-LOBBY").value(),
            Codec({{'A', std::string(32, 'x'), std::nullopt}}, 'A').Issue("HQ-LOBBY").value());
}

// Readers verify codes while the codec is swapped: each sees one whole codec, never a torn one.
TEST(ChannelCodecHolderTest, ReadersKeepTheirSnapshotWhileItIsSwapped) {
  ChannelCodecHolder holder(Codec({kOwnKey}, 'A'));
  const std::string code = holder.Current()->Issue("LOBBY-1").value();
  const auto before = holder.Current();
  holder.Replace(Codec({kOwnKey, {'C', std::string(32, 'c'), std::nullopt}}, 'C'));
  EXPECT_EQ(before->Issue("LOBBY-1").value(), code) << "a snapshot never changes";
  EXPECT_EQ(holder.Current()->Issue("LOBBY-1").value().substr(0, 9), "LOBBY-1.C");

  std::atomic<bool> stop{false};
  std::atomic<int> refused{0};
  std::vector<std::thread> readers;
  for (int i = 0; i < 4; ++i) {
    readers.emplace_back([&] {
      while (!stop) {
        if (!holder.Current()->Verify(code, kKeeperNow)) ++refused;
      }
    });
  }
  for (int i = 0; i < 2000; ++i) {
    const char signing = i % 2 == 0 ? 'A' : 'D';
    holder.Replace(Codec({kOwnKey, {'D', std::string(32, 'd'), std::nullopt}}, signing));
  }
  stop = true;
  for (auto& reader : readers) reader.join();
  EXPECT_EQ(refused.load(), 0) << "every codec swapped in accepts the kiosk's own codes";
}

TEST_F(HqConfigKeeperTest, ScrubsTheErasedEventsOfItsOwnJournalOnly) {
  const std::string personal =
      R"({"device":"dddddddddddddddddddddddddddddddd","campaign":"spring","name":"S1.n",)"
      R"("phone":"S1.p","phone_index":"IDX","source":"phone"})";
  auto erased = journal_->Append(EventDraft{"signup", "LOBBY-1", 1, personal, "signup:spring:IDX"});
  auto kept = journal_->Append(EventDraft{"signup", "LOBBY-1", 1, personal, std::nullopt});
  ASSERT_TRUE(erased && kept);
  ConfigBundle bundle = HqBundle();
  const std::string incarnation = journal_->incarnation();
  bundle.erased_events = {StrCat("kiosk-1/", incarnation, "/", *erased),
                          StrCat("kiosk-1/other-incarnation/", *kept),
                          StrCat("kiosk-2/", incarnation, "/", *kept)};
  bundle.revoked_vouchers = {"kiosk-1/0123456789abcdef"};
  ASSERT_TRUE(keeper_->Apply(bundle));

  auto events = journal_->ReadAfter(*erased - 1, 2);
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ(boost::json::parse((*events)[0].payload_json),
            boost::json::parse(R"({"campaign":"spring","source":"phone","erased":true})"));
  EXPECT_EQ((*events)[1].payload_json, personal);
  auto claim = journal_->FindClaim("signup:spring:IDX");
  ASSERT_TRUE(claim);
  EXPECT_FALSE(claim->has_value());
  EXPECT_TRUE(trust_->Current()->revoked_vouchers.contains("kiosk-1/0123456789abcdef"));
}

}  // namespace
}  // namespace kiosk_edge
