// kiosk-agent as a user runs it: a real process, its printed URLs, its exit codes.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <fstream>

#include "support/child_process.hpp"
#include "support/http_client.hpp"
#include "support/running_agent.hpp"
#include "support/temp_dir.hpp"

namespace kiosk_edge {
namespace {

using testing::ChildProcess;
using testing::RunningAgent;
using testing::TempDir;

TEST(AgentProcessTest, StartsOnDefaultsServesHealthAndStopsCleanlyOnSigterm) {
  TempDir dir;
  const auto state = dir / "state";
  std::string first_incarnation;
  for (int run = 0; run < 2; ++run) {
    RunningAgent agent(dir.path());
    const std::uint16_t port = agent.port();
    ASSERT_NE(port, 0);

    const auto health = testing::HttpGet(port, "/healthz");
    ASSERT_EQ(health.status, 200) << health.body;
    const auto body = boost::json::parse(health.body).as_object();
    EXPECT_EQ(body.at("status"), "ok");
    EXPECT_EQ(body.at("version"), KIOSK_EDGE_VERSION);
    EXPECT_TRUE(body.at("kiosk_id").as_string().starts_with("kiosk-"));
    // A new kiosk defines the five demo channels, as events like any other.
    EXPECT_EQ(body.at("journal").at("unsynced_count"), 5);
    EXPECT_TRUE(body.at("quarantined").as_array().empty());
    const std::string incarnation(body.at("incarnation").as_string());
    if (run == 0) first_incarnation = incarnation;
    EXPECT_EQ(incarnation, first_incarnation) << "a restart must keep the incarnation";

    EXPECT_EQ(testing::HttpGet(port, "/nowhere").status, 404);
    const int status = agent.Stop();
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
  }
  EXPECT_TRUE(std::filesystem::exists(state / "journal.db"));
  EXPECT_TRUE(std::filesystem::exists(state / "kiosk-id"));
}

TEST(AgentProcessTest, BadConfigExitsNonZeroBeforeTouchingState) {
  TempDir dir;
  const auto state = dir / "state";
  const auto config = dir / "agent.toml";
  std::ofstream(config) << "[http]\nport = 8470\nmax_conections = 3\n";
  ChildProcess agent(
      {KIOSK_AGENT_BINARY, "--config", config.string(), "--state-dir", state.string()});
  const std::string errors = agent.ReadAllStderr();
  const int status = agent.Wait();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
  EXPECT_NE(errors.find(config.string() + ":3"), std::string::npos) << errors;
  EXPECT_NE(errors.find("max_conections"), std::string::npos) << errors;
  EXPECT_FALSE(std::filesystem::exists(state)) << "state was touched despite a bad config";
}

TEST(AgentProcessTest, UnknownFlagIsAUsageError) {
  ChildProcess agent({KIOSK_AGENT_BINARY, "--prot", "1"});
  const std::string errors = agent.ReadAllStderr();
  const int status = agent.Wait();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
  EXPECT_NE(errors.find("--prot"), std::string::npos) << errors;
}

TEST(AgentProcessTest, PortInUseGivesAClearError) {
  TempDir dir;
  RunningAgent first(dir.path());
  const std::uint16_t port = first.port();
  ASSERT_NE(port, 0);
  ChildProcess second(
      {KIOSK_AGENT_BINARY, "--state-dir", (dir / "b").string(), "--port", std::to_string(port)});
  const std::string errors = second.ReadAllStderr();
  const int status = second.Wait();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);
  EXPECT_NE(errors.find(std::to_string(port)), std::string::npos) << errors;
}

}  // namespace
}  // namespace kiosk_edge
