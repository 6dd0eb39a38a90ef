// Journal::ScrubErased: erasure is the one rewrite the journal allows (sync/protocol/erasure.hpp).

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "agent/journal.hpp"
#include "common/fake_clock.hpp"
#include "common/sqlite.hpp"
#include "support/temp_dir.hpp"

namespace kiosk_edge {
namespace {

constexpr char kSignupPayload[] =
    R"({"device":"dddddddddddddddddddddddddddddddd","campaign":"spring","name":"S1.name",)"
    R"("phone":"S1.phone","phone_index":"IDX","consent":{"service":true,"marketing":true,)"
    R"("text_version":"v1"},"language":"en","source":"phone"})";

class JournalScrubTest : public ::testing::Test {
 protected:
  void SetUp() override {
    JournalOptions options;
    options.path = dir_ / "journal.db";
    options.kiosk_id = "kiosk-test";
    options.clock = &clock_;
    options.boot_id = "boot-a";
    auto journal = Journal::Open(std::move(options));
    ASSERT_TRUE(journal) << journal.error().message();
    journal_ = std::move(*journal);
  }

  std::int64_t Append(std::string type, std::string payload, std::optional<std::string> claim) {
    auto seq = journal_->Append(
        EventDraft{std::move(type), "LOBBY-1", 1, std::move(payload), std::move(claim)});
    EXPECT_TRUE(seq) << seq.error().message();
    return seq ? *seq : 0;
  }

  boost::json::object Payload(std::int64_t seq) {
    auto events = journal_->ReadAfter(seq - 1, 1);
    EXPECT_TRUE(events && events->size() == 1);
    if (!events || events->empty()) return {};
    return boost::json::parse(events->front().payload_json).as_object();
  }

  testing::TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<Journal> journal_;
};

TEST_F(JournalScrubTest, RemovesThePersonalDataAndTheClaimsHoldingTheBlindIndex) {
  const std::int64_t signup = Append("signup", kSignupPayload, "signup:spring:IDX");
  const std::int64_t voucher = Append("voucher_issued", R"({"voucher":"0123456789abcdef"})",
                                      "voucher-for:signup:spring:IDX");
  const std::int64_t other = Append("signup", kSignupPayload, "signup:spring:OTHER");

  auto scrubbed = journal_->ScrubErased({signup, voucher, 99});
  ASSERT_TRUE(scrubbed) << scrubbed.error().message();
  EXPECT_EQ(*scrubbed, 1);  // the voucher event holds nothing personal; seq 99 does not exist

  const boost::json::object payload = Payload(signup);
  EXPECT_EQ(payload, boost::json::parse(R"({"campaign":"spring","consent":{"service":true,)"
                                        R"("marketing":true,"text_version":"v1"},)"
                                        R"("language":"en","source":"phone","erased":true})"));
  EXPECT_TRUE(Payload(other).contains("phone"));
  EXPECT_EQ(Payload(voucher), boost::json::parse(R"({"voucher":"0123456789abcdef"})"));
  auto claim = journal_->FindClaim("signup:spring:IDX");
  ASSERT_TRUE(claim);
  EXPECT_FALSE(claim->has_value());
  claim = journal_->FindClaim("voucher-for:signup:spring:IDX");
  ASSERT_TRUE(claim);
  EXPECT_FALSE(claim->has_value());
  claim = journal_->FindClaim("signup:spring:OTHER");
  ASSERT_TRUE(claim);
  EXPECT_EQ(*claim, std::optional<std::int64_t>(other));

  // Idempotent.
  scrubbed = journal_->ScrubErased({signup});
  ASSERT_TRUE(scrubbed);
  EXPECT_EQ(*scrubbed, 0);
}

// A consent withdrawal holds the shopper's phone sealed for HQ, as a signup does.
TEST_F(JournalScrubTest, ScrubsAConsentWithdrawalToo) {
  const std::int64_t withdrawal =
      Append("consent_withdrawn", R"({"phone":"S1.phone","purpose":"marketing"})", std::nullopt);

  auto scrubbed = journal_->ScrubErased({withdrawal});
  ASSERT_TRUE(scrubbed) << scrubbed.error().message();

  EXPECT_EQ(*scrubbed, 1);
  EXPECT_EQ(Payload(withdrawal), boost::json::parse(R"({"purpose":"marketing","erased":true})"));
}

TEST_F(JournalScrubTest, AnyOtherRewriteIsStillRefusedAndTheFileStaysSound) {
  const std::int64_t signup = Append("signup", kSignupPayload, std::nullopt);
  ASSERT_TRUE(journal_->ScrubErased({signup}));
  journal_.reset();

  auto db = Database::Open(dir_ / "journal.db", DatabaseOptions{});
  ASSERT_TRUE(db) << db.error().message();
  // Not marked erased, or the envelope changed: refused.
  EXPECT_FALSE(db->Exec(R"(UPDATE events SET payload = '{"phone":"S1.x"}' WHERE seq = 1)"));
  EXPECT_FALSE(
      db->Exec(R"(UPDATE events SET payload = '{"erased":true}', type = 'scan' WHERE seq = 1)"));
  EXPECT_FALSE(db->Exec("UPDATE events SET occurred_at_ms = 5 WHERE seq = 1"));
  EXPECT_TRUE(db->CheckIntegrity());
}

}  // namespace
}  // namespace kiosk_edge
