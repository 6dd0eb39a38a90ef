// Issue 5 with real processes: a kiosk enrolled again while kiosk-agent runs. `kioskctl enroll`
// with a new token certifies the kiosk again and HQ refuses the certificate before from then on;
// the running agent takes the new one at once (kioskctl tells it), without a restart. HQ runs on
// each storage backend.
#include <gtest/gtest.h>

#include <regex>

#include "common/files.hpp"
#include "common/strings.hpp"
#include "common/tls_certs.hpp"
#include "support/child_process.hpp"
#include "support/hq_database.hpp"
#include "support/http_client.hpp"
#include "support/https_once.hpp"
#include "support/phone.hpp"
#include "support/running_agent.hpp"
#include "support/running_profile_store.hpp"
#include "support/temp_dir.hpp"

namespace kiosk_edge {
namespace {

using testing::Backend;
using testing::HttpExchange;
using testing::Kioskctl;
using testing::Phone;
using testing::RunningAgent;
using testing::RunningProfileStore;
using testing::RunProgram;
using testing::TempDir;

constexpr char kRenewingKioskId[] = "kiosk-renewal-1";

class RenewalSyncTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(storage_.ok()) << storage_.error();
    hq_ = std::make_unique<RunningProfileStore>(
        dir_.path() / "hq", 0, dir_.Write("profile-store.toml", storage_.ConfigToml()));
    ASSERT_NE(hq_->port(), 0);
  }

  // `kioskctl enroll` with a fresh token: its output.
  std::string Enroll() {
    const auto enrolled = hq_->EnrollKiosk(kRenewingKioskId, config_, state_);
    EXPECT_EQ(enrolled.exit_code, 0) << enrolled.out << enrolled.err;
    return enrolled.out;
  }

  // A scan on `agent`, then `kioskctl sync now`: its output.
  static std::string ScanAndSync(RunningAgent& agent) {
    EXPECT_EQ(HttpExchange(agent.port(), "GET", agent.ChannelPath("EL3-POSTER-V2")).status, 200);
    const auto synced = Kioskctl(agent, {"sync", "now"});
    return synced.out + synced.err;
  }

  // One count from HQ's database (-1 when unreadable).
  std::int64_t HqCount(const std::string& sql) const {
    auto rows = storage_.Rows(sql, {}, 1);
    EXPECT_TRUE(rows) << rows.error().message();
    return rows && rows->size() == 1 ? std::stoll(rows->front().front()) : -1;
  }

  TempDir dir_;
  testing::HqDatabase storage_{GetParam(), dir_.path() / "hq"};
  std::unique_ptr<RunningProfileStore> hq_;
  const std::string agent_toml_ = StrCat("[kiosk]\nid = \"", kRenewingKioskId, "\"\n");
  const std::filesystem::path config_ = dir_.Write("kiosk-agent.toml", agent_toml_);
  const std::filesystem::path state_ = dir_.path() / "state";
};

TEST_P(RenewalSyncTest, EnrollingAgainRenewsTheRunningAgentsCertificate) {
  EXPECT_EQ(
      Enroll(),
      StrCat("kiosk ", kRenewingKioskId, " enrolled with HQ at https://127.0.0.1:", hq_->port(),
             "\nkiosk-agent is not running: it syncs with HQ from its next start\n"));
  RunningAgent agent(dir_.path(), agent_toml_);
  ASSERT_NE(agent.port(), 0);
  ASSERT_TRUE(ScanAndSync(agent).starts_with("synced: "));
  const std::string before = ReadSmallFile(state_ / "hq-client-cert.pem").value();
  const std::string key = ReadSmallFile(state_ / "device-key.pem").value();

  const std::string renewed = Enroll();
  EXPECT_TRUE(std::regex_search(
      renewed, std::regex("\nkiosk-agent: syncing with the renewed HQ client certificate "
                          "\\(82[45] d left\\)\n$")))
      << renewed;
  EXPECT_NE(ReadSmallFile(state_ / "hq-client-cert.pem").value(), before);
  // HQ refuses the certificate before (in the handshake or with 403); the agent syncs regardless.
  const auto old = testing::HttpsOnce(hq_->port(), ReadSmallFile(hq_->ca_file()).value(),
                                      {"GET", "/v1/sync/config", {}, ""}, {before, key});
  EXPECT_TRUE(!old || old->status == 403u) << old->status;
  EXPECT_TRUE(ScanAndSync(agent).starts_with("synced: "));

  // SIGHUP reads the enrollment again too: nothing new.
  EXPECT_NE(agent.Reload("HQ client certificate")
                .find("SIGHUP: the HQ client certificate is "
                      "unchanged"),
            std::string::npos);
}

// Renewal through HQ over the kiosk's own mutual-TLS connection (what kiosk-agent does by itself
// 60 days before the certificate ends; `kioskctl sync renew-certificate` asks for it now): no
// token, the same device key, and the certificate renewed with stays good until the kiosk renews
// with the new one, in case the answer was lost.
TEST_P(RenewalSyncTest, AnEnrolledAgentRenewsItsCertificateThroughHqWithoutAToken) {
  Enroll();
  RunningAgent agent(dir_.path(), agent_toml_);
  ASSERT_NE(agent.port(), 0);
  ASSERT_TRUE(ScanAndSync(agent).starts_with("synced: "));
  const std::string key = ReadSmallFile(state_ / "device-key.pem").value();
  const std::string ca = ReadSmallFile(hq_->ca_file()).value();
  const auto hq_answers = [this, &ca, &key](const std::string& certificate) {
    const auto answer =
        testing::HttpsOnce(hq_->port(), ca, {"GET", "/v1/sync/config", {}, ""}, {certificate, key});
    return answer ? static_cast<int>(answer->status) : 0;  // 0: refused in the handshake
  };
  const auto renew = [&agent, this] {
    const auto renewed = Kioskctl(agent, {"sync", "renew-certificate"});
    EXPECT_EQ(renewed.exit_code, 0) << renewed.out << renewed.err;
    EXPECT_TRUE(std::regex_match(renewed.out,
                                 std::regex("renewed: the HQ client certificate is valid until "
                                            "20[0-9][0-9]-[0-9-]+T[0-9:]+Z\n")))
        << renewed.out;
    return ReadSmallFile(state_ / "hq-client-cert.pem").value();
  };
  const std::string enrolled = ReadSmallFile(state_ / "hq-client-cert.pem").value();

  const std::string first = renew();
  ASSERT_NE(first, enrolled);
  const CertificateInfo info = ReadCertificate(first).value();
  EXPECT_EQ(info.common_name, kRenewingKioskId);
  EXPECT_NE(info.serial, ReadCertificate(enrolled).value().serial);
  EXPECT_EQ(ReadSmallFile(state_ / "device-key.pem").value(), key) << "the same device key";
  EXPECT_EQ(HqCount(StrCat("SELECT count(*) FROM kiosks WHERE cert_serial = '", info.serial,
                           "' AND previous_cert_serial = '",
                           ReadCertificate(enrolled).value().serial, "'")),
            1);
  EXPECT_EQ(hq_answers(first), 200);
  EXPECT_EQ(hq_answers(enrolled), 200) << "the kiosk may not have got the answer";
  EXPECT_TRUE(ScanAndSync(agent).starts_with("synced: ")) << "with the renewed certificate";

  const std::string second = renew();
  EXPECT_NE(second, first);
  EXPECT_EQ(hq_answers(second), 200);
  EXPECT_EQ(hq_answers(first), 200);
  const int enrolled_now = hq_answers(enrolled);
  EXPECT_TRUE(enrolled_now == 0 || enrolled_now == 403) << enrolled_now;
  const auto status = Kioskctl(agent, {"status"});
  EXPECT_EQ(status.out.find("renewal failed"), std::string::npos) << status.out;
}

// A kiosk enrolled for the first time while kiosk-agent runs syncs at once, and seals what
// shoppers enter from then on for its HQ (not the demo key it started with): HQ opens the signup.
TEST_P(RenewalSyncTest, AnAgentStartedBeforeTheKioskEnrolledSyncsWithoutARestart) {
  RunningAgent agent(dir_.path(), agent_toml_);
  ASSERT_NE(agent.port(), 0);
  EXPECT_EQ(Kioskctl(agent, {"sync", "now"}).err,
            "kioskctl: this kiosk is not enrolled with HQ (kioskctl enroll)\n");
  EXPECT_EQ(Enroll(), StrCat("kiosk ", kRenewingKioskId,
                             " enrolled with HQ at https://127.0.0.1:", hq_->port(),
                             "\nkiosk-agent: the kiosk enrolled with HQ: syncing with ",
                             "https://127.0.0.1:", hq_->port(), "\n"));
  Phone phone(agent.port(), "en");
  ASSERT_EQ(phone.SignUp("EL3-POSTER-V2", "Wei Zhang", "13812345678").status, 200);
  ASSERT_TRUE(ScanAndSync(agent).starts_with("synced: "));
  EXPECT_EQ(HqCount("SELECT count(*) FROM profiles"), 1) << "HQ opened the sealed phone";
  EXPECT_EQ(HqCount("SELECT count(*) FROM signups"), 1);
  EXPECT_EQ(HqCount("SELECT count(*) FROM dead_letters"), 0);
  EXPECT_EQ(agent.Reload("HQ client certificate").find("restart"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Backends, RenewalSyncTest, testing::BothBackends(), testing::BackendName);

}  // namespace
}  // namespace kiosk_edge
