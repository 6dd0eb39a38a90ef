// Issue 7 with real processes: an enrolled kiosk syncs on `kioskctl sync now`, `kioskctl status`
// reports it, and kiosk-agent's and profile-store's /metrics count the same batches exactly. HQ
// runs on each storage backend.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <boost/json/parse.hpp>
#include <cstdlib>
#include <regex>

#include "common/clock.hpp"
#include "common/files.hpp"
#include "common/local_http_client.hpp"
#include "common/strings.hpp"
#include "support/hq_database.hpp"
#include "support/http_client.hpp"
#include "support/kiosk_https.hpp"
#include "support/metrics_text.hpp"
#include "support/running_agent.hpp"
#include "support/running_profile_store.hpp"
#include "support/temp_dir.hpp"
#include "sync/profile_store/hq_api_client.hpp"
#include "sync/profile_store/hq_api_tokens.hpp"
#include "sync/profile_store/report_time.hpp"

namespace kiosk_edge {
namespace {

using testing::Backend;
using testing::HttpExchange;
using testing::Kioskctl;
using testing::LineStartingWith;
using testing::RunningAgent;
using testing::RunningProfileStore;
using testing::RunProgram;
using testing::Sample;
using testing::TempDir;
using testing::WriteKioskCertificate;

constexpr char kMetricsKioskId[] = "kiosk-metrics-1";

class MetricsSyncTest : public ::testing::TestWithParam<Backend> {};

TEST_P(MetricsSyncTest, SyncNowStatusAndBothServersMetricsAgree) {
  TempDir dir;
  const testing::HqDatabase storage(GetParam(), dir.path() / "hq");
  ASSERT_TRUE(storage.ok()) << storage.error();
  const std::string api_token = NewHqApiToken().value();
  const auto hq_config =
      dir.Write("profile-store.toml",
                StrCat(HqApiTokenConfigLines("monitoring", api_token,
                                             static_cast<std::uint8_t>(HqApiScope::kMetrics) |
                                                 static_cast<std::uint8_t>(HqApiScope::kReports)),
                       "\n", storage.ConfigToml()));
  auto hq = std::make_unique<RunningProfileStore>(dir.path() / "hq", 0, hq_config);
  ASSERT_NE(hq->port(), 0);
  // The kiosk serves phones over [https] (for long enough not to need attention) and reports
  // the certificate's end to HQ.
  WriteKioskCertificate(dir, std::chrono::days(90));
  const std::string agent_toml =
      StrCat("[kiosk]\nid = \"", kMetricsKioskId, "\"\n", testing::HttpsConfig(dir));
  const auto agent_config = dir.Write("kiosk-agent.toml", agent_toml);
  const auto enrolled = hq->EnrollKiosk(kMetricsKioskId, agent_config, dir.path() / "state");
  ASSERT_EQ(enrolled.exit_code, 0) << enrolled.err;
  RunningAgent agent(dir.path(), agent_toml);
  ASSERT_NE(agent.port(), 0);

  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(HttpExchange(agent.port(), "GET", agent.ChannelPath("EL3-POSTER-V2")).status, 200);
  }
  const auto synced = Kioskctl(agent, {"sync", "now"});
  ASSERT_EQ(synced.exit_code, 0) << synced.out << synced.err;
  EXPECT_TRUE(synced.out.starts_with("synced: ")) << synced.out;

  const auto status = Kioskctl(agent, {"status"});
  EXPECT_EQ(status.exit_code, 0) << status.out;
  EXPECT_TRUE(std::regex_match(LineStartingWith(status.out, "journal:"),
                               std::regex(R"(journal:  \d+ events, 0 unsynced, 0 dead letters)")))
      << status.out;
  EXPECT_TRUE(
      std::regex_match(LineStartingWith(status.out, "sync:"),
                       std::regex(R"(sync:     HQ reachable; last synced \S+Z \(\d+ s ago\))")))
      << status.out;
  EXPECT_TRUE(std::regex_match(
      LineStartingWith(status.out, "enrolled:"),
      std::regex(R"(enrolled: HQ client certificate valid until \S+Z \(82[45] d left\))")))
      << status.out;
  EXPECT_EQ(LineStartingWith(status.out, "status:"), "status:   ok");

  // Both servers count the same batches: the kiosk's uploads are HQ's ingests.
  const auto admin = boost::json::parse(
      LocalHttpRequest(agent.state_dir() / "kioskctl.sock", "GET", "/admin/status").value().body);
  const std::int64_t batches = admin.at("sync").at("batches_sent").as_int64();
  ASSERT_GT(batches, 0);
  // HQ's Date told the kiosk its clock is HQ's (one machine), to within the Date's second.
  EXPECT_LE(std::abs(admin.at("sync").at("clock_offset_ms").as_int64()), 2000) << admin;
  const auto kiosk_metrics = HttpExchange(agent.port(), "GET", "/metrics");
  ASSERT_EQ(kiosk_metrics.status, 200);
  EXPECT_EQ(Sample(kiosk_metrics.body, "kiosk_captures_total{type=\"scan\"}"),
            "kiosk_captures_total{type=\"scan\"} 3");
  EXPECT_EQ(Sample(kiosk_metrics.body, "kiosk_journal_depth"), "kiosk_journal_depth 0");
  EXPECT_EQ(Sample(kiosk_metrics.body, "kiosk_sync_lag_seconds"), "kiosk_sync_lag_seconds 0");
  EXPECT_EQ(Sample(kiosk_metrics.body, "kiosk_sync_batch_upload_seconds_count"),
            StrCat("kiosk_sync_batch_upload_seconds_count ", batches));

  HqApiClientOptions client{StrCat("https://127.0.0.1:", hq->port()), api_token,
                            ReadSmallFile(hq->ca_file()).value()};
  const auto hq_metrics = HqApiGet(client, "/metrics");
  ASSERT_TRUE(hq_metrics) << hq_metrics.error().message();
  ASSERT_EQ(hq_metrics->status, 200u) << hq_metrics->body;
  EXPECT_EQ(Sample(hq_metrics->body, "profile_store_batch_ingest_seconds_count"),
            StrCat("profile_store_batch_ingest_seconds_count ", batches))
      << hq_metrics->body;
  EXPECT_TRUE(std::regex_search(hq_metrics->body,
                                std::regex("\nprofile_store_http_responses_total\\{code=\"200\"\\} "
                                           "[1-9][0-9]*\n")))
      << hq_metrics->body;
  // The kiosk's health: nothing needs attention.
  EXPECT_EQ(Sample(hq_metrics->body, "profile_store_kiosks{state=\"ok\"}"),
            "profile_store_kiosks{state=\"ok\"} 1")
      << hq_metrics->body;
  EXPECT_EQ(Sample(hq_metrics->body, "profile_store_kiosks{state=\"attention\"}"),
            "profile_store_kiosks{state=\"attention\"} 0")
      << hq_metrics->body;
  // HQ's kiosk health has the kiosk's report of its journal: nothing left behind.
  const auto health = HqApiGet(client, "/v1/kiosks/health");
  ASSERT_TRUE(health) << health.error().message();
  const auto kiosks = boost::json::parse(health->body).at("kiosks").as_array();
  ASSERT_EQ(kiosks.size(), 1u) << health->body;
  EXPECT_EQ(kiosks[0].at("backlog"), 0) << health->body;
  EXPECT_GT(kiosks[0].at("high_water").as_int64(), 0) << health->body;
  // The kiosk's config pulls told HQ its clock: the same machine's, so within a minute of HQ's.
  EXPECT_LE(std::abs(kiosks[0].at("clock_offset_seconds").as_int64()), 60) << health->body;
  // ... and the ends of the certificate it serves phones with and of the one it syncs with.
  const auto end_of = [](const std::filesystem::path& certificate) -> std::string {
    const auto not_after = CertificateNotAfter(ReadSmallFile(certificate).value());
    EXPECT_TRUE(not_after) << certificate;
    if (!not_after) return "";
    return FormatReportTime(UnixMs(*not_after), 0);
  };
  EXPECT_EQ(kiosks[0].at("https_certificate_not_after").as_string(), end_of(dir / "kiosk.pem"))
      << health->body;
  const std::int64_t https_left = kiosks[0].at("https_certificate_seconds_left").as_int64();
  EXPECT_GT(https_left, 90 * 86'400 - 600) << health->body;
  EXPECT_LE(https_left, 90 * 86'400) << health->body;
  EXPECT_EQ(kiosks[0].at("client_certificate_not_after").as_string(),
            end_of(agent.state_dir() / "hq-client-cert.pem"))
      << health->body;
  EXPECT_GT(kiosks[0].at("client_certificate_seconds_left").as_int64(), 800 * 86'400)
      << health->body;  // enrollment certifies for 825 days by default

  client.token.clear();
  const auto anonymous = HqApiGet(client, "/metrics");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401u);

  // HQ goes away: sync now fails, and status needs attention once the kiosk is behind.
  hq->Stop();
  ASSERT_EQ(HttpExchange(agent.port(), "GET", agent.ChannelPath("EL3-POSTER-V2")).status, 200);
  const auto failed = Kioskctl(agent, {"sync", "now", "--timeout-seconds", "20"});
  EXPECT_EQ(failed.exit_code, 1) << failed.out << failed.err;
  EXPECT_TRUE(failed.out.starts_with("sync failed: ")) << failed.out;
  const auto behind = Kioskctl(agent, {"status", "--max-offline-minutes", "0"});
  EXPECT_EQ(behind.exit_code, 1) << behind.out;
  EXPECT_TRUE(LineStartingWith(behind.out, "status:")
                  .starts_with("status:   needs attention: not synced with HQ for "))
      << behind.out;
  EXPECT_TRUE(LineStartingWith(behind.out, "sync:").starts_with("sync:     HQ unreachable; "))
      << behind.out;
}

INSTANTIATE_TEST_SUITE_P(Backends, MetricsSyncTest, testing::BothBackends(), testing::BackendName);

}  // namespace
}  // namespace kiosk_edge
