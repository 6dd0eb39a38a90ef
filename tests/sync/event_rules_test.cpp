#include "sync/profile_store/event_rules.hpp"

#include <gtest/gtest.h>

#include <boost/asio/thread_pool.hpp>
#include <string>
#include <vector>

#include "common/crypto.hpp"
#include "common/strings.hpp"
#include "sync/profile_store/identity.hpp"
#include "tests/sync/store_test_events.hpp"

namespace kiosk_edge {
namespace {

namespace events = kiosk_edge::testing;

HqIdentity IdentityForRules() {
  auto keys = GenerateX25519KeyPair();
  EXPECT_TRUE(keys) << keys.error().message();
  auto identity = HqIdentity::Create(keys->private_key, std::string(32, 'k'));
  EXPECT_TRUE(identity) << identity.error().message();
  return std::move(*identity);
}

// What a test compares of a prepared event: its rejection, device and facts, in one line.
std::string Describe(const PreparedEvent& prepared) {
  std::string facts = StrCat("facts#", prepared.facts.index());
  if (const auto* signup = std::get_if<SignupFacts>(&prepared.facts)) {
    facts =
        StrCat(facts, " profile ", signup->profile_key, " marketing ", signup->marketing_consent);
  }
  if (const auto* voucher = std::get_if<VoucherIssuedFacts>(&prepared.facts)) {
    facts = StrCat(facts, " voucher ", voucher->voucher_key);
  }
  return StrCat("seq ", prepared.event->seq, ": ", prepared.rejection.value_or("accepted"), "; ",
                prepared.device_id.value_or("no device"), "; ", facts);
}

TEST(EventRulesTest, HelpersPrepareABatchExactlyAsOneThreadDoes) {
  const HqIdentity hq = IdentityForRules();
  const HqIdentity other_hq = IdentityForRules();
  std::vector<WireEvent> wire;
  for (int i = 0; i < 500; ++i) {
    const std::string digits = StrCat(10'000'000 + i);
    if (i % 20 == 3) {
      events::SignupSpec spec;
      spec.phone = StrCat("+86138", digits);
      spec.device = events::Device(static_cast<char>('a' + i % 6));
      spec.marketing = i % 40 == 3;
      // Every fifth signup is sealed for another HQ: rejected, as a phone that does not open.
      wire.push_back(events::Signup((i % 100 == 3 ? other_hq : hq).public_key(), spec));
    } else if (i % 20 == 4) {
      wire.push_back(events::VoucherIssued(StrCat("00000000", digits), "store", events::kExpires));
    } else if (i % 50 == 7) {
      wire.push_back(events::MakeEvent("scan", "{\"code\": \"channel\""));  // not JSON
    } else {
      wire.push_back(events::Scan(events::Device(static_cast<char>('a' + i % 6))));
    }
  }
  const EventBatch batch = events::MakeBatch("store-1-kiosk-1", "inc-1", 1, std::move(wire));

  const std::vector<PreparedEvent> alone = PrepareEvents(batch, hq);
  boost::asio::thread_pool helpers(2);
  const std::vector<PreparedEvent> shared = PrepareEvents(batch, hq, &helpers);
  helpers.join();

  ASSERT_EQ(alone.size(), batch.events.size());
  ASSERT_EQ(shared.size(), batch.events.size());
  int rejected = 0;
  int signups = 0;
  for (std::size_t i = 0; i < batch.events.size(); ++i) {
    EXPECT_EQ(alone[i].event, &batch.events[i]);
    EXPECT_EQ(Describe(shared[i]), Describe(alone[i]));
    rejected += alone[i].rejection ? 1 : 0;
    signups += std::holds_alternative<SignupFacts>(alone[i].facts) ? 1 : 0;
  }
  // The batch holds what it was meant to: 5 signups sealed for another HQ and 10 bad payloads
  // rejected, 20 signups opened.
  EXPECT_EQ(rejected, 15);
  EXPECT_EQ(signups, 20);
}

}  // namespace
}  // namespace kiosk_edge
