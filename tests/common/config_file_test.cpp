#include "common/config_file.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
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

// A fresh folder under the system temp folder, removed with everything in it.

ConfigFile MustParse(std::string_view text) {
  Result<ConfigFile> parsed = ConfigFile::Parse(text, "test.toml");
  EXPECT_TRUE(parsed.has_value()) << parsed.error().message();
  return std::move(parsed).value();
}

// The message of Finish()'s error, or "" when Finish succeeds.
std::string Problems(const ConfigFile& file) {
  Result<void> finished = file.Finish();
  if (finished) return "";
  EXPECT_EQ(finished.error().kind(), ErrorKind::kConfig);
  return finished.error().message();
}

TEST(ConfigFileTest, SyntaxErrorNamesOriginLineAndColumn) {
  Result<ConfigFile> parsed = ConfigFile::Parse("a = 1\nb = \n", "test.toml");
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().kind(), ErrorKind::kConfig);
  EXPECT_TRUE(BeginsWith(parsed.error().message(), "test.toml:2:5: "));
}

TEST(ConfigFileTest, DuplicateKeyIsASyntaxError) {
  Result<ConfigFile> parsed = ConfigFile::Parse("[http]\nport = 1\nport = 2\n", "test.toml");
  ASSERT_FALSE(parsed.has_value());
  EXPECT_TRUE(BeginsWith(parsed.error().message(), "test.toml:3:"));
  EXPECT_TRUE(Contains(parsed.error().message(), "port"));
}

TEST(ConfigFileTest, LoadSyntaxErrorNamesThePath) {
  TempDir dir;
  const auto path = dir.Write("bad.toml", "# comment\n[http]\nport = = 8\n");
  Result<ConfigFile> loaded = ConfigFile::Load(path);
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().kind(), ErrorKind::kConfig);
  EXPECT_TRUE(BeginsWith(loaded.error().message(), path.string() + ":3:"));
}

TEST(ConfigFileTest, MissingFileIsAConfigErrorNamingThePath) {
  TempDir dir;
  const auto path = dir.path() / "absent.toml";
  Result<ConfigFile> loaded = ConfigFile::Load(path);
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().kind(), ErrorKind::kConfig);
  EXPECT_TRUE(BeginsWith(loaded.error().message(), path.string() + ": "));
  EXPECT_TRUE(Contains(loaded.error().message(), "No such file"));
}

TEST(ConfigFileTest, DirectoryIsAConfigError) {
  TempDir dir;
  Result<ConfigFile> loaded = ConfigFile::Load(dir.path());
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().kind(), ErrorKind::kConfig);
  EXPECT_TRUE(BeginsWith(loaded.error().message(), dir.path().string() + ": "));
}

TEST(ConfigFileTest, OversizedFileIsRefused) {
  TempDir dir;
  const auto path = dir.Write("big.toml", "# " + std::string(2 * 1024 * 1024, 'x') + "\n");
  Result<ConfigFile> loaded = ConfigFile::Load(path);
  ASSERT_FALSE(loaded.has_value());
  EXPECT_TRUE(Contains(loaded.error().message(), "larger than"));
}

TEST(ConfigFileTest, LoadReadsAFile) {
  TempDir dir;
  Result<ConfigFile> loaded = ConfigFile::Load(dir.Write("ok.toml", "[http]\nport = 81\n"));
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  std::uint16_t port = 0;
  loaded->Read<std::uint16_t>("http.port", port, 0, 65535);
  EXPECT_EQ(port, 81);
  EXPECT_EQ(Problems(*loaded), "");
}

TEST(ConfigFileTest, ReadsValidValues) {
  ConfigFile file = MustParse(R"(
name = "kiosk 7"
enabled = false
[limits]
count = -3
port = 65535
bytes = 4096
timeout_ms = 250
level = "debug"
)");
  std::string name = "default";
  bool enabled = true;
  std::int64_t count = 0;
  std::uint16_t port = 0;
  std::size_t bytes = 0;
  milliseconds timeout{0};
  std::string level = "info";
  file.Read("name", name);
  file.Read("enabled", enabled);
  file.Read("limits.count", count, -10, 10);
  file.Read<std::uint16_t>("limits.port", port, 0, 65535);
  file.Read<std::size_t>("limits.bytes", bytes, 1024, 8192);
  file.Read("limits.timeout_ms", timeout, milliseconds(1), milliseconds(1000));
  file.ReadChoice("limits.level", level, {"info", "debug"});
  EXPECT_EQ(Problems(file), "");
  EXPECT_EQ(name, "kiosk 7");
  EXPECT_FALSE(enabled);
  EXPECT_EQ(count, -3);
  EXPECT_EQ(port, 65535);
  EXPECT_EQ(bytes, 4096u);
  EXPECT_EQ(timeout, milliseconds(250));
  EXPECT_EQ(level, "debug");
  EXPECT_TRUE(file.AbsentKeys().empty());
}

TEST(ConfigFileTest, AbsentKeysKeepTheirDefaults) {
  ConfigFile file = MustParse("# nothing set\n[limits]\n");
  std::string name = "default";
  bool enabled = true;
  std::int64_t count = 7;
  milliseconds timeout{42};
  std::string level = "info";
  file.Read("name", name);
  file.Read("enabled", enabled);
  file.Read("limits.count", count, 0, 10);
  file.Read("limits.timeout_ms", timeout, milliseconds(1), milliseconds(1000));
  file.ReadChoice("other.level", level, {"info", "debug"});
  EXPECT_EQ(Problems(file), "");
  EXPECT_EQ(name, "default");
  EXPECT_TRUE(enabled);
  EXPECT_EQ(count, 7);
  EXPECT_EQ(timeout, milliseconds(42));
  EXPECT_EQ(level, "info");
  EXPECT_EQ(file.AbsentKeys(),
            (std::vector<std::string>{"enabled", "limits.count", "limits.timeout_ms", "name",
                                      "other.level"}));
}

TEST(ConfigFileTest, UnknownKeyNamesFileLineAndKeyWithSuggestion) {
  ConfigFile file = MustParse("[http]\nport = 1\nprot = 2\n");
  std::uint16_t port = 0;
  file.Read<std::uint16_t>("http.port", port, 0, 65535);
  EXPECT_EQ(Problems(file), "test.toml:3: unknown key 'http.prot' (did you mean 'http.port'?)");
}

TEST(ConfigFileTest, UnknownTopLevelKeySuggestsTheTableItBelongsIn) {
  ConfigFile file = MustParse("port = 1\n[http]\n");
  std::uint16_t port = 0;
  file.Read<std::uint16_t>("http.port", port, 0, 65535);
  EXPECT_EQ(Problems(file), "test.toml:1: unknown key 'port' (did you mean 'http.port'?)");
  EXPECT_EQ(port, 0);
}

TEST(ConfigFileTest, UnknownKeyInInlineTable) {
  ConfigFile file = MustParse("http = { port = 1, colour = \"red\" }\n");
  std::uint16_t port = 0;
  file.Read<std::uint16_t>("http.port", port, 0, 65535);
  EXPECT_EQ(Problems(file), "test.toml:1: unknown key 'http.colour'");
  EXPECT_EQ(port, 1);
}

TEST(ConfigFileTest, UnknownTableIsReportedOnceByName) {
  ConfigFile file = MustParse("[http]\nport = 1\n\n[htp]\nport = 2\nhost = \"x\"\n");
  std::uint16_t port = 0;
  file.Read<std::uint16_t>("http.port", port, 0, 65535);
  EXPECT_EQ(Problems(file), "test.toml:4: unknown table 'htp' (did you mean 'http'?)");
}

TEST(ConfigFileTest, UnknownTableNestedInAKnownTable) {
  ConfigFile file = MustParse("[http]\nport = 1\n[http.tls]\ncert = \"a.pem\"\n");
  std::uint16_t port = 0;
  file.Read<std::uint16_t>("http.port", port, 0, 65535);
  EXPECT_EQ(Problems(file), "test.toml:3: unknown table 'http.tls'");
}

TEST(ConfigFileTest, QuotedKeyContainingADotIsUnknown) {
  ConfigFile file = MustParse("\"http.port\" = 1\n");
  std::uint16_t port = 0;
  file.Read<std::uint16_t>("http.port", port, 0, 65535);
  EXPECT_TRUE(BeginsWith(Problems(file), "test.toml:1: unknown key '\"http.port\"'"));
  EXPECT_EQ(port, 0);
}

TEST(ConfigFileTest, StringWhereIntegerExpected) {
  ConfigFile file = MustParse("[http]\n\nport = \"8470\"\n");
  std::uint16_t port = 1;
  file.Read<std::uint16_t>("http.port", port, 0, 65535);
  EXPECT_EQ(Problems(file), "test.toml:3: http.port: expected an integer, got a string");
  EXPECT_EQ(port, 1);
}

TEST(ConfigFileTest, WrongTypesAreNamed) {
  ConfigFile file = MustParse(R"(name = 5
enabled = "yes"
count = 1.5
when = 2024-01-01
level = ["info"]
[limits]
count = { a = 1 }
)");
  std::string name;
  bool enabled = false;
  std::int64_t count = 0;
  std::int64_t limit_count = 0;
  std::string when;
  std::string level = "info";
  file.Read("name", name);
  file.Read("enabled", enabled);
  file.Read("count", count, 0, 10);
  file.Read("when", when);
  file.ReadChoice("level", level, {"info"});
  file.Read("limits.count", limit_count, 0, 10);
  EXPECT_EQ(Problems(file),
            "test.toml:1: name: expected a string, got an integer\n"
            "test.toml:2: enabled: expected a boolean (true or false), got a string\n"
            "test.toml:3: count: expected an integer, got a floating-point number\n"
            "test.toml:4: when: expected a string, got a date\n"
            "test.toml:5: level: expected a string, got an array\n"
            "test.toml:7: limits.count: expected an integer, got a table");
}

TEST(ConfigFileTest, ValueWhereTableExpectedIsReportedOnce) {
  ConfigFile file = MustParse("http = 5\n");
  std::uint16_t port = 0;
  std::int64_t connections = 0;
  file.Read<std::uint16_t>("http.port", port, 0, 65535);
  file.Read("http.max_connections", connections, 1, 10);
  EXPECT_EQ(Problems(file), "test.toml:1: http: expected a table, got an integer");
}

TEST(ConfigFileTest, OutOfRangeNamesTheRangeAndKeepsTheDefault) {
  ConfigFile file = MustParse("[journal]\nmax_disk_mb = 0\n[http]\nport = 70000\ntimeout_ms = 5\n");
  std::int64_t max_disk_mb = 512;
  std::uint16_t port = 8470;
  milliseconds timeout{1000};
  file.Read("journal.max_disk_mb", max_disk_mb, 1, 1048576);
  file.Read<std::uint16_t>("http.port", port, 0, 65535);
  file.Read("http.timeout_ms", timeout, milliseconds(100), milliseconds(600000));
  EXPECT_EQ(Problems(file),
            "test.toml:2: journal.max_disk_mb: must be between 1 and 1048576, got 0\n"
            "test.toml:4: http.port: must be between 0 and 65535, got 70000\n"
            "test.toml:5: http.timeout_ms: must be between 100 and 600000, got 5");
  EXPECT_EQ(max_disk_mb, 512);
  EXPECT_EQ(port, 8470);
  EXPECT_EQ(timeout, milliseconds(1000));
}

TEST(ConfigFileTest, ChoiceOutsideTheSetListsTheChoices) {
  ConfigFile file = MustParse("[log]\nlevel = \"verbose\\n\"\n");
  std::string level = "info";
  file.ReadChoice("log.level", level, {"error", "info"});
  EXPECT_EQ(Problems(file),
            "test.toml:2: log.level: must be one of \"error\", \"info\"; got \"verbose\\u000a\"");
  EXPECT_EQ(level, "info");
}

TEST(ConfigFileTest, AddErrorNamesTheKeysLine) {
  ConfigFile file = MustParse("\n[kiosk]\nid = \"../x\"\n");
  std::string id;
  file.Read("kiosk.id", id);
  file.AddError("kiosk.id", "must be a plain name");
  file.AddError("kiosk.absent", "is required");
  EXPECT_EQ(Problems(file),
            "test.toml:3: kiosk.id: must be a plain name\n"
            "test.toml: kiosk.absent: is required");
}

TEST(ConfigFileTest, EveryProblemIsReportedInFileOrder) {
  ConfigFile file = MustParse("[b]\nx = \"no\"\ntypo = 1\n[a]\ny = -1\n");
  std::int64_t y = 0;
  std::int64_t x = 0;
  file.Read("a.y", y, 0, 5);  // read first, but later in the file
  file.Read("b.x", x, 0, 5);
  const std::string problems = Problems(file);
  EXPECT_EQ(problems,
            "test.toml:2: b.x: expected an integer, got a string\n"
            "test.toml:3: unknown key 'b.typo'\n"
            "test.toml:5: a.y: must be between 0 and 5, got -1");
  EXPECT_FALSE(Contains(problems, "did you mean"));
}

}  // namespace
}  // namespace kiosk_edge
