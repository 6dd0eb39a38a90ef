// kioskctl against a real kiosk-agent: channels defined, listed, retired, and their codes
// exported in every format and read back.
#include "agent/kioskctl.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "agent/staff_auth.hpp"
#include "common/sqlite.hpp"
#include "support/child_process.hpp"
#include "support/http_client.hpp"
#include "support/running_agent.hpp"
#include "support/temp_dir.hpp"

namespace kiosk_edge {
namespace {

using testing::Kioskctl;
using testing::RunningAgent;
using testing::TempDir;

std::string ZbarDecode(const std::filesystem::path& png) {
  const std::string command = "zbarimg --quiet --raw '" + png.string() + "' 2>/dev/null";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return {};
  std::string text;
  char chunk[512];
  for (std::size_t n; (n = std::fread(chunk, 1, sizeof chunk, pipe)) > 0;) text.append(chunk, n);
  ::pclose(pipe);
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

TEST(KioskctlTest, DefinesListsAndRetiresChannels) {
  TempDir dir;
  RunningAgent agent(dir.path());
  ASSERT_NE(agent.port(), 0);
  auto added = Kioskctl(agent, {"channel", "add", "--id", "TOWER3-EL2-V1", "--name", "Tower 3 lift",
                                "--path", "north/tower-3/elevator-2/poster-v1", "--medium",
                                "elevator", "--campaign", "spring-2027"});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  EXPECT_NE(added.out.find("TOWER3-EL2-V1\televator\tnorth/tower-3/elevator-2/poster-v1"),
            std::string::npos)
      << added.out;

  const auto listed = Kioskctl(agent, {"channel", "list"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find("TOWER3-EL2-V1"), std::string::npos);
  EXPECT_NE(listed.out.find("EL3-POSTER-V2"), std::string::npos) << "demo channels are listed";

  // The new channel's code works at once: a scan is attributed to it.
  const auto url_start = added.out.find("HTTP://");
  ASSERT_NE(url_start, std::string::npos);
  const std::string url = added.out.substr(url_start, added.out.find('\n', url_start) - url_start);
  EXPECT_EQ(testing::HttpGet(agent.port(), url.substr(url.find("/C/"))).status, 200);

  // A channel whose window has not opened: its scans are recorded but marked inactive.
  const auto future = Kioskctl(agent, {"channel", "add", "--id", "SPRING-FLYER", "--name",
                                       "Spring flyer", "--path", "north/flyer-spring", "--medium",
                                       "flyer", "--from", "2099-03-01", "--until", "2099-04-01"});
  ASSERT_EQ(future.exit_code, 0) << future.err;
  EXPECT_EQ(Kioskctl(agent, {"channel", "add", "--id", "X", "--name", "X", "--path", "a", "--from",
                             "2099-02-30"})
                .exit_code,
            2);

  const auto retired = Kioskctl(agent, {"channel", "retire", "TOWER3-EL2-V1"});
  ASSERT_EQ(retired.exit_code, 0) << retired.err;
  EXPECT_NE(retired.out.find("retired"), std::string::npos);
  ASSERT_EQ(agent.Stop(), 0);
}

TEST(KioskctlTest, RefusesBadInputWithAClearMessage) {
  TempDir dir;
  RunningAgent agent(dir.path());
  const auto bad_id =
      Kioskctl(agent, {"channel", "add", "--id", "lower case", "--name", "x", "--path", "a/b"});
  EXPECT_EQ(bad_id.exit_code, 1);
  EXPECT_NE(bad_id.err.find("channel id must be"), std::string::npos) << bad_id.err;
  const auto missing = Kioskctl(agent, {"channel", "add", "--id", "X"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("--name"), std::string::npos) << missing.err;
  const auto unknown = Kioskctl(agent, {"channel", "retire", "NOPE"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("no channel NOPE"), std::string::npos) << unknown.err;
  const auto bad_format = Kioskctl(
      agent, {"qr", "export", "--all", "--format", "gif", "--out", (dir / "out").string()});
  EXPECT_EQ(bad_format.exit_code, 2);
  ASSERT_EQ(agent.Stop(), 0);

  const auto no_agent = Kioskctl(agent, {"channel", "list"});
  EXPECT_EQ(no_agent.exit_code, 1);
  EXPECT_NE(no_agent.err.find("is kiosk-agent running"), std::string::npos) << no_agent.err;
}

TEST(KioskctlTest, ExportsEveryChannelCodeAsPngSvgAndPdf) {
  TempDir dir;
  RunningAgent agent(dir.path());
  const auto png = Kioskctl(
      agent, {"qr", "export", "--all", "--format", "png", "--out", (dir / "png").string()});
  ASSERT_EQ(png.exit_code, 0) << png.err;
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir / "png")) {
    ++files;
    const std::string id = entry.path().stem().string();
    const std::string decoded = ZbarDecode(entry.path());
    EXPECT_EQ(decoded.substr(decoded.find("/C/")), agent.ChannelPath(id)) << id;
    EXPECT_EQ(testing::HttpGet(agent.port(), decoded.substr(decoded.find("/C/"))).status, 200);
  }
  EXPECT_EQ(files, 5);

  const auto svg = Kioskctl(agent, {"qr", "export", "--channel", "FLYER-NOV", "--format", "svg",
                                    "--out", (dir / "svg").string()});
  ASSERT_EQ(svg.exit_code, 0) << svg.err;
  std::ifstream svg_file(dir / "svg" / "FLYER-NOV.svg");
  const std::string svg_text((std::istreambuf_iterator<char>(svg_file)), {});
  EXPECT_NE(svg_text.find("width=\"40mm\""), std::string::npos);

  const auto pdf = Kioskctl(agent, {"qr", "export", "--all", "--format", "pdf", "--layout", "grid",
                                    "--out", (dir / "pdf").string()});
  ASSERT_EQ(pdf.exit_code, 0) << pdf.err;
  std::ifstream pdf_file(dir / "pdf" / "channels.pdf");
  const std::string pdf_text((std::istreambuf_iterator<char>(pdf_file)), {});
  EXPECT_TRUE(pdf_text.starts_with("%PDF-"));
  ASSERT_EQ(agent.Stop(), 0);
}

}  // namespace
}  // namespace kiosk_edge

namespace kiosk_edge {
namespace {

TEST(ConfiguredChannelsTest, ReplaceTheDemoChannelsAndAreDefinedOnce) {
  TempDir dir;
  const std::string config =
      "[channels.TOWER3-EL2-V1]\nname = \"Tower 3 lift\"\nmedium = \"elevator\"\n"
      "path = \"north/tower-3/elevator-2/poster-v1\"\n";
  for (int start = 0; start < 2; ++start) {
    RunningAgent agent(dir.path(), config);
    ASSERT_NE(agent.port(), 0);
    EXPECT_FALSE(agent.ChannelPath("TOWER3-EL2-V1").empty());
    EXPECT_TRUE(agent.ChannelPath("EL3-POSTER-V2").empty()) << "no demo channels beside config";
    const auto health = testing::HttpGet(agent.port(), "/healthz");
    EXPECT_NE(health.body.find("\"last_seq\":1,"), std::string::npos)
        << "start " << start << ": one definition event, not one per start: " << health.body;
    ASSERT_EQ(agent.Stop(), 0);
  }
}

}  // namespace
}  // namespace kiosk_edge

namespace kiosk_edge {
namespace {

int HashPin(const std::string& stdin_text, std::string& out, std::string& err) {
  std::istringstream in(stdin_text);
  std::ostringstream out_stream, err_stream;
  const std::vector<std::string_view> args = {"staff", "hash-pin"};
  const int status = RunKioskctl(args, out_stream, err_stream, in);
  out = out_stream.str();
  err = err_stream.str();
  return status;
}

// A shopper withdraws marketing consent through staff: the number goes in on standard input
// (not the command line) and into the journal only sealed for HQ.
TEST(KioskctlConsentTest, AWithdrawalIsJournaledWithTheNumberSealed) {
  TempDir dir;
  RunningAgent agent(dir.path());
  ASSERT_NE(agent.port(), 0);
  const std::string state_dir = agent.state_dir().string();
  const std::vector<std::string_view> args = {"--state-dir", state_dir, "consent", "withdraw"};
  const auto withdraw = [&args](const std::string& typed, std::string& out, std::string& err) {
    std::istringstream in(typed);
    std::ostringstream out_stream, err_stream;
    const int status = RunKioskctl(args, out_stream, err_stream, in);
    out = out_stream.str();
    err = err_stream.str();
    return status;
  };
  std::string out, err;
  ASSERT_EQ(withdraw("138 1234 5678\n", out, err), 0) << err;
  EXPECT_TRUE(out.starts_with("recorded as event ")) << out;

  auto journal =
      Database::Open(agent.state_dir() / "journal.db", DatabaseOptions{.read_only = true});
  ASSERT_TRUE(journal) << journal.error().message();
  auto payload = journal->QueryText("SELECT payload FROM events WHERE type = 'consent_withdrawn'");
  ASSERT_TRUE(payload) << payload.error().message();
  const auto json = boost::json::parse(*payload).as_object();
  EXPECT_EQ(json.size(), 2u);
  EXPECT_TRUE(std::string_view(json.at("phone").as_string()).starts_with("S1.")) << *payload;
  EXPECT_EQ(json.at("purpose"), "marketing");
  EXPECT_EQ(payload->find("12345678"), std::string::npos);

  EXPECT_EQ(withdraw("12ab\n", out, err), 1);
  EXPECT_NE(err.find("phone: must be a mobile number"), std::string::npos) << err;
  EXPECT_EQ(withdraw("", out, err), 1);
  EXPECT_NE(err.find("standard input"), std::string::npos) << err;
}

TEST(KioskctlStaffTest, HashPinReadsThePinFromStandardInput) {
  std::string out, err;
  ASSERT_EQ(HashPin("482913\r\n", out, err), 0) << err;
  ASSERT_TRUE(out.ends_with("\n"));
  const std::string hash = out.substr(0, out.size() - 1);
  EXPECT_TRUE(CheckPinHash(hash)) << hash;
  EXPECT_TRUE(VerifyStaffPin("482913", hash));
  EXPECT_EQ(out.find("482913"), std::string::npos);

  EXPECT_EQ(HashPin("12ab\n", out, err), 1);
  EXPECT_NE(err.find("4 to 12 digits"), std::string::npos) << err;
  EXPECT_EQ(HashPin("", out, err), 1);
}

}  // namespace
}  // namespace kiosk_edge
