#include "agent/agent_config.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "support/string_checks.hpp"
#include "support/temp_dir.hpp"

namespace kiosk_edge {
namespace {

using testing::BeginsWith;
using testing::Contains;
using testing::TempDir;

using std::chrono::milliseconds;

std::filesystem::path ShippedConfig() {
  return std::filesystem::path(KIOSK_EDGE_SOURCE_DIR) / "config" / "kiosk-agent.toml";
}

// A fresh folder under the system temp folder, removed with everything in it.

void ExpectSameConfig(const AgentConfig& actual, const AgentConfig& expected) {
  EXPECT_EQ(actual.kiosk_id, expected.kiosk_id);
  EXPECT_EQ(actual.store_id, expected.store_id);
  EXPECT_EQ(actual.state_dir, expected.state_dir);
  EXPECT_EQ(actual.listen_address, expected.listen_address);
  EXPECT_EQ(actual.port, expected.port);
  EXPECT_EQ(actual.http.max_connections, expected.http.max_connections);
  EXPECT_EQ(actual.http.max_header_bytes, expected.http.max_header_bytes);
  EXPECT_EQ(actual.http.max_body_bytes, expected.http.max_body_bytes);
  EXPECT_EQ(actual.http.read_deadline, expected.http.read_deadline);
  EXPECT_EQ(actual.http.write_deadline, expected.http.write_deadline);
  EXPECT_EQ(actual.http.idle_timeout, expected.http.idle_timeout);
  EXPECT_EQ(actual.http.shutdown_grace, expected.http.shutdown_grace);
  EXPECT_EQ(actual.journal_max_disk_bytes, expected.journal_max_disk_bytes);
  EXPECT_EQ(actual.journal_max_batch_events, expected.journal_max_batch_events);
  EXPECT_EQ(actual.log_level, expected.log_level);
}

TEST(AgentConfigTest, ShippedConfigLoadsToTheDefaults) {
  Result<AgentConfig> loaded = LoadAgentConfig(ShippedConfig());
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  ExpectSameConfig(*loaded, DefaultAgentConfig());
}

TEST(AgentConfigTest, ShippedConfigSetsAndCommentsEveryKey) {
  Result<ConfigFile> file = ConfigFile::Load(ShippedConfig());
  ASSERT_TRUE(file.has_value()) << file.error().message();
  ASSERT_TRUE(ReadAgentConfig(*file).has_value());
  EXPECT_TRUE(file->AbsentKeys().empty()) << "keys missing from " << ShippedConfig();

  // Each "key = value" line follows a comment that documents it.
  std::ifstream in(ShippedConfig());
  std::string line;
  std::string previous;
  int number = 0;
  int keys = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line[0] != '#' && line[0] != '[') {
      ++keys;
      EXPECT_TRUE(BeginsWith(previous, "#")) << "line " << number << ": " << line;
    }
    previous = line;
  }
  EXPECT_GE(keys, 14);
}

TEST(AgentConfigTest, EmptyFileGivesTheDefaults) {
  TempDir dir;
  Result<AgentConfig> loaded = LoadAgentConfig(dir.Write("kiosk-agent.toml", ""));
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  ExpectSameConfig(*loaded, DefaultAgentConfig());
  EXPECT_EQ(loaded->port, 8470);
  EXPECT_EQ(loaded->journal_max_disk_bytes, 512u * 1024 * 1024);
  EXPECT_FALSE(loaded->state_dir.empty());
}

TEST(AgentConfigTest, EveryKeyReachesItsField) {
  TempDir dir;
  Result<AgentConfig> loaded = LoadAgentConfig(dir.Write("kiosk-agent.toml", R"(
[kiosk]
id = "k-7.a_b"
store_id = "store-42"
[state]
dir = "/srv/kiosk"
[http]
listen_address = "::1"
port = 0
max_connections = 3
max_header_bytes = 2048
max_body_bytes = 4096
read_timeout_ms = 101
write_timeout_ms = 102
idle_timeout_ms = 103
shutdown_grace_ms = 0
[https]
certificate = "/etc/kiosk-edge/kiosk.pem"
private_key = "/etc/kiosk-edge/kiosk-key.pem"
listen_address = "192.168.1.20"
port = 9443
[journal]
max_disk_mb = 2
max_batch_events = 5
[log]
level = "debug"
)"));
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  const AgentConfig& config = *loaded;
  EXPECT_EQ(config.kiosk_id, "k-7.a_b");
  EXPECT_EQ(config.store_id, "store-42");
  EXPECT_EQ(config.state_dir, std::filesystem::path("/srv/kiosk"));
  EXPECT_EQ(config.listen_address, "::1");
  EXPECT_EQ(config.port, 0);
  EXPECT_EQ(config.http.max_connections, 3u);
  EXPECT_EQ(config.http.max_header_bytes, 2048u);
  EXPECT_EQ(config.http.max_body_bytes, 4096u);
  EXPECT_EQ(config.http.read_deadline, milliseconds(101));
  EXPECT_EQ(config.http.write_deadline, milliseconds(102));
  EXPECT_EQ(config.http.idle_timeout, milliseconds(103));
  EXPECT_EQ(config.http.shutdown_grace, milliseconds(0));
  EXPECT_EQ(config.https_certificate, std::filesystem::path("/etc/kiosk-edge/kiosk.pem"));
  EXPECT_EQ(config.https_private_key, std::filesystem::path("/etc/kiosk-edge/kiosk-key.pem"));
  EXPECT_EQ(config.https_listen_address, "192.168.1.20");
  EXPECT_EQ(config.https_port, 9443);
  EXPECT_EQ(config.journal_max_disk_bytes, 2u * 1024 * 1024);
  EXPECT_EQ(config.journal_max_batch_events, 5u);
  EXPECT_EQ(config.log_level, LogLevel::kDebug);
}

struct BadInput {
  std::string text;
  int line;
  std::string key;  // as the message must name it
};

TEST(AgentConfigTest, EachKindOfBadInputNamesFileLineAndKey) {
  const std::vector<BadInput> cases = {
      {"[http]\nport = 8470\nprot = 1\n", 3, "http.prot"},           // unknown key
      {"[kiosk]\n[jounral]\nmax_disk_mb = 1\n", 2, "jounral"},       // unknown table
      {"[http.tls]\ncert = \"x\"\n", 1, "http.tls"},                 // unknown subtable
      {"verbose = true\n", 1, "verbose"},                            // unknown top key
      {"[http]\nport = \"8470\"\n", 2, "http.port"},                 // string for int
      {"[kiosk]\nid = 7\n", 2, "kiosk.id"},                          // int for string
      {"[http]\nmax_body_bytes = 1.5\n", 2, "http.max_body_bytes"},  // float for int
      {"journal = 1\n", 1, "journal"},                               // value for table
      {"[journal]\nmax_disk_mb = 0\n", 2, "journal.max_disk_mb"},    // below range
      {"[journal]\n\nmax_batch_events = 100001\n", 3, "journal.max_batch_events"},  // above
      {"[http]\nport = 65536\n", 2, "http.port"},                                   // above uint16
      {"[http]\nport = -1\n", 2, "http.port"},                                      // negative
      {"[http]\nread_timeout_ms = 99\n", 2, "http.read_timeout_ms"},           // duration range
      {"[http]\nmax_connections = 0\n", 2, "http.max_connections"},            // zero count
      {"[http]\nlisten_address = \"localhost\"\n", 2, "http.listen_address"},  // not an address
      {"[http]\nlisten_address = \"0.0.0.0\"\n", 2, "http.listen_address"},    // plain off loopback
      {"[https]\ncertificate = \"c.pem\"\n", 2, "https.certificate"},          // without its key
      {"[https]\nprivate_key = \"k.pem\"\n", 2, "https.private_key"},          // without its cert
      {"[https]\nlisten_address = \"any\"\n", 2, "https.listen_address"},      // not an address
      {"[https]\nport = 65536\n", 2, "https.port"},                            // above uint16
      {"[https]\ncertificate = \"c\"\nprivate_key = \"k\"\n[http]\npublic_base_url = "
       "\"http://10.0.0.2:8470\"\n",
       5, "http.public_base_url"},                    // codes would point phones at plain HTTP
      {"[kiosk]\nid = \"../etc\"\n", 2, "kiosk.id"},  // unsafe id
      {"[kiosk]\nid = \"" + std::string(65, 'a') + "\"\n", 2, "kiosk.id"},  // id too long
      {"[kiosk]\nstore_id = \"\"\n", 2, "kiosk.store_id"},                  // empty store id
      {"[state]\ndir = \"a\\u0000b\"\n", 2, "state.dir"},                   // NUL in path
      {"[log]\nlevel = \"verbose\"\n", 2, "log.level"},                     // not a choice
  };
  TempDir dir;
  for (const BadInput& bad : cases) {
    SCOPED_TRACE(bad.text);
    const std::filesystem::path path = dir.Write("kiosk-agent.toml", bad.text);
    Result<AgentConfig> loaded = LoadAgentConfig(path);
    ASSERT_FALSE(loaded.has_value());
    EXPECT_EQ(loaded.error().kind(), ErrorKind::kConfig);
    EXPECT_TRUE(BeginsWith(loaded.error().message(),
                           path.string() + ":" + std::to_string(bad.line) + ": "));
    EXPECT_TRUE(Contains(loaded.error().message(), bad.key));
  }
}

TEST(AgentConfigTest, CodesPointAtHttpsWhenTheBaseUrlOrTheHttpsListenerSaysSo) {
  AgentConfig config = DefaultAgentConfig();
  EXPECT_FALSE(CodesPointAtHttps(config));  // loopback HTTP, for development
  config.https_certificate = "kiosk.pem";
  EXPECT_TRUE(CodesPointAtHttps(config));  // codes default to the [https] listener
  config.https_certificate.clear();
  config.public_base_url = "https://kiosk-12.example.com";
  EXPECT_TRUE(CodesPointAtHttps(config));  // TLS in front of the kiosk
  config.public_base_url = "http://127.0.0.1:8470";
  EXPECT_FALSE(CodesPointAtHttps(config));
}

TEST(AgentConfigTest, SyntaxErrorNamesFileAndLine) {
  TempDir dir;
  const auto path = dir.Write("kiosk-agent.toml", "[http]\nport = 8470\nmax_connections 5\n");
  Result<AgentConfig> loaded = LoadAgentConfig(path);
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().kind(), ErrorKind::kConfig);
  EXPECT_TRUE(BeginsWith(loaded.error().message(), path.string() + ":3:"));
}

TEST(AgentConfigTest, MissingFileIsAConfigError) {
  TempDir dir;
  const auto path = dir.path() / "nope.toml";
  Result<AgentConfig> loaded = LoadAgentConfig(path);
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().kind(), ErrorKind::kConfig);
  EXPECT_TRUE(Contains(loaded.error().message(), path.string()));
}

TEST(AgentConfigTest, ReportsEveryProblemAtOnce) {
  TempDir dir;
  const auto path = dir.Write(
      "kiosk-agent.toml", "[http]\nport = 99999\n[journal]\nmax_disk_mb = \"big\"\nextra = 1\n");
  Result<AgentConfig> loaded = LoadAgentConfig(path);
  ASSERT_FALSE(loaded.has_value());
  const std::string expected_prefix = path.string();
  EXPECT_EQ(loaded.error().message(),
            expected_prefix + ":2: http.port: must be between 0 and 65535, got 99999\n" +
                expected_prefix + ":4: journal.max_disk_mb: expected an integer, got a string\n" +
                expected_prefix + ":5: unknown key 'journal.extra'");
}

TEST(AgentConfigTest, LoadingCreatesNoStateFolder) {
  TempDir dir;
  const std::filesystem::path state = dir.path() / "state" / "kiosk-agent";
  Result<AgentConfig> loaded =
      LoadAgentConfig(dir.Write("kiosk-agent.toml", "[state]\ndir = \"" + state.string() + "\"\n"));
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  EXPECT_EQ(loaded->state_dir, state);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "state"));
}

TEST(AgentConfigTest, StateDirResolution) {
  EXPECT_EQ(ResolveStateDir("/etc/x", "/var/lib/kiosk-agent"), std::filesystem::path("/etc/x"));
  EXPECT_EQ(ResolveStateDir("", "/var/lib/kiosk-agent"),
            std::filesystem::path("/var/lib/kiosk-agent"));
  EXPECT_EQ(ResolveStateDir("", "/var/lib/a:/var/lib/b"), std::filesystem::path("/var/lib/a"));
  EXPECT_EQ(ResolveStateDir("", ""), std::filesystem::path("state/kiosk-agent"));
  EXPECT_EQ(ResolveStateDir("", nullptr), std::filesystem::path("state/kiosk-agent"));
}

}  // namespace
}  // namespace kiosk_edge

namespace kiosk_edge {
namespace {

TEST(AgentConfigChannelsTest, ChannelTablesBecomeChannels) {
  TempDir dir;
  Result<AgentConfig> loaded = LoadAgentConfig(dir.Write("kiosk-agent.toml", R"(
[kiosk]
store_id = "store-0042"
[channels.EL3-POSTER-V2]
name = "Elevator 3 poster"
medium = "elevator"
path = "north/greenwood/bldg-2/elevator-3/poster-v2"
[channels.COUNTER]
name = "Counter card"
medium = "counter_card"
path = "store-0042/counter"
campaign = "spring-2027"
)"));
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  ASSERT_EQ(loaded->channels.size(), 2u);
  const Channel& counter =
      loaded->channels[0].id == "COUNTER" ? loaded->channels[0] : loaded->channels[1];
  const Channel& poster =
      loaded->channels[0].id == "COUNTER" ? loaded->channels[1] : loaded->channels[0];
  EXPECT_EQ(poster.medium, Medium::kElevator);
  EXPECT_EQ(poster.campaign, "welcome-gift") << "the default campaign";
  EXPECT_EQ(poster.store, "store-0042") << "the kiosk's store";
  EXPECT_EQ(counter.campaign, "spring-2027");
}

TEST(AgentConfigChannelsTest, BadChannelsNameFileLineAndKey) {
  TempDir dir;
  const auto file = dir.Write("kiosk-agent.toml", R"([channels.lower-case]
name = "x"
path = "a/b"
[channels.EL3]
name = "Elevator"
medium = "lift"
path = "North/Upper"
flavour = "x"
)");
  Result<AgentConfig> loaded = LoadAgentConfig(file);
  ASSERT_FALSE(loaded.has_value());
  const std::string message = loaded.error().message();
  EXPECT_NE(message.find("channels.lower-case: channel id must be"), std::string::npos) << message;
  EXPECT_NE(message.find(file.string() + ":6: channels.EL3.medium"), std::string::npos) << message;
  EXPECT_NE(message.find(file.string() + ":7: channels.EL3.path: channel path"), std::string::npos)
      << message;
  EXPECT_NE(message.find(file.string() + ":8: unknown key 'channels.EL3.flavour'"),
            std::string::npos)
      << message;
}

}  // namespace
}  // namespace kiosk_edge
