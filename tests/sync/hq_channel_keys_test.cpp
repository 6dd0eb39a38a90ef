// HQ's channel-code keys: made once, rotated with an overlap, withdrawn before it ends, carried in
// the bundle while their codes are still valid, and issuing codes a kiosk's codec accepts.

#include "sync/profile_store/hq_channel_keys.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "agent/channel_token.hpp"
#include "support/temp_dir.hpp"

namespace kiosk_edge {
namespace {

constexpr std::int64_t kKeysMadeAt = 1'800'000'000;  // Unix s
const std::int64_t kOverlap = kHqChannelKeyOverlap.count();

// A kiosk's codec over the keys a bundle carries at `now_s`, as HqConfigKeeper builds it.
ChannelTokenCodec KioskCodec(const HqChannelKeys& keys, std::int64_t now_s) {
  std::vector<TokenKey> tokens;
  for (const BundleTokenKey& key : KeysForBundle(keys, now_s)) {
    tokens.push_back({key.id, key.secret, key.retired_at_s});
  }
  auto codec =
      ChannelTokenCodec::Create(std::move(tokens), keys.signing_key_id, kHqChannelKeyOverlap);
  EXPECT_TRUE(codec) << codec.error().message();
  return std::move(*codec);
}

std::chrono::system_clock::time_point At(std::int64_t unix_s) {
  return std::chrono::system_clock::time_point(std::chrono::seconds(unix_s));
}

TEST(HqChannelKeysTest, MadeOnceOwnerOnlyAndReadBack) {
  testing::TempDir dir;
  auto made = LoadOrCreateChannelKeys(dir.path(), kKeysMadeAt);
  ASSERT_TRUE(made) << made.error().message();
  ASSERT_EQ(made->keys.size(), 1u);
  EXPECT_EQ(made->signing_key_id, 'B') << "'A' is the id of every kiosk's own key";
  EXPECT_EQ(made->keys[0].secret.size(), 32u);
  struct stat info {};
  ASSERT_EQ(::stat((dir.path() / "channel-keys.json").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  auto again = LoadOrCreateChannelKeys(dir.path(), kKeysMadeAt + 10);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->keys[0].secret, made->keys[0].secret);
}

TEST(HqChannelKeysTest, RotationSignsWithANewKeyAndOldCodesStayValidForTheOverlap) {
  testing::TempDir dir;
  auto first = LoadOrCreateChannelKeys(dir.path(), kKeysMadeAt);
  ASSERT_TRUE(first);
  const std::string old_code = IssueChannelCode(*first, "LOBBY-1").value();
  EXPECT_EQ(old_code.substr(0, 9), "LOBBY-1.B");

  auto rotated = RotateChannelKey(dir.path(), kKeysMadeAt + 100);
  ASSERT_TRUE(rotated) << rotated.error().message();
  EXPECT_EQ(rotated->signing_key_id, 'C');
  ASSERT_EQ(rotated->keys.size(), 2u);
  EXPECT_EQ(rotated->keys[0].retired_at_s, kKeysMadeAt + 100);
  EXPECT_EQ(LoadChannelKeys(dir.path()).value().signing_key_id, 'C') << "written to the file";
  const std::string new_code = IssueChannelCode(*rotated, "LOBBY-1").value();
  EXPECT_EQ(new_code.substr(0, 9), "LOBBY-1.C");

  const std::int64_t just_before_end = kKeysMadeAt + 100 + kOverlap - 1;
  const ChannelTokenCodec during = KioskCodec(*rotated, just_before_end);
  EXPECT_EQ(during.Verify(old_code, At(just_before_end)).value(), "LOBBY-1");
  EXPECT_EQ(during.Verify(new_code, At(just_before_end)).value(), "LOBBY-1");
  EXPECT_EQ(during.Issue("LOBBY-1").value(), new_code);

  // After the overlap the old key leaves the bundle, and the file at the next rotation.
  const std::int64_t after = kKeysMadeAt + 100 + kOverlap;
  EXPECT_EQ(KeysForBundle(*rotated, after).size(), 1u);
  const ChannelTokenCodec later = KioskCodec(*rotated, after);
  EXPECT_FALSE(later.Verify(old_code, At(after)));
  auto next = RotateChannelKey(dir.path(), after);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->signing_key_id, 'D');
  ASSERT_EQ(next->keys.size(), 2u);
  EXPECT_EQ(next->keys[0].id, 'C');
}

TEST(HqChannelKeysTest, AWithdrawnKeyLeavesTheBundleAtOnceAndOnlyARetiredOneCanBe) {
  testing::TempDir dir;
  EXPECT_EQ(WithdrawChannelKey(dir.path(), 'B', kKeysMadeAt).error().kind(), ErrorKind::kNotFound)
      << "no key file yet";
  auto first = LoadOrCreateChannelKeys(dir.path(), kKeysMadeAt);
  ASSERT_TRUE(first);
  const std::string old_code = IssueChannelCode(*first, "LOBBY-1").value();
  auto signing = WithdrawChannelKey(dir.path(), 'B', kKeysMadeAt + 10);
  ASSERT_FALSE(signing);
  EXPECT_EQ(signing.error().kind(), ErrorKind::kConflict);
  EXPECT_NE(signing.error().message().find("rotate-channel-key"), std::string::npos);

  auto rotated = RotateChannelKey(dir.path(), kKeysMadeAt + 100);
  ASSERT_TRUE(rotated);
  const std::string new_code = IssueChannelCode(*rotated, "LOBBY-1").value();
  const std::int64_t now = kKeysMadeAt + 200;
  auto withdrawn = WithdrawChannelKey(dir.path(), 'B', now);
  ASSERT_TRUE(withdrawn) << withdrawn.error().message();
  const HqChannelKeys returned = *withdrawn;
  const HqChannelKeys on_file = LoadChannelKeys(dir.path()).value();
  for (const HqChannelKeys* keys : {&returned, &on_file}) {
    EXPECT_EQ(keys->signing_key_id, 'C');
    ASSERT_EQ(KeysForBundle(*keys, now).size(), 1u);
    EXPECT_EQ(KeysForBundle(*keys, now)[0].id, 'C');
    const ChannelTokenCodec kiosk = KioskCodec(*keys, now);
    ASSERT_FALSE(kiosk.Verify(old_code, At(now)));
    EXPECT_EQ(kiosk.Verify(old_code, At(now)).error().message(), "unknown key");
    EXPECT_EQ(kiosk.Verify(new_code, At(now)).value(), "LOBBY-1");
  }

  EXPECT_EQ(WithdrawChannelKey(dir.path(), 'B', now).error().kind(), ErrorKind::kNotFound)
      << "withdrawn already";
  EXPECT_EQ(WithdrawChannelKey(dir.path(), 'Z', now).error().kind(), ErrorKind::kNotFound);
  ASSERT_TRUE(RotateChannelKey(dir.path(), now));  // C retired, D signs
  EXPECT_EQ(WithdrawChannelKey(dir.path(), 'C', now + kOverlap).error().kind(),
            ErrorKind::kNotFound)
      << "its overlap has ended: it has left the bundle already";
}

TEST(HqChannelKeysTest, KeyIdsCycleAndRunOutOnlyWithinOneOverlap) {
  testing::TempDir dir;
  ASSERT_TRUE(LoadOrCreateChannelKeys(dir.path(), kKeysMadeAt));
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(RotateChannelKey(dir.path(), kKeysMadeAt + i)) << i;
  EXPECT_EQ(LoadChannelKeys(dir.path()).value().signing_key_id, '7');
  auto exhausted = RotateChannelKey(dir.path(), kKeysMadeAt + 31);
  ASSERT_FALSE(exhausted);
  EXPECT_EQ(exhausted.error().kind(), ErrorKind::kConflict);
  auto later = RotateChannelKey(dir.path(), kKeysMadeAt + kOverlap + 1);  // 'B' is free again
  ASSERT_TRUE(later) << later.error().message();
  EXPECT_EQ(later->signing_key_id, 'B');
}

TEST(HqChannelKeysTest, ACorruptFileIsReportedWithoutItsSecrets) {
  testing::TempDir dir;
  dir.Write("channel-keys.json", R"({"signing_key_id":"C","keys":[{"id":"B","secret":")" +
                                     std::string(64, 'a') +
                                     R"(","created_at_s":1,"retired_at_s":null}]})");
  auto keys = LoadChannelKeys(dir.path());
  ASSERT_FALSE(keys);
  EXPECT_EQ(keys.error().kind(), ErrorKind::kCorrupt);
  EXPECT_NE(keys.error().message().find("signing_key_id"), std::string::npos);
  EXPECT_EQ(keys.error().message().find(std::string(64, 'a')), std::string::npos);
}

TEST(HqChannelKeysTest, RefusesAChannelIdThatCannotBeInACode) {
  const HqChannelKeys keys{{HqChannelKey{'B', std::string(32, 'b'), kKeysMadeAt, std::nullopt}},
                           'B'};
  EXPECT_FALSE(IssueChannelCode(keys, "lobby-1"));
  EXPECT_FALSE(IssueChannelCode(keys, ""));
}

}  // namespace
}  // namespace kiosk_edge
