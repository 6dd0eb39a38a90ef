#include "agent/channel_token.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace kiosk_edge {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;
using namespace std::chrono_literals;

const system_clock::time_point kTokenNow{seconds(1'800'000'000)};

std::string Secret(char fill) { return std::string(32, fill); }

ChannelTokenCodec MakeChannelCodec(std::vector<TokenKey> keys, char signing, seconds overlap = 0s) {
  auto codec = ChannelTokenCodec::Create(std::move(keys), signing, overlap);
  EXPECT_TRUE(codec) << codec.error().message();
  return std::move(*codec);
}

// The reason Verify gives for refusing `token`, or "accepted: <channel>" if it did not refuse.
std::string Outcome(const ChannelTokenCodec& codec, std::string_view token,
                    system_clock::time_point now = kTokenNow) {
  auto channel = codec.Verify(token, now);
  if (channel) return "accepted: " + *channel;
  EXPECT_EQ(channel.error().kind(), ErrorKind::kInvalidArgument);
  return channel.error().message();
}

TEST(ChannelTokenTest, IssuedTokenVerifiesToItsChannel) {
  const auto codec = MakeChannelCodec({{'A', Secret('a'), {}}}, 'A');
  auto token = codec.Issue("SH-PD-ELEV3-V2");
  ASSERT_TRUE(token) << token.error().message();
  // CHANNEL "." KEY_ID and 16 characters of MAC.
  EXPECT_EQ(token->size(), std::string("SH-PD-ELEV3-V2").size() + 1 + 1 + 16);
  EXPECT_EQ(token->substr(0, 16), "SH-PD-ELEV3-V2.A");
  EXPECT_EQ(Outcome(codec, *token), "accepted: SH-PD-ELEV3-V2");
}

TEST(ChannelTokenTest, TokensAreDeterministicAndDifferPerChannelAndKey) {
  const auto codec = MakeChannelCodec({{'A', Secret('a'), {}}}, 'A');
  const auto other_key = MakeChannelCodec({{'A', Secret('b'), {}}}, 'A');
  EXPECT_EQ(*codec.Issue("P1"), *codec.Issue("P1"));
  EXPECT_NE(codec.Issue("P1")->substr(3), codec.Issue("P2")->substr(3));
  EXPECT_NE(*codec.Issue("P1"), *other_key.Issue("P1"));
  EXPECT_EQ(Outcome(other_key, *codec.Issue("P1")), "bad mac");
}

TEST(ChannelTokenTest, IssueRefusesChannelIdsOutsideTheGrammar) {
  const auto codec = MakeChannelCodec({{'A', Secret('a'), {}}}, 'A');
  EXPECT_TRUE(codec.Issue(std::string(32, 'X')));
  for (std::string_view id : {"", "elevator-3", "A.B", "A B", "A/B", "A_B", "\xe5\xbc\xa0"}) {
    EXPECT_FALSE(codec.Issue(id)) << id;
  }
  EXPECT_FALSE(codec.Issue(std::string(33, 'X')));
}

// An attacker who changes any one character of a printed code gets nothing: every substitution
// at every position is refused, except the lower-case spelling of the same character.
TEST(ChannelTokenTest, EverySingleCharacterSubstitutionIsRefused) {
  const auto codec = MakeChannelCodec({{'A', Secret('a'), {}}, {'B', Secret('b'), {}}}, 'A');
  const std::string token = *codec.Issue("MALL-7-FLYER");
  std::size_t tried = 0;
  for (std::size_t i = 0; i < token.size(); ++i) {
    for (int c = 0; c < 256; ++c) {
      const char replacement = static_cast<char>(c);
      if (replacement == token[i]) continue;
      std::string altered = token;
      altered[i] = replacement;
      ++tried;
      const bool same_letter = c >= 'a' && c <= 'z' && c - 'a' + 'A' == token[i];
      if (same_letter) {
        EXPECT_EQ(Outcome(codec, altered), "accepted: MALL-7-FLYER") << altered;
      } else {
        EXPECT_NE(Outcome(codec, altered).rfind("accepted", 0), 0u)
            << "position " << i << " char " << c << " accepted: " << altered;
      }
    }
  }
  EXPECT_EQ(tried, token.size() * 255);
}

TEST(ChannelTokenTest, TruncatedExtendedAndMalformedTokensAreRefused) {
  const auto codec = MakeChannelCodec({{'A', Secret('a'), {}}}, 'A');
  const std::string token = *codec.Issue("COUNTER-1");
  for (std::size_t length = 0; length < token.size(); ++length) {
    EXPECT_NE(Outcome(codec, token.substr(0, length)).rfind("accepted", 0), 0u) << length;
  }
  EXPECT_EQ(Outcome(codec, token + "A"), "malformed");
  EXPECT_EQ(Outcome(codec, "COUNTER-1"), "malformed");
  EXPECT_EQ(Outcome(codec, token.substr(0, 10) + token.substr(11)), "malformed");  // dot removed
  EXPECT_EQ(Outcome(codec, "X." + token), "malformed");
  EXPECT_EQ(Outcome(codec, std::string(10'000, 'A')), "malformed");
  EXPECT_EQ(Outcome(codec, ""), "malformed");
}

TEST(ChannelTokenTest, UnknownKeyIsRefusedAsSuch) {
  const auto codec = MakeChannelCodec({{'A', Secret('a'), {}}}, 'A');
  const auto other = MakeChannelCodec({{'C', Secret('a'), {}}}, 'C');
  EXPECT_EQ(Outcome(codec, *other.Issue("P1")), "unknown key");
}

TEST(ChannelTokenTest, RetiredKeyIsAcceptedDuringOverlapOnlyAndNewTokensUseTheNewKey) {
  const auto before = MakeChannelCodec({{'A', Secret('a'), {}}}, 'A');
  const std::string poster = *before.Issue("ELEV-3");

  // Key A retired at kTokenNow, key B signs from then on, with 30 days' overlap for
  // printed posters.
  const std::int64_t retired_at = 1'800'000'000;
  const auto after = MakeChannelCodec({{'A', Secret('a'), retired_at}, {'B', Secret('b'), {}}}, 'B',
                                      std::chrono::days(30));
  EXPECT_EQ(Outcome(after, poster, kTokenNow), "accepted: ELEV-3");
  EXPECT_EQ(Outcome(after, poster, kTokenNow + std::chrono::days(30) - 1s), "accepted: ELEV-3");
  EXPECT_EQ(Outcome(after, poster, kTokenNow + std::chrono::days(30)), "key retired");
  EXPECT_EQ(Outcome(after, poster, kTokenNow + std::chrono::days(365)), "key retired");

  const std::string reprinted = *after.Issue("ELEV-3");
  EXPECT_EQ(reprinted[7], 'B');
  EXPECT_NE(reprinted, poster);
  EXPECT_EQ(Outcome(after, reprinted, kTokenNow + std::chrono::days(365)), "accepted: ELEV-3");
  EXPECT_EQ(Outcome(before, reprinted), "unknown key");

  // A forgery under a retired key id is reported as a forgery, not as retired.
  std::string forged = poster;
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(Outcome(after, forged, kTokenNow + std::chrono::days(365)), "bad mac");
}

TEST(ChannelTokenTest, LowerCaseInputIsAccepted) {
  const auto codec = MakeChannelCodec({{'A', Secret('a'), {}}}, 'A');
  std::string token = *codec.Issue("STORE-12-DOOR");
  for (char& c : token) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  EXPECT_EQ(Outcome(codec, token), "accepted: STORE-12-DOOR");
}

TEST(ChannelTokenTest, UrlWithTokenUsesOnlyQrAlphanumericCharacters) {
  const std::string qr_alphanumeric = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
  const auto codec = MakeChannelCodec({{'7', Secret('a'), {}}}, '7');
  for (const char* channel : {"A", "0-9", "ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ"}) {
    const std::string url = "HTTP://KIOSK.LOCAL/C/" + *codec.Issue(channel);
    EXPECT_EQ(url.find_first_not_of(qr_alphanumeric), std::string::npos) << url;
  }
}

TEST(ChannelTokenTest, CreateRefusesUnusableKeySets) {
  EXPECT_FALSE(ChannelTokenCodec::Create({}, 'A', 0s));
  EXPECT_FALSE(ChannelTokenCodec::Create({{'A', std::string(31, 'a'), {}}}, 'A', 0s));
  EXPECT_FALSE(ChannelTokenCodec::Create({{'a', Secret('a'), {}}}, 'a', 0s));
  EXPECT_FALSE(ChannelTokenCodec::Create({{'1', Secret('a'), {}}}, '1', 0s));
  EXPECT_FALSE(ChannelTokenCodec::Create({{'A', Secret('a'), {}}}, 'B', 0s));
  EXPECT_FALSE(
      ChannelTokenCodec::Create({{'A', Secret('a'), {}}, {'A', Secret('b'), {}}}, 'A', 0s));
  EXPECT_FALSE(ChannelTokenCodec::Create({{'A', Secret('a'), 1'700'000'000}}, 'A', 0s));
  EXPECT_FALSE(ChannelTokenCodec::Create({{'A', Secret('a'), {}}}, 'A', -1s));
  EXPECT_FALSE(
      ChannelTokenCodec::Create({{'A', Secret('a'), {}}, {'B', Secret('b'), -5}}, 'A', 0s));
  auto error = ChannelTokenCodec::Create({{'A', std::string(31, 'a'), {}}}, 'A', 0s);
  ASSERT_FALSE(error);
  // The message names the key but never its secret.
  EXPECT_EQ(error.error().message().find("aaaa"), std::string::npos) << error.error().message();
}

}  // namespace
}  // namespace kiosk_edge
