// kioskctl status, sync now, events tail and voucher show against a real kiosk-agent, and
// kiosk-agent's GET /metrics (admin socket, and loopback-only on the main port).
#include "agent/kioskctl_status.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/parse.hpp>
#include <regex>
#include <sstream>

#include "agent/admin_status.hpp"
#include "agent/voucher_token.hpp"
#include "common/crypto.hpp"
#include "common/files.hpp"
#include "common/local_http_client.hpp"
#include "common/strings.hpp"
#include "kiosk/scanner/image_files.hpp"
#include "support/child_process.hpp"
#include "support/clerk.hpp"
#include "support/eventually.hpp"
#include "support/http_client.hpp"
#include "support/metrics_text.hpp"
#include "support/running_agent.hpp"
#include "support/temp_dir.hpp"

namespace kiosk_edge {
namespace {

using testing::Clerk;
using testing::CommandResult;
using testing::Eventually;
using testing::HttpExchange;
using testing::Kioskctl;
using testing::LineStartingWith;
using testing::RunningAgent;
using testing::Sample;
using testing::TempDir;

std::string AdminGet(const RunningAgent& agent, const std::string& target) {
  auto response = LocalHttpRequest(agent.state_dir() / "kioskctl.sock", "GET", target);
  EXPECT_TRUE(response) << response.error().message();
  return response ? response->body : std::string();
}

boost::json::object Status(std::int64_t now_ms, boost::json::object journal,
                           boost::json::object sync, std::string camera_state = "running") {
  return {{"now_ms", now_ms},
          {"journal", std::move(journal)},
          {"sync", std::move(sync)},
          {"camera", {{"state", camera_state}, {"device", "/dev/video0"}, {"message", "gone"}}}};
}

TEST(KioskctlStatusTest, AttentionNamesEveryProblem) {
  const boost::json::object healthy_journal{
      {"dead_letter_count", 0}, {"size_bytes", 800}, {"budget_bytes", 1000}};
  const boost::json::object synced{{"enrolled", true},
                                   {"last_synced_ms", 1'000'000},
                                   {"rounds_finished", 3},
                                   {"last_error", ""}};
  EXPECT_EQ(StatusAttention(Status(1'000'000 + 60 * 60'000, healthy_journal, synced), 60), "")
      << "80% exactly and 60 minutes exactly are still fine";
  EXPECT_EQ(StatusAttention(Status(1'000'000, healthy_journal, {{"enrolled", false}}), 60), "");

  const boost::json::object full_journal{
      {"dead_letter_count", 2}, {"size_bytes", 801}, {"budget_bytes", 1000}};
  boost::json::object offline = synced;
  offline["last_error"] = "connection refused";
  EXPECT_EQ(StatusAttention(Status(1'000'000 + 61 * 60'000, full_journal, offline, "failed"), 60),
            "2 events HQ refused are in the dead-letter table; the journal uses 80% of its disk "
            "budget; the counter camera /dev/video0 failed: gone; not synced with HQ for 61 min: "
            "connection refused");

  const boost::json::object never{
      {"enrolled", true}, {"rounds_finished", 1}, {"last_error", "HQ is busy (503)"}};
  EXPECT_EQ(StatusAttention(Status(5, healthy_journal, never), 60),
            "enrolled but not synced with HQ since the agent started: HQ is busy (503)");
  boost::json::object starting = never;
  starting["rounds_finished"] = 0;
  EXPECT_EQ(StatusAttention(Status(5, healthy_journal, starting), 60), "")
      << "no attempt finished yet";
}

TEST(KioskctlStatusTest, AttentionNamesAnExpiringOrExpiredHttpsCertificate) {
  const boost::json::object journal{
      {"dead_letter_count", 0}, {"size_bytes", 0}, {"budget_bytes", 1000}};
  constexpr std::int64_t kNow = 1'800'000'000'000, kDay = 86'400'000;
  const auto with_certificate = [&](std::int64_t not_after_ms) {
    boost::json::object status = Status(kNow, journal, {{"enrolled", false}});
    status["https"] = {{"certificate_not_after_ms", not_after_ms}};
    return status;
  };
  EXPECT_EQ(StatusAttention(with_certificate(kNow + 14 * kDay), 60), "") << "14 days is fine";
  EXPECT_EQ(StatusAttention(with_certificate(kNow + 3 * kDay), 60),
            "the [https] certificate expires in 3 d");
  EXPECT_EQ(StatusAttention(with_certificate(kNow), 60),
            "the [https] certificate has expired: phones see a warning instead of the pages");
  boost::json::object without = Status(kNow, journal, {{"enrolled", false}});
  without["https"] = nullptr;
  EXPECT_EQ(StatusAttention(without, 60), "");
}

// kiosk-agent renews the HQ client certificate 60 days before its end: status warns 30 days
// ahead, after a month of failed renewals.
TEST(KioskctlStatusTest, AttentionNamesAnExpiringOrExpiredHqClientCertificate) {
  const boost::json::object journal{
      {"dead_letter_count", 0}, {"size_bytes", 0}, {"budget_bytes", 1000}};
  constexpr std::int64_t kNow = 1'800'000'000'000, kDay = 86'400'000;
  const auto with_certificate = [&](std::int64_t not_after_ms) {
    return Status(kNow, journal,
                  {{"enrolled", true},
                   {"last_synced_ms", kNow},
                   {"client_certificate_not_after_ms", not_after_ms}});
  };
  EXPECT_EQ(StatusAttention(with_certificate(kNow + 30 * kDay), 60), "") << "30 days is fine";
  EXPECT_EQ(
      StatusAttention(with_certificate(kNow + 29 * kDay), 60),
      "the HQ client certificate expires in 29 d: kiosk-agent has not renewed it (the sync line "
      "says why; kioskctl sync renew-certificate)");
  EXPECT_EQ(StatusAttention(with_certificate(kNow - 1), 60),
            "the HQ client certificate has expired: HQ refuses this kiosk until it enrolls again");
}

// HQ's Date on its config answers tells the kiosk how far its clock is off (the sync client's
// clock_offset_ms): 5 min or more, ahead or behind, needs attention.
TEST(KioskctlStatusTest, AttentionNamesAClockFiveMinutesOffHqs) {
  const boost::json::object journal{
      {"dead_letter_count", 0}, {"size_bytes", 0}, {"budget_bytes", 1000}};
  constexpr std::int64_t kNow = 1'800'000'000'000;
  const auto with_offset = [&](std::int64_t offset_ms) {
    return Status(kNow, journal,
                  {{"enrolled", true}, {"last_synced_ms", kNow}, {"clock_offset_ms", offset_ms}});
  };
  EXPECT_EQ(StatusAttention(with_offset(299'999), 60), "");
  EXPECT_EQ(StatusAttention(with_offset(-299'999), 60), "");
  EXPECT_EQ(StatusAttention(with_offset(7 * 60'000), 60),
            "the kiosk's clock is 7 min ahead of HQ's (events are dated and vouchers expire by "
            "it)");
  EXPECT_EQ(StatusAttention(with_offset(-3 * 3'600'000), 60),
            "the kiosk's clock is 3 h behind HQ's (events are dated and vouchers expire by "
            "it)");
}

TEST(KioskctlStatusTest, StatusOfAHealthyKioskThatIsNotEnrolled) {
  TempDir dir;
  RunningAgent agent(dir.path(), "[kiosk]\nid = \"kiosk-status-1\"\nstore_id = \"store-9\"\n");
  ASSERT_NE(agent.port(), 0);
  ASSERT_EQ(HttpExchange(agent.port(), "GET", agent.ChannelPath("EL3-POSTER-V2")).status, 200);
  const auto status = boost::json::parse(AdminGet(agent, "/admin/status")).as_object();
  const std::int64_t last_seq = status.at("journal").at("last_seq").as_int64();

  const auto shown = Kioskctl(agent, {"status"});
  EXPECT_EQ(shown.exit_code, 0) << shown.out << shown.err;
  EXPECT_EQ(LineStartingWith(shown.out, "kiosk:"), "kiosk:    kiosk-status-1 (store store-9)");
  EXPECT_EQ(LineStartingWith(shown.out, "journal:"),
            StrCat("journal:  ", last_seq, " events, ", last_seq, " unsynced, 0 dead letters"));
  EXPECT_TRUE(std::regex_match(LineStartingWith(shown.out, "disk:"),
                               std::regex(R"(disk:     \d+\.\d MiB of 512\.0 MiB budget \(0%\))")))
      << shown.out;
  EXPECT_EQ(LineStartingWith(shown.out, "sync:"), "sync:     not enrolled with HQ");
  EXPECT_EQ(LineStartingWith(shown.out, "camera:"),
            "camera:   not_configured (no counter camera configured)");
  EXPECT_EQ(LineStartingWith(shown.out, "https:"), "") << "no [https], no line";
  EXPECT_EQ(LineStartingWith(shown.out, "status:"), "status:   ok");

  const auto sync = Kioskctl(agent, {"sync", "now"});
  EXPECT_EQ(sync.exit_code, 1);
  EXPECT_EQ(sync.err, "kioskctl: this kiosk is not enrolled with HQ (kioskctl enroll)\n");
  EXPECT_EQ(Kioskctl(agent, {"status", "--max-offline-minutes", "soon"}).exit_code, 2);
}

TEST(KioskctlStatusTest, StatusNeedsAttentionWhenTheCameraFails) {
  TempDir dir;
  const std::filesystem::path missing = "/dev/kiosk-edge-test-no-such-camera";
  RunningAgent agent(dir.path(), StrCat("[counter]\ncamera_device = \"", missing.string(), "\"\n"));
  ASSERT_NE(agent.port(), 0);
  CommandResult shown;
  // The camera's worker thread opens the device on its own time.
  Eventually(
      [&] {
        shown = Kioskctl(agent, {"status"});
        return shown.exit_code != 0;
      },
      std::chrono::seconds(30));
  EXPECT_EQ(shown.exit_code, 1) << shown.out;
  const std::string line = LineStartingWith(shown.out, "status:");
  EXPECT_TRUE(line.starts_with(
      StrCat("status:   needs attention: the counter camera ", missing.string(), " failed: ")))
      << shown.out;
}

TEST(KioskctlStatusTest, EventsTailShowsTheNewestEventsWithoutTheirContents) {
  TempDir dir;
  RunningAgent agent(dir.path());
  ASSERT_NE(agent.port(), 0);
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(HttpExchange(agent.port(), "GET", agent.ChannelPath("EL3-POSTER-V2")).status, 200);
  }
  ASSERT_EQ(HttpExchange(agent.port(), "GET", "/C/FORGED.AAAAAAAAAAAAAAAA").status, 200);
  const auto status = boost::json::parse(AdminGet(agent, "/admin/status")).as_object();
  const std::int64_t last = status.at("journal").at("last_seq").as_int64();

  const auto tail = Kioskctl(agent, {"events", "tail", "--n", "3"});
  ASSERT_EQ(tail.exit_code, 0) << tail.err;
  const std::regex line(R"((\d+)\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\t(\w+)\t(\S+))");
  std::istringstream lines(tail.out);
  std::vector<std::string> seen;
  for (std::string text; std::getline(lines, text);) {
    std::smatch match;
    ASSERT_TRUE(std::regex_match(text, match, line)) << text;
    seen.push_back(StrCat(match[1].str(), " ", match[2].str(), " ", match[3].str()));
  }
  EXPECT_EQ(seen, (std::vector<std::string>{StrCat(last - 2, " scan EL3-POSTER-V2"),
                                            StrCat(last - 1, " scan EL3-POSTER-V2"),
                                            StrCat(last, " scan -")}));
  EXPECT_EQ(tail.out.find("valid"), std::string::npos) << "no payload";

  // --follow: the newest event, then each new one as it is committed.
  std::ostringstream out, err;
  int calls = 0;
  const KioskctlOptions options{{"n", "1"}, {"follow", "yes"}};
  const std::string_view words[] = {"tail"};
  const int code = EventsCommand(agent.state_dir(), words, options, out, err, [&] {
    if (++calls == 1) {  // after the first page: a new scan arrives
      HttpExchange(agent.port(), "GET", agent.ChannelPath("EL3-POSTER-V2"));
      return true;
    }
    return out.str().find(StrCat(last + 1, "\t")) == std::string::npos;
  });
  EXPECT_EQ(code, 0) << err.str();
  std::istringstream followed(out.str());
  std::string first, second;
  std::getline(followed, first);
  std::getline(followed, second);
  EXPECT_TRUE(first.starts_with(StrCat(last, "\t"))) << out.str();
  EXPECT_TRUE(second.starts_with(StrCat(last + 1, "\t"))) << out.str();
  EXPECT_TRUE(second.ends_with("\tscan\tEL3-POSTER-V2")) << out.str();
}

TEST(KioskctlStatusTest, VoucherShowDecodesChecksAndFindsRedemptionsWithoutRedeeming) {
  TempDir dir;
  RunningAgent agent(dir.path(), "[kiosk]\nid = \"kiosk-voucher-1\"\nstore_id = \"store-1\"\n");
  ASSERT_NE(agent.port(), 0);
  const std::string key =
      Ed25519PrivateKeyFromPem(ReadSmallFile(agent.state_dir() / "device-key.pem").value()).value();
  const Voucher voucher{"0123456789abcdef",   "kiosk-voucher-1", "store-1",
                        VoucherScope::kStore, "Tote bag",        4'102'444'800};  // 2100-01-01
  const std::string token = SignVoucherToken(voucher, key).value();

  const auto fresh = Kioskctl(agent, {"voucher", "show", token});
  EXPECT_EQ(fresh.exit_code, 0) << fresh.err;
  EXPECT_EQ(fresh.out,
            "voucher:  0123456789abcdef\n"
            "signer:   kiosk-voucher-1\n"
            "gift:     Tote bag\n"
            "store:    store-1\n"
            "scope:    store\n"
            "expires:  2100-01-01T00:00:00Z\n"
            "verdict:  redeemable\n");
  EXPECT_EQ(Kioskctl(agent, {"voucher", "show", token}).out, fresh.out) << "show never redeems";

  Clerk clerk(agent.port(), "demo", agent.demo_pin());
  ASSERT_TRUE(clerk.logged_in());
  ASSERT_EQ(clerk.RedeemRaw(token, "typed", clerk.csrf()).status, 200);
  // Again: refused, already redeemed.
  ASSERT_EQ(clerk.RedeemRaw(token, "typed", clerk.csrf()).status, 200);
  const auto redeemed = Kioskctl(agent, {"voucher", "show", token});
  EXPECT_EQ(redeemed.exit_code, 0) << redeemed.err;
  EXPECT_NE(redeemed.out.find("verdict:  redeemed\n"), std::string::npos) << redeemed.out;
  EXPECT_TRUE(std::regex_search(
      redeemed.out,
      std::regex(R"(redeemed: \S+Z at kiosk kiosk-voucher-1 by staff demo \(seq \d+\)\n)")))
      << redeemed.out;
  EXPECT_TRUE(std::regex_search(redeemed.out,
                                std::regex(R"(refused:  \S+Z already_redeemed \(seq \d+\)\n)")))
      << redeemed.out;

  const auto garbage = Kioskctl(agent, {"voucher", "show", "V1.NOTAVOUCHER"});
  EXPECT_EQ(garbage.exit_code, 1);
  EXPECT_TRUE(garbage.out.starts_with("verdict:  refused (not_a_voucher: ")) << garbage.out;
}

TEST(KioskctlStatusTest, MetricsCountScansRedemptionsAndResponsesExactly) {
  TempDir dir;
  RunningAgent agent(dir.path());
  ASSERT_NE(agent.port(), 0);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(HttpExchange(agent.port(), "GET", agent.ChannelPath("EL3-POSTER-V2")).status, 200);
  }
  ASSERT_EQ(HttpExchange(agent.port(), "GET", "/no-such-page").status, 404);

  const std::string metrics = AdminGet(agent, "/metrics");
  EXPECT_EQ(Sample(metrics, "kiosk_captures_total{type=\"scan\"}"),
            "kiosk_captures_total{type=\"scan\"} 3")
      << metrics;
  EXPECT_EQ(Sample(metrics, "kiosk_captures_total{type=\"signup\"}"),
            "kiosk_captures_total{type=\"signup\"} 0");
  EXPECT_EQ(Sample(metrics, "kiosk_redemptions_total"), "kiosk_redemptions_total 0");
  EXPECT_EQ(Sample(metrics, "kiosk_http_responses_total{code=\"200\",server=\"main\"}"),
            "kiosk_http_responses_total{code=\"200\",server=\"main\"} 3");
  EXPECT_EQ(Sample(metrics, "kiosk_http_responses_total{code=\"404\",server=\"main\"}"),
            "kiosk_http_responses_total{code=\"404\",server=\"main\"} 1");
  EXPECT_NE(metrics.find("# TYPE kiosk_sync_batch_upload_seconds histogram\n"), std::string::npos);
  EXPECT_EQ(Sample(metrics, "kiosk_scanner_decode_seconds_count"),
            "kiosk_scanner_decode_seconds_count 0");
  const auto status = boost::json::parse(AdminGet(agent, "/admin/status")).as_object();
  EXPECT_EQ(Sample(metrics, "kiosk_journal_depth"),
            StrCat("kiosk_journal_depth ", status.at("journal").at("unsynced_count").as_int64()));
  EXPECT_TRUE(std::regex_search(metrics, std::regex("\nkiosk_sync_lag_seconds [0-9.e+-]+\n")));

  // A refusal, by reason; and the main port serves the same text to loopback clients.
  Clerk clerk(agent.port(), "demo", agent.demo_pin());
  ASSERT_TRUE(clerk.logged_in());
  ASSERT_EQ(clerk.RedeemRaw("not a voucher", "typed", clerk.csrf()).status, 200);
  const GreyImage blank{64, 64, std::vector<std::uint8_t>(64 * 64, 255)};
  ASSERT_EQ(clerk.PostFrame(EncodeJpeg(blank, 90).value(), "image/jpeg").status, 200);
  const auto main_port = HttpExchange(agent.port(), "GET", "/metrics");
  ASSERT_EQ(main_port.status, 200);
  EXPECT_EQ(main_port.Header("content-type"), "text/plain; version=0.0.4");
  EXPECT_EQ(Sample(main_port.body, "kiosk_redemption_refusals_total{reason=\"not_a_voucher\"}"),
            "kiosk_redemption_refusals_total{reason=\"not_a_voucher\"} 1")
      << main_port.body;
  EXPECT_EQ(Sample(main_port.body, "kiosk_scanner_decode_seconds_count"),
            "kiosk_scanner_decode_seconds_count 1");
  EXPECT_EQ(Sample(main_port.body, "kiosk_http_responses_total{code=\"200\",server=\"admin\"}"),
            "kiosk_http_responses_total{code=\"200\",server=\"admin\"} 2");
}

// The main port answers /metrics to loopback clients only; others get the next handler's 404.
TEST(KioskctlStatusTest, MetricsOnTheMainPortAreForLoopbackOnly) {
  EXPECT_TRUE(IsLoopbackAddress("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackAddress("127.3.2.1"));
  EXPECT_TRUE(IsLoopbackAddress("::1"));
  EXPECT_TRUE(IsLoopbackAddress("::ffff:127.0.0.1"));
  EXPECT_FALSE(IsLoopbackAddress("192.168.1.20"));
  EXPECT_FALSE(IsLoopbackAddress("::ffff:10.0.0.1"));
  EXPECT_FALSE(IsLoopbackAddress("local"));

  const HttpHandler not_found = [](HttpRequest) -> boost::asio::awaitable<HttpResponse> {
    co_return HttpResponse::Text(404, "not found\n");
  };
  const HttpHandler handler = WithLoopbackMetrics(nullptr, nullptr, nullptr, not_found);
  HttpRequest request;
  request.method = "GET";
  request.target = "/metrics";
  request.remote_address = "192.168.1.20";
  boost::asio::io_context io;
  auto answer = boost::asio::co_spawn(io, handler(request), boost::asio::use_future);
  io.run();
  EXPECT_EQ(answer.get().status, 404u);
}

}  // namespace
}  // namespace kiosk_edge
