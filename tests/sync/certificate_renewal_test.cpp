// Renewing the kiosk's client certificate through HQ: when it is due, the wire format, and the
// sync client asking for it after a round that reached HQ, retrying a refusal an hour later.
#include "sync/protocol/certificate_renewal.hpp"

#include <gtest/gtest.h>

#include "support/eventually.hpp"
#include "sync/sync_client_fakes.hpp"

namespace kiosk_edge {
namespace {

using namespace std::chrono_literals;
using std::chrono::system_clock;
using testing::Eventually;
using testing::SyncClientTest;

TEST(CertificateRenewalTest, IsDueSixtyDaysBeforeTheEndOrWithAThirdOfAShortLifeLeft) {
  const system_clock::time_point issued(std::chrono::seconds(1'800'000'000));
  EXPECT_EQ(CertificateRenewalDue(issued, issued + std::chrono::days(825)),
            issued + std::chrono::days(765));
  EXPECT_EQ(CertificateRenewalDue(issued, issued + std::chrono::days(30)),
            issued + std::chrono::days(20));
  // A renewed short-lived certificate is not due at once: no renewal loop.
  EXPECT_GT(CertificateRenewalDue(issued - 1h, issued + std::chrono::days(1)), issued);
}

TEST(CertificateRenewalTest, RequestsAndAnswersRoundTripAndAnythingElseIsRefused) {
  EXPECT_EQ(DecodeRenewalRequest(EncodeRenewalRequest("CSR PEM")).value(), "CSR PEM");
  EXPECT_EQ(DecodeRenewalAnswer(EncodeRenewalAnswer("CERT PEM")).value(), "CERT PEM");
  for (const std::string_view body :
       {"", "[]", "{}", R"({"csr":1})", R"({"csr":"x","extra":1})", R"({"certificate":"x"})"}) {
    auto decoded = DecodeRenewalRequest(body);
    ASSERT_FALSE(decoded) << body;
    EXPECT_EQ(decoded.error().kind(), ErrorKind::kInvalidArgument) << body;
    EXPECT_NE(decoded.error().message().find("certificate renewal request"), std::string::npos)
        << decoded.error().message();
  }
  EXPECT_FALSE(DecodeRenewalRequest(EncodeRenewalRequest(std::string(kMaxCsrPemBytes + 1, 'x'))));
  EXPECT_FALSE(DecodeRenewalAnswer(R"({"csr":"x"})"));
}

// The kiosk's certificate in memory: renewal due when the test says; a renewed one is not due.
class FakeCertificate final : public ClientCertificateHolder {
 public:
  void SetDue(system_clock::time_point due) {
    std::lock_guard lock(mutex_);
    due_ = due;
  }
  system_clock::time_point RenewalDue() const override {
    std::lock_guard lock(mutex_);
    return due_;
  }
  Result<std::string> MakeCsr() const override { return std::string("CSR for kiosk-a"); }
  boost::asio::awaitable<Result<void>> Install(std::string certificate_pem) override {
    std::lock_guard lock(mutex_);
    if (refuse_install_) co_return Error(ErrorKind::kIo, "disk full");
    installed_.push_back(std::move(certificate_pem));
    due_ = system_clock::time_point::max();
    co_return Result<void>{};
  }
  void RefuseInstall() {
    std::lock_guard lock(mutex_);
    refuse_install_ = true;
  }
  std::vector<std::string> installed() const {
    std::lock_guard lock(mutex_);
    return installed_;
  }

 private:
  mutable std::mutex mutex_;
  system_clock::time_point due_ = system_clock::time_point::max();
  bool refuse_install_ = false;
  std::vector<std::string> installed_;
};

class SyncClientRenewalTest : public SyncClientTest {
 protected:
  // Runs the client with `certificate_` until its first round has finished.
  void Start() {
    SyncClientOptions options = FastOptions();
    options.client_certificate = &certificate_;
    MakeClient(options);
    StartRunning();
    ASSERT_TRUE(Eventually([this] { return client_->Status().rounds_finished >= 1; }));
  }
  // One more round, asked for as "kioskctl sync now" (or "sync renew-certificate") does.
  void Round(bool renew_now = false) {
    const std::int64_t started_before = client_->Status().rounds_started;
    if (renew_now) {
      client_->RenewCertificateNow();
    } else {
      client_->SyncNow();
    }
    ASSERT_TRUE(Eventually([&] { return client_->Status().rounds_finished > started_before; }));
  }

  FakeCertificate certificate_;
};

TEST_F(SyncClientRenewalTest, RenewsInTheFirstRoundAfterTheCertificateIsDue) {
  certificate_.SetDue(clock_.WallNow() + 1h);
  Start();
  Round();
  EXPECT_TRUE(hq_.renewal_csrs().empty());

  clock_.Advance(2h);
  Round();
  EXPECT_EQ(hq_.renewal_csrs(), std::vector<std::string>{"CSR for kiosk-a"});
  EXPECT_EQ(certificate_.installed(), std::vector<std::string>{"certificate 1"});
  const SyncStatus status = client_->Status();
  EXPECT_EQ(status.certificate_renewed, clock_.WallNow());
  EXPECT_EQ(status.certificate_renewal_error, "");

  Round();  // the renewed certificate is not due
  EXPECT_EQ(hq_.renewal_csrs().size(), 1u);
}

TEST_F(SyncClientRenewalTest, ARefusedRenewalIsTriedAgainAnHourLaterNotEveryRound) {
  hq_.renewal_refusal = 409;
  certificate_.SetDue(clock_.WallNow() - 1h);
  Start();
  EXPECT_EQ(hq_.renewal_csrs().size(), 1u);
  SyncStatus status = client_->Status();
  EXPECT_NE(status.certificate_renewal_error.find("409"), std::string::npos)
      << status.certificate_renewal_error;
  EXPECT_NE(status.certificate_renewal_error.find("refused by the test"), std::string::npos);
  EXPECT_EQ(status.consecutive_failures, 0) << "the sync itself went well";
  EXPECT_EQ(status.last_error, "");

  Round();
  EXPECT_EQ(hq_.renewal_csrs().size(), 1u) << "retried before the hour was up";
  clock_.Advance(61min);
  hq_.renewal_refusal.reset();
  Round();
  EXPECT_EQ(hq_.renewal_csrs().size(), 2u);
  EXPECT_EQ(certificate_.installed(), std::vector<std::string>{"certificate 2"});
  status = client_->Status();
  EXPECT_EQ(status.certificate_renewal_error, "");
  EXPECT_TRUE(status.certificate_renewed);
}

TEST_F(SyncClientRenewalTest, ABusyHqIsAskedAgainAfterItsRetryAfterNotAnHourLater) {
  hq_.renewal_refusal = 503;
  hq_.renewal_retry_after = "30";
  certificate_.SetDue(clock_.WallNow() - 1h);
  Start();
  EXPECT_EQ(hq_.renewal_csrs().size(), 1u);
  EXPECT_NE(client_->Status().certificate_renewal_error.find("HQ is busy (503)"), std::string::npos)
      << client_->Status().certificate_renewal_error;

  Round();
  EXPECT_EQ(hq_.renewal_csrs().size(), 1u) << "retried before HQ's Retry-After";
  clock_.Advance(31s);
  hq_.renewal_retry_after.reset();  // busy again, without a Retry-After: a minute
  Round();
  EXPECT_EQ(hq_.renewal_csrs().size(), 2u) << "HQ said 30 s";

  clock_.Advance(59s);
  Round();
  EXPECT_EQ(hq_.renewal_csrs().size(), 2u);
  clock_.Advance(2s);
  hq_.renewal_refusal.reset();
  Round();
  EXPECT_EQ(hq_.renewal_csrs().size(), 3u);
  EXPECT_EQ(certificate_.installed(), std::vector<std::string>{"certificate 3"});
  EXPECT_EQ(client_->Status().certificate_renewal_error, "");
}

TEST_F(SyncClientRenewalTest, RenewCertificateNowRenewsBeforeItIsDueAndReportsWhatFailed) {
  Start();
  EXPECT_TRUE(hq_.renewal_csrs().empty());
  Round(/*renew_now=*/true);
  EXPECT_EQ(certificate_.installed(), std::vector<std::string>{"certificate 1"});

  certificate_.RefuseInstall();
  Round(/*renew_now=*/true);
  EXPECT_EQ(hq_.renewal_csrs().size(), 2u);
  EXPECT_EQ(certificate_.installed().size(), 1u);
  EXPECT_EQ(client_->Status().certificate_renewal_error, "disk full");
}

}  // namespace
}  // namespace kiosk_edge
