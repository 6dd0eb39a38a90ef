#include "sync/profile_store/profile_store_config.hpp"

#include <boost/asio/ip/address.hpp>
#include <cstdlib>

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

  file.Read("server.listen_address", config.listen_address);
  boost::system::error_code address_error;
  boost::asio::ip::make_address(config.listen_address, address_error);
  if (address_error) {
    file.AddError("server.listen_address", "must be an IPv4 or IPv6 address, such as 0.0.0.0");
  }
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

  file.ReadChoice("storage.backend", config.backend, {"sqlite", "postgres"});
  file.Read("storage.postgres_url", config.postgres_url);
  if (config.backend == "postgres" && config.postgres_url.empty()) {
    file.AddError("storage.postgres_url", "must be set when storage.backend is \"postgres\"");
  }

  std::int64_t hours = config.token_validity.count();
  file.Read("enrollment.token_valid_hours", hours, 1, 24 * 30);
  config.token_validity = std::chrono::hours(hours);
  std::int64_t days = config.certificate_validity.count();
  file.Read("enrollment.certificate_valid_days", days, 1, 3650);
  config.certificate_validity = std::chrono::days(days);

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
