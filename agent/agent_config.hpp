#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "agent/channels.hpp"
#include "agent/staff_auth.hpp"
#include "agent/voucher_issue.hpp"
#include "common/config_file.hpp"
#include "common/error.hpp"
#include "common/http_types.hpp"
#include "common/log.hpp"

namespace kiosk_edge {

// Settings of the kiosk-agent daemon. Every field has a config key (in brackets), documented with
// its range in config/kiosk-agent.toml; the initializers here are the defaults.
struct AgentConfig {
  // [kiosk] id: 1..64 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit. Empty means
  // "not configured": the daemon generates one on first start and keeps it in state_dir (the
  // loader never does, since it touches no state).
  std::string kiosk_id;
  // [kiosk] store_id: the store this kiosk stands in; same alphabet as kiosk_id, never empty.
  std::string store_id = "store-0001";
  // [state] dir: where the journal and the generated kiosk id live. Never empty in a config
  // returned by DefaultAgentConfig or LoadAgentConfig: an empty key is resolved by ResolveStateDir.
  // A relative path is relative to the working directory.
  std::filesystem::path state_dir;
  // [http] listen_address: a loopback IPv4 or IPv6 literal (no host names: nothing is resolved at
  // load). Plain HTTP serves this machine only (its kiosk screen and counter): phones send names
  // and phone numbers, which cross the store network only over [https].
  std::string listen_address = "127.0.0.1";
  // [http] port: 0 asks the OS for any free port.
  std::uint16_t port = 8470;
  // [http] max_connections, max_header_bytes, max_body_bytes, read_timeout_ms, write_timeout_ms,
  // idle_timeout_ms, shutdown_grace_ms; defaults are HttpServerLimits' own. [https] has the same.
  HttpServerLimits http;
  // [https] certificate, private_key: PEM files, the certificate chain phones are served and its
  // unencrypted private key; both or neither. Phones must trust the chain, so it comes from the
  // retailer (a CA phones know, for the host name public_base_url names). Empty: no [https]
  // listener. Relative paths are relative to the working directory.
  std::filesystem::path https_certificate;
  std::filesystem::path https_private_key;
  // [https] listen_address, port: where phones reach the same pages over TLS.
  std::string https_listen_address = "0.0.0.0";
  std::uint16_t https_port = 8471;
  // [journal] max_disk_mb, in bytes: past it the journal sheds synced data, then refuses captures.
  std::uint64_t journal_max_disk_bytes = std::uint64_t{512} * 1024 * 1024;
  // [journal] max_batch_events: events per group-commit transaction.
  std::size_t journal_max_batch_events = 1024;
  // [log] level: error, warning, info or debug.
  LogLevel log_level = LogLevel::kInfo;
  // [http] public_base_url: what printed and on-screen codes point at
  // ("https://kiosk-12.store.example.com:8471", as phones on the store Wi-Fi reach the kiosk);
  // https:// when [https] is set. Empty: the [https] listener's address, else the [http] one's.
  std::string public_base_url;
  // [shopper] extra_country_codes: besides mainland China mobiles, the country calling codes
  // whose numbers are accepted at signup ("852,853,886").
  std::vector<std::string> extra_country_codes = {"852", "853", "886"};
  // [shopper] default_campaign: the campaign of signups that came through no known channel.
  std::string default_campaign = "welcome-gift";
  // [kiosk] presence_step_seconds: how often the kiosk screen's code rotates.
  std::chrono::seconds presence_step{30};
  // [shopper] signups_per_device / signups_per_address: signup attempts allowed in any 10
  // minutes from one phone (device cookie) and from one network address (a store's Wi-Fi shares
  // one, so it is much higher).
  std::size_t signups_per_device = 10;
  std::size_t signups_per_address = 300;
  // [shopper] consent_text_version: recorded with every consent, so HQ knows what was agreed to.
  std::string consent_text_version = "2026-11-v1";
  // [hq] public_key: HQ's X25519 public key (64 hex digits) that names and phones are sealed
  // for. Empty: a demo key pair is generated in the state folder (demo only).
  std::string hq_public_key_hex;
  // [channels.<ID>]: channels this kiosk defines at start (name, medium, path, campaign, store).
  // With none, a new kiosk defines demo channels; kioskctl adds and retires channels at run time.
  std::vector<Channel> channels;
  // [vouchers] gift, valid_days, scope ("store" or "fleet"): the voucher issued at signup.
  VoucherPolicy vouchers;
  // [staff.<ID>] name, pin_hash: who may log in at /counter (hashes from `kioskctl staff
  // hash-pin`). With none, a demo staff member "demo" gets a random PIN kept in the state folder.
  std::vector<StaffMember> staff;
  // [counter] session_minutes, max_failed_logins, lockout_minutes.
  StaffPolicy staff_policy;
  // [counter] camera_device: a V4L2 camera the agent reads itself ("/dev/video0"); empty: none.
  std::string camera_device;
  // [counter] camera_max_fps: frames per second decoded from camera_device; frame_max_fps:
  // frames per second one counter page may post from its own camera.
  int camera_max_fps = 5;
  int frame_max_fps = 8;
  // [sync] backoff_base_ms, backoff_cap_ms: retries after HQ could not be reached wait a random
  // time up to base * 2^(failures-1), at most the cap. config_interval_ms: how often HQ's config
  // is pulled. (HQ's address and the kiosk's certificate come from `kioskctl enroll`.)
  std::chrono::milliseconds sync_backoff_base{1000};
  std::chrono::milliseconds sync_backoff_cap{5 * 60 * 1000};
  std::chrono::milliseconds sync_config_interval{60 * 1000};
};

// The configuration an empty config file yields: the defaults above with state_dir resolved
// (reads $STATE_DIRECTORY; touches no file).
AgentConfig DefaultAgentConfig();

// True when codes point at https (public_base_url, or the [https] listener when that is empty):
// shopper and staff cookies are then Secure. Browsers keep Secure cookies for http://localhost
// too, so the kiosk's own screen and counter on loopback still work.
bool CodesPointAtHttps(const AgentConfig& config);

// Reads `file` into an AgentConfig. Every unknown key, wrong type and out-of-range value is
// refused, all of them in one kConfig error, one per line, each naming file, line and key. Pure:
// reads the file and $STATE_DIRECTORY, creates and changes nothing, so a caller that exits on
// error has touched no state.
Result<AgentConfig> LoadAgentConfig(const std::filesystem::path& file);

// LoadAgentConfig's work on an already parsed file (calls file.Finish()). Exposed so that a test
// can also ask `file` which keys were absent.
Result<AgentConfig> ReadAgentConfig(ConfigFile& file);

// `configured` when not empty; else the first directory in `state_directory_env` (systemd sets
// $STATE_DIRECTORY to a colon-separated list for StateDirectory=) when set and not empty; else
// "state/kiosk-agent" relative to the working directory.
std::filesystem::path ResolveStateDir(const std::filesystem::path& configured,
                                      const char* state_directory_env);

}  // namespace kiosk_edge
