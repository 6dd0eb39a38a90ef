// Erasure on the wire (sync/protocol/erasure.hpp): the answer's "erased" seqs, the bundle's
// erased_events, both absent for old kiosks' sake when empty; the payload scrub; the feature
// header.

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "sync/protocol/batch.hpp"
#include "sync/protocol/config_bundle.hpp"
#include "sync/protocol/erasure.hpp"

namespace kiosk_edge {
namespace {

TEST(ErasureProtocolTest, AnswersCarryErasedSeqsOnlyWhenThereAreAny) {
  const BatchAnswer plain{"inc-a", 7, {}, {}, {}};
  auto text = EncodeAnswer(plain);
  ASSERT_TRUE(text);
  EXPECT_EQ(*text, R"({"incarnation":"inc-a","high_water":7,"rejected":[]})");

  const BatchAnswer erased{"inc-a", 7, {{3, "bad payload"}}, {2, 5}, {}};
  text = EncodeAnswer(erased);
  ASSERT_TRUE(text);
  EXPECT_EQ(
      *text,
      R"({"incarnation":"inc-a","high_water":7,"rejected":[{"seq":3,"reason":"bad payload"}],)"
      R"("erased":[2,5]})");
  auto decoded = DecodeAnswer(*text);
  ASSERT_TRUE(decoded) << decoded.error().message();
  EXPECT_EQ(*decoded, erased);

  auto unordered =
      DecodeAnswer(R"({"incarnation":"a","high_water":7,"rejected":[],"erased":[5,2]})");
  ASSERT_FALSE(unordered);
  EXPECT_EQ(unordered.error().message(), "erased[1]: must be greater than the seq before it");
  auto not_seq = DecodeAnswer(R"({"incarnation":"a","high_water":7,"rejected":[],"erased":["2"]})");
  ASSERT_FALSE(not_seq);
  EXPECT_EQ(not_seq.error().message(), "erased[0]: must be a seq (an integer of at least 1)");
}

ConfigBundle MinimalBundle() {
  ConfigBundle bundle;
  bundle.version = 3;
  bundle.hq_public_key = std::string(32, 'k');
  return bundle;
}

TEST(ErasureProtocolTest, BundlesCarryErasedEventsOnlyWhenThereAreAny) {
  ConfigBundle bundle = MinimalBundle();
  auto text = EncodeConfigBundle(bundle);
  ASSERT_TRUE(text);
  EXPECT_EQ(text->find("erased_events"), std::string::npos);

  bundle.erased_events = {"kiosk-1/9f2c0a/17", "kiosk-2/inc.b/1"};
  bundle.revoked_vouchers = {"kiosk-1/0123456789abcdef"};
  text = EncodeConfigBundle(bundle);
  ASSERT_TRUE(text);
  EXPECT_NE(text->find(R"("erased_events":["kiosk-1/9f2c0a/17","kiosk-2/inc.b/1"])"),
            std::string::npos);
  auto decoded = DecodeConfigBundle(*text);
  ASSERT_TRUE(decoded) << decoded.error().message();
  EXPECT_EQ(*decoded, bundle);

  for (const char* bad : {"kiosk-1/inc/0", "kiosk-1/inc", "kiosk-1/inc/x7", "/inc/3",
                          "kiosk-1/inc/07", "kiosk-1/in c/3"}) {
    ConfigBundle wrong = MinimalBundle();
    wrong.erased_events = {bad};
    auto refused = EncodeConfigBundle(wrong);
    ASSERT_FALSE(refused) << bad;
    EXPECT_EQ(refused.error().message(),
              R"(erased_events[0]: must be "<kiosk id>/<incarnation>/<seq>" (an event identity))")
        << bad;
  }
}

TEST(ErasureProtocolTest, ScrubsThePersonalMembersOfASignup) {
  auto scrubbed = ScrubPersonalPayload(
      R"({"device":"d","campaign":"spring","name":"S1.n","phone":"S1.p","phone_index":"I",)"
      R"("consent":{"service":true,"marketing":false,"text_version":"v1"},"source":"phone"})");
  ASSERT_TRUE(scrubbed) << scrubbed.error().message();
  EXPECT_EQ(boost::json::parse(*scrubbed),
            boost::json::parse(R"({"campaign":"spring","consent":{"service":true,)"
                               R"("marketing":false,"text_version":"v1"},"source":"phone",)"
                               R"("erased":true})"));
  auto again = ScrubPersonalPayload(*scrubbed);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *scrubbed);
  EXPECT_FALSE(ScrubPersonalPayload("[1]"));
}

TEST(ErasureProtocolTest, ParsesEventKeysAndTheFeatureHeader) {
  EXPECT_EQ(ParseErasedEventKey("kiosk-1/9f2c/17"), (ErasedEventRef{"kiosk-1", "9f2c", 17}));
  EXPECT_EQ(ErasedEventKey(ErasedEventRef{"kiosk-1", "9f2c", 17}), "kiosk-1/9f2c/17");
  EXPECT_EQ(ParseErasedEventKey("kiosk-1/9f2c/17/2"), std::nullopt);
  EXPECT_TRUE(ListsSyncFeature("erasure", kSyncFeatureErasure));
  EXPECT_TRUE(ListsSyncFeature("gzip, erasure ", kSyncFeatureErasure));
  EXPECT_FALSE(ListsSyncFeature("erasures", kSyncFeatureErasure));
  EXPECT_FALSE(ListsSyncFeature(std::nullopt, kSyncFeatureErasure));
}

}  // namespace
}  // namespace kiosk_edge
