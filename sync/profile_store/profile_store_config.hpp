#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/config_file.hpp"
#include "common/error.hpp"
#include "common/http_types.hpp"
#include "common/log.hpp"
#include "sync/profile_store/hq_api_tokens.hpp"
#include "sync/profile_store/kiosk_health.hpp"
#include "sync/protocol/config_bundle.hpp"

namespace kiosk_edge {

// Settings of the profile-store server. Every field has a key (in brackets), documented with its
// range in config/profile-store.toml; the initializers are the defaults.
struct ProfileStoreConfig {
  // [state] dir: keys, certificates and (with SQLite) the database. Empty in the file: the first
  // of $STATE_DIRECTORY, else ./state/profile-store.
  std::filesystem::path state_dir;
  // [server] listen_address (an IP literal) and port (0: any free port).
  std::string listen_address = "127.0.0.1";
  std::uint16_t port = 8443;
  // [server] names: DNS names and IP addresses kiosks use to reach HQ, written into the server
  // certificate made at first start ("hq.example.com, 10.0.0.5").
  std::vector<std::string> server_names = {"localhost", "127.0.0.1"};
  // [server] max_connections, read_timeout_ms, ... as for kiosk-agent; max_upload_body_bytes is
  // the largest compressed batch accepted.
  HttpServerLimits http;
  // [server] unknown_credentials_per_address: unknown HQ API and enrollment tokens one network
  // address may send in 10 minutes before HQ answers its credentials 429
  // (unknown_credential_limit.hpp); 0 = no limit.
  std::size_t unknown_credentials_per_address = 20;
  // [server] kiosk_events_per_day: events one kiosk may send in a day (a window from its first
  // batch), so that a stolen kiosk's certificate cannot fill HQ's disk before it is revoked; 0 =
  // no limit, else at least kMaxBatchEvents. Counted by each profile-store instance on its own.
  std::size_t kiosk_events_per_day = 1'000'000;
  // [storage] backend: "sqlite" (state_dir/profile-store.db) or "postgres" (postgres_url, a libpq
  // connection string).
  std::string backend = "sqlite";
  std::string postgres_url;
  // [storage] postgres_call_timeout_ms: how long one PostgreSQL call may take
  // (PostgresStoreOptions::call_timeout).
  std::chrono::milliseconds postgres_call_timeout{60'000};
  // [enrollment] token_valid_hours: how long a one-time enrollment token stays usable;
  // certificate_valid_days: the kiosk certificates profile-store signs.
  std::chrono::hours token_validity{24};
  std::chrono::days certificate_validity{825};
  // [kiosk_health] silent_after_minutes: when a kiosk that has not reached HQ needs attention.
  KioskHealthRules kiosk_health;
  // [channels.ID]: the fleet's channels (placements and their campaigns), sent to every kiosk in
  // the config bundle; name, medium, path, campaign, store, active_from_ms, active_until_ms,
  // retired. The same rules as a kiosk's channels (agent/channels.hpp). In file order of ids.
  std::vector<BundleChannel> channels;
  // [hq_api.tokens.NAME] hash: the bearer tokens HQ's API accepts, as hashes
  // (hq_api_tokens.hpp); none configured: every HQ endpoint answers 401.
  std::vector<HqApiToken> hq_api_tokens;
  // [log] level.
  LogLevel log_level = LogLevel::kInfo;
};

ProfileStoreConfig DefaultProfileStoreConfig();

// Every problem in one kConfig error, one per line, as file:line: key: reason.
Result<ProfileStoreConfig> LoadProfileStoreConfig(const std::filesystem::path& file);
Result<ProfileStoreConfig> ReadProfileStoreConfig(ConfigFile& file);

}  // namespace kiosk_edge
