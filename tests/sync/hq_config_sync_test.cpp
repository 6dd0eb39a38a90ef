// Issue 5 with real processes: HQ's channels and channel-code keys reach an enrolled kiosk
// through the config bundle. HQ's config defines a channel and HQ rotates its key; once the kiosk
// has pulled the bundle, the codes HQ prints for that channel (under the new key and, during the
// overlap, the old one) are valid scans of it on the kiosk, the kiosk's own pre-enrollment codes
// still verify, and a forged code is recorded as invalid. When HQ then withdraws the old key, the
// kiosk refuses its codes from its next pull. HQ runs on each storage backend.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json/object.hpp>

#include "common/strings.hpp"
#include "support/eventually.hpp"
#include "support/hq_database.hpp"
#include "support/http_client.hpp"
#include "support/journal_events.hpp"
#include "support/running_agent.hpp"
#include "support/running_profile_store.hpp"
#include "support/temp_dir.hpp"

namespace kiosk_edge {
namespace {

using testing::Backend;
using testing::Eventually;
using testing::RunCommand;
using testing::RunningAgent;
using testing::RunningProfileStore;
using testing::RunProgram;
using testing::TempDir;

constexpr char kHqConfigKioskId[] = "kiosk-hq-config-1";
constexpr char kChannel[] = "HQ-POSTER-1";

constexpr char kHqConfig[] = R"toml([channels.HQ-POSTER-1]
name = "Elevator 3 poster (HQ)"
medium = "elevator"
path = "north/greenwood/bldg-2/elevator-3/poster-v3"
campaign = "spring-gift"
store = "store-7"
)toml";

// The kiosk pulls HQ's config every second.
std::string HqConfigAgentConfig() {
  return StrCat("[kiosk]\nid = \"", kHqConfigKioskId, "\"\n[sync]\nconfig_interval_ms = 1000\n");
}

// `profile-store channel-code ID`: the code's path, "/C/<token>" ("" on failure).
std::string HqChannelCode(const RunningProfileStore& hq, const std::string& channel_id) {
  std::string out, err;
  const int status = RunCommand(hq.Command({PROFILE_STORE_BINARY, "channel-code", channel_id,
                                            "--state-dir", hq.state_dir().string()}),
                                &out, &err);
  EXPECT_EQ(status, 0) << err;
  return status == 0 ? out.substr(0, out.find('\n')) : std::string();
}

// `kioskctl channel list` of the running agent.
std::string KioskChannels(const std::filesystem::path& agent_state) {
  std::string out;
  RunCommand({KIOSKCTL_BINARY, "--state-dir", agent_state.string(), "channel", "list"}, &out);
  return out;
}

// GET `path` on the agent: the HTTP status.
int Get(std::uint16_t port, const std::string& path) {
  return testing::HttpExchange(port, "GET", path).status;
}

class HqConfigSyncTest : public ::testing::TestWithParam<Backend> {};

// GET `path` on the agent, then what the scan it recorded says: "valid", or why not.
std::string ScanVerdict(const RunningAgent& agent, const std::string& path) {
  EXPECT_EQ(Get(agent.port(), path), 200) << path;
  const auto scans = testing::ReadEvents(agent.state_dir(), "scan");
  if (scans.empty()) return "no scan";
  const boost::json::object& payload = scans.back().payload;
  if (payload.at("valid").as_bool()) return "valid";
  return std::string(payload.at("reason").as_string());
}

TEST_P(HqConfigSyncTest, HqChannelAndRotatedKeyReachTheKioskAndAWithdrawnKeyLeavesIt) {
  TempDir dir;
  const testing::HqDatabase storage(GetParam(), dir.path() / "hq");
  ASSERT_TRUE(storage.ok()) << storage.error();
  const auto hq_config =
      dir.Write("profile-store.toml", StrCat(kHqConfig, "\n", storage.ConfigToml()));
  RunningProfileStore hq(dir.path() / "hq", 0, hq_config);
  ASSERT_NE(hq.port(), 0);
  const std::string before_rotation = HqChannelCode(hq, kChannel);
  ASSERT_TRUE(before_rotation.starts_with(StrCat("/C/", kChannel, ".B"))) << before_rotation;

  const auto agent_config = dir.Write("kiosk-agent.toml", HqConfigAgentConfig());
  const auto enrolled = hq.EnrollKiosk(kHqConfigKioskId, agent_config, dir.path() / "state");
  ASSERT_EQ(enrolled.exit_code, 0) << enrolled.err;

  // HQ rotates while the kiosk runs: the bundle changes under it.
  RunningAgent agent(dir.path(), HqConfigAgentConfig());
  ASSERT_NE(agent.port(), 0);
  const std::string own_code = agent.ChannelPath("EL3-POSTER-V2");  // the kiosk's own key
  ASSERT_TRUE(own_code.starts_with("/C/EL3-POSTER-V2.A")) << own_code;
  const auto rotated = RunProgram(hq.Command(
      {PROFILE_STORE_BINARY, "rotate-channel-key", "--state-dir", hq.state_dir().string()}));
  ASSERT_EQ(rotated.exit_code, 0) << rotated.err;
  const std::string after_rotation = HqChannelCode(hq, kChannel);
  ASSERT_TRUE(after_rotation.starts_with(StrCat("/C/", kChannel, ".C"))) << after_rotation;

  // Until the kiosk lists HQ's channel with a code under HQ's new key (what kioskctl qr export
  // prints), polled every 50 ms: another process's progress has no condition to wait on.
  std::string channels;
  Eventually([&] {
    channels = KioskChannels(agent.state_dir());
    return channels.find(after_rotation) != std::string::npos;
  });
  ASSERT_NE(channels.find(after_rotation), std::string::npos) << channels;
  EXPECT_NE(channels.find(StrCat(kChannel,
                                 "\televator\tnorth/greenwood/bldg-2/elevator-3/"
                                 "poster-v3\tspring-gift\tactive")),
            std::string::npos)
      << channels;

  std::string forged = after_rotation;
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  for (const std::string& path : {after_rotation, before_rotation, own_code, forged}) {
    EXPECT_EQ(Get(agent.port(), path), 200) << path;
  }

  const auto scans = testing::ReadEvents(agent.state_dir(), "scan");
  ASSERT_EQ(scans.size(), 4u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(scans[i].channel_id, kChannel) << i;
    EXPECT_TRUE(scans[i].payload.at("valid").as_bool()) << i;
    EXPECT_TRUE(scans[i].payload.at("known").as_bool()) << i;
    EXPECT_TRUE(scans[i].payload.at("active").as_bool()) << i;
  }
  EXPECT_EQ(scans[2].channel_id, "EL3-POSTER-V2");
  EXPECT_TRUE(scans[2].payload.at("valid").as_bool());
  EXPECT_EQ(scans[3].channel_id, "");
  EXPECT_FALSE(scans[3].payload.at("valid").as_bool());
  EXPECT_EQ(scans[3].payload.at("reason").as_string(), "bad mac");

  // The kiosk recorded HQ's channel in its journal, marked as HQ's.
  const auto defined = testing::ReadEvents(agent.state_dir(), "channel_defined");
  const auto hq_channel =
      std::find_if(defined.begin(), defined.end(),
                   [](const testing::StoredEvent& event) { return event.channel_id == kChannel; });
  ASSERT_NE(hq_channel, defined.end());
  EXPECT_EQ(hq_channel->payload.at("origin").as_string(), "hq");

  // HQ withdraws the retired key B before its overlap ends (a stolen kiosk held it).
  const auto withdrawn = RunProgram(hq.Command(
      {PROFILE_STORE_BINARY, "withdraw-channel-key", "B", "--state-dir", hq.state_dir().string()}));
  ASSERT_EQ(withdrawn.exit_code, 0) << withdrawn.err;
  EXPECT_TRUE(Eventually([&] { return ScanVerdict(agent, before_rotation) == "unknown key"; }))
      << "the kiosk still accepts codes under the withdrawn key";
  EXPECT_EQ(ScanVerdict(agent, after_rotation), "valid");
  EXPECT_EQ(ScanVerdict(agent, own_code), "valid");
  std::string agent_log;
  EXPECT_EQ(agent.Stop(&agent_log), 0) << agent_log;
  EXPECT_EQ(hq.Stop(), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, HqConfigSyncTest, testing::BothBackends(), testing::BackendName);

}  // namespace
}  // namespace kiosk_edge
