// Config files (common/config_file.hpp): TOML parsed into dotted keys, then read by kiosk-agent's
// and profile-store's strict readers (agent/agent_config.hpp,
// sync/profile_store/profile_store_config.hpp) and by ConfigFile's typed reads directly.

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "agent/agent_config.hpp"
#include "common/config_file.hpp"
#include "sync/profile_store/profile_store_config.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace kiosk_edge::fuzz {
namespace {

// Every problem is one kConfig error naming the file.
void CheckRefusal(const Error& error) {
  FUZZ_CHECK(error.kind() == ErrorKind::kConfig);
  FUZZ_CHECK(error.message().find("fuzz.toml") != std::string::npos);
}

// Reads of each type (keys a fuzzer finds through the dictionary), then the check for unknowns.
void CheckTypedReads(ConfigFile file) {
  std::string text = "default";
  bool flag = false;
  std::int64_t number = 0;
  std::uint16_t port = 80;
  std::chrono::milliseconds timeout{5};
  std::string choice = "a";
  file.Read("a.text", text);
  file.Read("a.flag", flag);
  file.Read("a.number", number, -5, 5);
  file.Read<std::uint16_t>("a.port", port, 1, 65535);
  file.Read("a.timeout_ms", timeout, std::chrono::milliseconds(1), std::chrono::milliseconds(9));
  file.ReadChoice("a.choice", choice, {"a", "b"});
  FUZZ_CHECK(number >= -5 && number <= 5);
  FUZZ_CHECK(port >= 1);
  FUZZ_CHECK(timeout.count() >= 1 && timeout.count() <= 9);
  FUZZ_CHECK(choice == "a" || choice == "b");
  for (const std::string& table : file.TableNames("")) (void)file.TableNames(table);
  (void)file.AbsentKeys();
  if (Result<void> finished = file.Finish(); !finished) CheckRefusal(finished.error());
}

}  // namespace
}  // namespace kiosk_edge::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kiosk_edge;
  Result<ConfigFile> parsed = ConfigFile::Parse(fuzz::AsText(data, size), "fuzz.toml");
  if (!parsed) {
    fuzz::CheckRefusal(parsed.error());
    return 0;
  }
  fuzz::CheckTypedReads(*parsed);
  ConfigFile for_store = *parsed;
  if (Result<AgentConfig> agent = ReadAgentConfig(*parsed); !agent) {
    fuzz::CheckRefusal(agent.error());
  }
  if (Result<ProfileStoreConfig> store = ReadProfileStoreConfig(for_store); !store) {
    fuzz::CheckRefusal(store.error());
  }
  return 0;
}
