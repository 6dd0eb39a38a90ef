#include "sync/profile_store/profile_store_config.hpp"

#include <cstdlib>

#include "common/strings.hpp"
#include "sync/protocol/batch.hpp"

namespace kiosk_edge {
namespace {

using std::chrono::milliseconds;

std::filesystem::path ResolveStateDir(const std::string& configured) {
  if (!configured.empty()) return configured;
  if (const char* env = std::getenv("STATE_DIRECTORY"); env != nullptr && *env != '\0') {
    const std::string_view list(env);
    return std::filesystem::path(list.substr(0, list.find(':')));
  }
  return std::filesystem::path("state") / "profile-store";
}

std::vector<std::string> SplitNames(const std::string& text) {
  std::vector<std::string> names;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t comma = std::min(text.find(',', start), text.size());
    std::string name = text.substr(start, comma - start);
    name.erase(0, name.find_first_not_of(' '));
    name.erase(name.find_last_not_of(' ') + 1);
    if (!name.empty()) names.push_back(name);
    start = comma + 1;
  }
  return names;
}

constexpr std::int64_t kMaxWallMs = 100'000'000'000'000;

// Checks `channel` by the config bundle's rules, reporting each problem at its config key.
void CheckChannel(ConfigFile& file, const std::string& key, const BundleChannel& channel) {
  ConfigBundle alone;
  alone.hq_public_key = std::string(32, '\0');
  alone.channels = {channel};
  auto valid = ValidateConfigBundle(alone);
  if (valid) return;
  // "channels[0].name: must be ..." names the field, then the rule.
  const std::string message = valid.error().message();
  constexpr std::string_view kPrefix = "channels[0].";
  const std::size_t colon = message.find(": ");
  if (!message.starts_with(kPrefix) || colon == std::string::npos) {
    file.AddError(key, message);
    return;
  }
  const std::string field = message.substr(kPrefix.size(), colon - kPrefix.size());
  file.AddError(field == "id" ? key : StrCat(key, ".", field), message.substr(colon + 2));
}

std::vector<BundleChannel> ReadChannels(ConfigFile& file) {
  std::vector<BundleChannel> channels;
  for (const std::string& id : file.TableNames("channels")) {
    const std::string key = "channels." + id;
    BundleChannel channel;
    channel.id = id;
    channel.medium = "poster";
    file.Read(key + ".name", channel.name);
    file.ReadChoice(key + ".medium", channel.medium,
                    {"poster", "elevator", "flyer", "counter_card", "kiosk_screen", "online"});
    file.Read(key + ".path", channel.path);
    file.Read(key + ".campaign", channel.campaign);
    file.Read(key + ".store", channel.store);
    for (auto [name, target] : {std::pair{".active_from_ms", &channel.active_from_ms},
                                std::pair{".active_until_ms", &channel.active_until_ms}}) {
      std::int64_t value = -1;  // absent
      file.Read(key + name, value, 0, kMaxWallMs);
      if (value >= 0) *target = value;
    }
    file.Read(key + ".retired", channel.retired);
    for (auto [name, value] :
         {std::pair{".name", &channel.name}, std::pair{".path", &channel.path},
          std::pair{".campaign", &channel.campaign}, std::pair{".store", &channel.store}}) {
      if (value->empty()) file.AddError(key + name, "must be set");
    }
    if (!channel.name.empty() && !channel.path.empty() && !channel.campaign.empty() &&
        !channel.store.empty()) {
      CheckChannel(file, key, channel);
    }
    channels.push_back(std::move(channel));
  }
  return channels;
}

}  // namespace

ProfileStoreConfig DefaultProfileStoreConfig() {
  ProfileStoreConfig config;
  config.state_dir = ResolveStateDir("");
  config.http.upload_paths = {"/v1/sync/batch"};
  return config;
}

Result<ProfileStoreConfig> ReadProfileStoreConfig(ConfigFile& file) {
  ProfileStoreConfig config = DefaultProfileStoreConfig();
  std::string state_dir;
  file.Read("state.dir", state_dir);
  config.state_dir = ResolveStateDir(state_dir);

  file.ReadIpAddress("server.listen_address", config.listen_address, "0.0.0.0");
  file.Read<std::uint16_t>("server.port", config.port, 0, 65535);
  std::string names = "localhost, 127.0.0.1";
  file.Read("server.names", names);
  config.server_names = SplitNames(names);
  if (config.server_names.empty()) {
    file.AddError("server.names", "must name at least one host name or IP address");
  }
  HttpServerLimits& http = config.http;
  file.Read<std::size_t>("server.max_connections", http.max_connections, 1, 100'000);
  file.Read<std::size_t>("server.max_upload_body_bytes", http.max_upload_body_bytes, 64 * 1024,
                         64 * 1024 * 1024);
  file.Read("server.read_timeout_ms", http.read_deadline, milliseconds(100), milliseconds(600'000));
  file.Read("server.write_timeout_ms", http.write_deadline, milliseconds(100),
            milliseconds(600'000));
  file.Read("server.idle_timeout_ms", http.idle_timeout, milliseconds(100),
            milliseconds(3'600'000));
  file.Read<std::size_t>("server.unknown_credentials_per_address",
                         config.unknown_credentials_per_address, 0, 100'000);
  file.Read<std::size_t>("server.kiosk_events_per_day", config.kiosk_events_per_day, 0,
                         1'000'000'000);
  if (config.kiosk_events_per_day > 0 && config.kiosk_events_per_day < kMaxBatchEvents) {
    file.AddError(
        "server.kiosk_events_per_day",
        StrCat("must be 0 (no limit) or at least ", kMaxBatchEvents, ", the events of one batch"));
  }

  file.ReadChoice("storage.backend", config.backend, {"sqlite", "postgres"});
  file.Read("storage.postgres_url", config.postgres_url);
  file.Read("storage.postgres_call_timeout_ms", config.postgres_call_timeout, milliseconds(1'000),
            milliseconds(3'600'000));
  if (config.backend == "postgres" && config.postgres_url.empty()) {
    file.AddError("storage.postgres_url", "must be set when storage.backend is \"postgres\"");
  }

  std::int64_t hours = config.token_validity.count();
  file.Read("enrollment.token_valid_hours", hours, 1, 24 * 30);
  config.token_validity = std::chrono::hours(hours);
  std::int64_t days = config.certificate_validity.count();
  file.Read("enrollment.certificate_valid_days", days, 1, 3650);
  config.certificate_validity = std::chrono::days(days);

  std::int64_t silent_minutes = config.kiosk_health.silent_after.count();
  file.Read("kiosk_health.silent_after_minutes", silent_minutes, 10, 7 * 24 * 60);
  config.kiosk_health.silent_after = std::chrono::minutes(silent_minutes);

  config.channels = ReadChannels(file);

  config.hq_api_tokens = ReadHqApiTokens(file);

  std::string log_level = "info";
  file.ReadChoice("log.level", log_level, {"error", "warning", "info", "debug"});
  config.log_level = ParseLogLevelOr(log_level, LogLevel::kInfo);

  if (Result<void> checked = file.Finish(); !checked) return checked.error();
  return config;
}

Result<ProfileStoreConfig> LoadProfileStoreConfig(const std::filesystem::path& file) {
  Result<ConfigFile> parsed = ConfigFile::Load(file);
  if (!parsed) return parsed.error();
  return ReadProfileStoreConfig(*parsed);
}

}  // namespace kiosk_edge
