// Issuing the signup voucher, in process: signed by the device key, recorded once per signup.
#include "agent/voucher_issue.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "agent/journal.hpp"
#include "agent/voucher_check.hpp"
#include "common/crypto.hpp"
#include "common/fake_clock.hpp"
#include "support/journal_events.hpp"
#include "support/temp_dir.hpp"

namespace kiosk_edge {
namespace {

using testing::TempDir;

class VoucherIssueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    JournalOptions options;
    options.path = dir_.path() / "journal.db";
    options.kiosk_id = "kiosk-test";
    options.clock = &clock_;
    options.boot_id = "boot-a";
    journal_ = std::move(Journal::Open(options).value());
    issuer_ = VoucherIssuer{journal_.get(),
                            &clock_,
                            VoucherPolicy{"Tote bag", std::chrono::days(14), VoucherScope::kStore},
                            "kiosk-test",
                            "store-0007",
                            key_.private_key};
  }

  // Runs IssueSignupVoucher on an io_context and waits for it.
  Result<IssuedVoucher> Issue(const std::string& signup_claim) {
    boost::asio::io_context io;
    const std::string campaign = "spring";
    const std::optional<std::string> channel = "EL3-POSTER-V2";
    auto future = boost::asio::co_spawn(
        io, IssueSignupVoucher(issuer_, signup_claim, campaign, channel), boost::asio::use_future);
    io.run();
    return future.get();
  }

  TempDir dir_;
  FakeClock clock_;
  Ed25519KeyPair key_ = GenerateEd25519KeyPair().value();
  std::unique_ptr<Journal> journal_;
  VoucherIssuer issuer_{};
};

TEST_F(VoucherIssueTest, IssuesOneSignedVoucherPerSignup) {
  auto issued = Issue("signup:spring:abc");
  ASSERT_TRUE(issued) << issued.error().message();
  EXPECT_EQ(issued->voucher.gift, "Tote bag");
  EXPECT_EQ(issued->voucher.store_id, "store-0007");
  EXPECT_EQ(issued->voucher.expires_at, 1'800'000'000 + 14 * 86400);

  TrustList trust;
  trust.kiosk_keys["kiosk-test"] = key_.public_key;
  const VoucherCheck check = CheckVoucher(issued->token, trust, "store-0007", 1'800'000'000);
  EXPECT_FALSE(check.refusal) << check.detail;

  const auto again = Issue("signup:spring:abc");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind(), ErrorKind::kConflict);
  ASSERT_TRUE(Issue("signup:spring:other"));
  journal_.reset();

  const auto events = testing::ReadEvents(dir_.path(), "voucher_issued");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].channel_id, "EL3-POSTER-V2");
  EXPECT_EQ(events[0].payload.at("voucher").as_string(), issued->voucher.id);
  EXPECT_EQ(events[0].payload.at("campaign"), "spring");
}

}  // namespace
}  // namespace kiosk_edge
