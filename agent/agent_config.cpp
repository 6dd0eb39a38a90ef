#include "agent/agent_config.hpp"

#include <chrono>
#include <cstdlib>
#include <string_view>

#include "common/http_forms.hpp"

namespace kiosk_edge {
namespace {

using std::chrono::milliseconds;

constexpr std::int64_t kBytesPerMb = 1024 * 1024;
constexpr std::size_t kMaxIdLength = 64;

// Ids end up in file names, URLs and HQ's database: keep them to a safe alphabet, and let them
// start only with a letter or digit so that "." and ".." (and option-like "-x") are impossible.
bool IsValidId(std::string_view id) {
  const auto alphanumeric = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  };
  if (id.empty() || id.size() > kMaxIdLength || !alphanumeric(id.front())) return false;
  for (char c : id) {
    if (!alphanumeric(c) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

constexpr std::string_view kIdRule =
    "must be 1 to 64 characters of A-Z a-z 0-9 . _ - starting with a letter or digit";

void ReadVoucherAndCounterKeys(ConfigFile& file, AgentConfig& config) {
  VoucherPolicy& vouchers = config.vouchers;
  file.Read("vouchers.gift", vouchers.gift);
  if (vouchers.gift.empty() || vouchers.gift.size() > 64 || !IsValidUtf8(vouchers.gift)) {
    file.AddError("vouchers.gift", "must be 1 to 64 bytes of UTF-8 text");
  }
  std::int64_t valid_days = vouchers.validity.count();
  file.Read("vouchers.valid_days", valid_days, 1, 3650);
  vouchers.validity = std::chrono::days(valid_days);
  std::string scope = "store";
  file.ReadChoice("vouchers.scope", scope, {"store", "fleet"});
  vouchers.scope = scope == "fleet" ? VoucherScope::kFleet : VoucherScope::kStore;

  for (const std::string& id : file.TableNames("staff")) {
    const std::string key = "staff." + id;
    StaffMember member{id, id, ""};
    if (!IsValidId(id)) file.AddError(key, kIdRule);
    file.Read(key + ".name", member.name);
    if (member.name.empty() || member.name.size() > 64 || !IsValidUtf8(member.name)) {
      file.AddError(key + ".name", "must be 1 to 64 bytes of UTF-8 text");
    }
    file.Read(key + ".pin_hash", member.pin_hash);
    if (auto hash = CheckPinHash(member.pin_hash); !hash) {
      file.AddError(key + ".pin_hash", hash.error().message());
    }
    config.staff.push_back(std::move(member));
  }

  StaffPolicy& policy = config.staff_policy;
  std::int64_t minutes = policy.session_lifetime.count();
  file.Read("counter.session_minutes", minutes, 1, 24 * 60);
  policy.session_lifetime = std::chrono::minutes(minutes);
  file.Read("counter.max_failed_logins", policy.max_failed_logins, 1, 100);
  minutes = policy.lockout.count();
  file.Read("counter.lockout_minutes", minutes, 1, 24 * 60);
  policy.lockout = std::chrono::minutes(minutes);
  file.Read("counter.camera_device", config.camera_device);
  if (!config.camera_device.empty() && !config.camera_device.starts_with("/dev/")) {
    file.AddError("counter.camera_device", "must be a device path such as /dev/video0");
  }
  file.Read("counter.camera_max_fps", config.camera_max_fps, 1, 30);
  file.Read("counter.frame_max_fps", config.frame_max_fps, 1, 30);

  file.Read("sync.backoff_base_ms", config.sync_backoff_base, milliseconds(10),
            milliseconds(60'000));
  file.Read("sync.backoff_cap_ms", config.sync_backoff_cap, milliseconds(100),
            milliseconds(3'600'000));
  if (config.sync_backoff_cap < config.sync_backoff_base) {
    file.AddError("sync.backoff_cap_ms", "must not be below sync.backoff_base_ms");
  }
  file.Read("sync.config_interval_ms", config.sync_config_interval, milliseconds(1000),
            milliseconds(86'400'000));
}

// [https]: the listener phones use.
void ReadHttps(ConfigFile& file, AgentConfig& config) {
  std::string certificate, private_key;
  file.Read("https.certificate", certificate);
  file.Read("https.private_key", private_key);
  for (const auto& [key, path] : {std::pair{"https.certificate", &certificate},
                                  std::pair{"https.private_key", &private_key}}) {
    if (path->find('\0') != std::string::npos) {
      file.AddError(key, "must not contain a NUL character");
    }
  }
  if (certificate.empty() != private_key.empty()) {
    file.AddError(certificate.empty() ? "https.private_key" : "https.certificate",
                  "https.certificate and https.private_key go together");
  }
  config.https_certificate = certificate;
  config.https_private_key = private_key;
  file.ReadIpAddress("https.listen_address", config.https_listen_address, "0.0.0.0");
  file.Read<std::uint16_t>("https.port", config.https_port, 0, 65535);
}

}  // namespace

std::filesystem::path ResolveStateDir(const std::filesystem::path& configured,
                                      const char* state_directory_env) {
  if (!configured.empty()) return configured;
  if (state_directory_env != nullptr) {
    const std::string_view list(state_directory_env);
    const std::string_view first = list.substr(0, list.find(':'));
    if (!first.empty()) return std::filesystem::path(first);
  }
  return std::filesystem::path("state") / "kiosk-agent";
}

bool CodesPointAtHttps(const AgentConfig& config) {
  return config.public_base_url.starts_with("https://") ||
         (config.public_base_url.empty() && !config.https_certificate.empty());
}

AgentConfig DefaultAgentConfig() {
  AgentConfig config;
  config.state_dir = ResolveStateDir(config.state_dir, std::getenv("STATE_DIRECTORY"));
  return config;
}

Result<AgentConfig> ReadAgentConfig(ConfigFile& file) {
  AgentConfig config;

  file.Read("kiosk.id", config.kiosk_id);
  if (!config.kiosk_id.empty() && !IsValidId(config.kiosk_id)) file.AddError("kiosk.id", kIdRule);
  file.Read("kiosk.store_id", config.store_id);
  if (!IsValidId(config.store_id)) file.AddError("kiosk.store_id", kIdRule);

  std::int64_t presence_step_seconds = config.presence_step.count();
  file.Read("kiosk.presence_step_seconds", presence_step_seconds, 2, 300);
  config.presence_step = std::chrono::seconds(presence_step_seconds);

  std::string state_dir;
  file.Read("state.dir", state_dir);
  if (state_dir.find('\0') != std::string::npos) {
    file.AddError("state.dir", "must not contain a NUL character");
  }
  config.state_dir = ResolveStateDir(state_dir, std::getenv("STATE_DIRECTORY"));

  const auto address =
      file.ReadIpAddress("http.listen_address", config.listen_address, "127.0.0.1");
  if (address && !address->is_loopback()) {
    file.AddError("http.listen_address",
                  "plain HTTP listens on loopback only (127.0.0.1 or ::1): phones send names and "
                  "phone numbers, so they reach the kiosk over [https]");
  }
  file.Read<std::uint16_t>("http.port", config.port, 0, 65535);
  ReadHttps(file, config);
  HttpServerLimits& http = config.http;
  file.Read<std::size_t>("http.max_connections", http.max_connections, 1, 100'000);
  file.Read<std::size_t>("http.max_header_bytes", http.max_header_bytes, 1024, 1024 * 1024);
  file.Read<std::size_t>("http.max_body_bytes", http.max_body_bytes, 1024, 64 * 1024 * 1024);
  // Lower bounds keep a slow but honest phone on a weak connection servable; upper bounds keep a
  // stalled peer from holding a connection slot for long.
  file.Read("http.read_timeout_ms", http.read_deadline, milliseconds(100), milliseconds(600'000));
  file.Read("http.write_timeout_ms", http.write_deadline, milliseconds(100), milliseconds(600'000));
  file.Read("http.idle_timeout_ms", http.idle_timeout, milliseconds(100), milliseconds(3'600'000));
  file.Read("http.shutdown_grace_ms", http.shutdown_grace, milliseconds(0), milliseconds(600'000));

  std::int64_t max_disk_mb = static_cast<std::int64_t>(config.journal_max_disk_bytes) / kBytesPerMb;
  file.Read("journal.max_disk_mb", max_disk_mb, 1, 1024 * 1024);
  config.journal_max_disk_bytes = static_cast<std::uint64_t>(max_disk_mb * kBytesPerMb);
  file.Read<std::size_t>("journal.max_batch_events", config.journal_max_batch_events, 1, 100'000);

  file.Read("http.public_base_url", config.public_base_url);
  if (!config.public_base_url.empty() && !config.public_base_url.starts_with("http://") &&
      !config.public_base_url.starts_with("https://")) {
    file.AddError("http.public_base_url", "must start with http:// or https://");
  }
  if (config.public_base_url.ends_with('/')) config.public_base_url.pop_back();
  if (!config.https_certificate.empty() && config.public_base_url.starts_with("http://")) {
    file.AddError("http.public_base_url", "must start with https:// when [https] serves phones");
  }

  std::string country_codes = "852,853,886";
  file.Read("shopper.extra_country_codes", country_codes);
  config.extra_country_codes.clear();
  for (std::size_t start = 0; start <= country_codes.size();) {
    const std::size_t comma = std::min(country_codes.find(',', start), country_codes.size());
    const std::string code = country_codes.substr(start, comma - start);
    if (!code.empty()) {
      const bool digits =
          code.size() <= 3 && code.find_first_not_of("0123456789") == std::string::npos;
      if (!digits || code == "86") {
        file.AddError("shopper.extra_country_codes",
                      "must be country calling codes of 1-3 digits separated by commas, e.g. "
                      "\"852,853\" (mainland China, 86, is always accepted)");
      }
      config.extra_country_codes.push_back(code);
    }
    start = comma + 1;
  }
  file.Read("shopper.default_campaign", config.default_campaign);
  if (!IsValidId(config.default_campaign)) file.AddError("shopper.default_campaign", kIdRule);
  file.Read<std::size_t>("shopper.signups_per_device", config.signups_per_device, 1, 10'000);
  file.Read<std::size_t>("shopper.signups_per_address", config.signups_per_address, 1, 1'000'000);
  file.Read("shopper.consent_text_version", config.consent_text_version);
  if (config.consent_text_version.empty() || config.consent_text_version.size() > 64) {
    file.AddError("shopper.consent_text_version", "must be 1 to 64 characters");
  }
  file.Read("hq.public_key", config.hq_public_key_hex);
  if (!config.hq_public_key_hex.empty() &&
      (config.hq_public_key_hex.size() != 64 ||
       config.hq_public_key_hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)) {
    file.AddError("hq.public_key", "must be 64 hex digits (an X25519 public key)");
  }

  for (const std::string& id : file.TableNames("channels")) {
    const std::string key = "channels." + id;
    Channel channel;
    channel.id = id;
    file.Read(key + ".name", channel.name);
    std::string medium = "poster";
    file.ReadChoice(key + ".medium", medium,
                    {"poster", "elevator", "flyer", "counter_card", "kiosk_screen", "online"});
    channel.medium = ParseMedium(medium).value_or(Medium::kPoster);
    file.Read(key + ".path", channel.path);
    channel.campaign = config.default_campaign;
    file.Read(key + ".campaign", channel.campaign);
    channel.store = config.store_id;
    file.Read(key + ".store", channel.store);
    if (auto problem = FindChannelProblem(channel)) {
      file.AddError(problem->field == "id" ? key : StrCat(key, ".", problem->field),
                    problem->message);
    }
    config.channels.push_back(std::move(channel));
  }

  ReadVoucherAndCounterKeys(file, config);

  std::string log_level = "info";
  file.ReadChoice("log.level", log_level, {"error", "warning", "info", "debug"});
  config.log_level = ParseLogLevelOr(log_level, LogLevel::kInfo);

  if (Result<void> checked = file.Finish(); !checked) return checked.error();
  return config;
}

Result<AgentConfig> LoadAgentConfig(const std::filesystem::path& file) {
  Result<ConfigFile> parsed = ConfigFile::Load(file);
  if (!parsed) return parsed.error();
  return ReadAgentConfig(*parsed);
}

}  // namespace kiosk_edge
