#include "sync/profile_store/channel_key_commands.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ostream>

#include "common/clock.hpp"
#include "common/files.hpp"
#include "sync/profile_store/hq_channel_keys.hpp"

namespace kiosk_edge {
namespace {

constexpr int kOk = 0, kFailed = 1, kUsage = 2;

std::int64_t NowUnixSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             SystemClock().WallNow().time_since_epoch())
      .count();
}

std::string UtcDate(std::int64_t unix_s) {
  const std::chrono::sys_days day =
      std::chrono::floor<std::chrono::days>(std::chrono::sys_seconds(std::chrono::seconds(unix_s)));
  const std::chrono::year_month_day date(day);
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
  return text;
}

std::string UpperAscii(std::string text) {
  for (char& c : text) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return text;
}

}  // namespace

int RotateChannelKeyCommand(const ProfileStoreConfig& config, std::ostream& out,
                            std::ostream& err) {
  if (auto made = EnsurePrivateDirectory(config.state_dir); !made) {
    err << "profile-store: " << made.error().message() << "\n";
    return kFailed;
  }
  auto keys = RotateChannelKey(config.state_dir, NowUnixSeconds());
  if (!keys) {
    err << "profile-store: " << keys.error().message() << "\n";
    return kFailed;
  }
  out << "channel key " << keys->signing_key_id << " signs new channel codes from now on\n";
  for (const HqChannelKey& key : keys->keys) {
    if (key.retired_at_s) {
      out << "channel key " << key.id << " is retired; its codes stay valid until "
          << UtcDate(*key.retired_at_s + kHqChannelKeyOverlap.count()) << " (UTC)\n";
    }
  }
  out << "Reprint posters with `profile-store channel-code ID`; kiosks get the new key at their "
         "next config pull.\n";
  return kOk;
}

int WithdrawChannelKeyCommand(const ProfileStoreConfig& config, char key_id, std::ostream& out,
                              std::ostream& err) {
  auto keys = WithdrawChannelKey(config.state_dir, key_id, NowUnixSeconds());
  if (!keys) {
    err << "profile-store: " << keys.error().message() << "\n";
    return kFailed;
  }
  out << "channel key " << key_id
      << " withdrawn: kiosks refuse its codes (\"unknown key\") from their next config pull\n";
  return kOk;
}

int ChannelCodeCommand(const ProfileStoreConfig& config, const std::vector<std::string>& words,
                       const std::optional<std::string>& base_url, std::ostream& out,
                       std::ostream& err) {
  if (words.size() != 1) {
    err << "profile-store: channel-code needs one channel id\n";
    return kUsage;
  }
  const std::string& id = words[0];
  const auto channel =
      std::find_if(config.channels.begin(), config.channels.end(),
                   [&id](const BundleChannel& defined) { return defined.id == id; });
  if (channel == config.channels.end()) {
    err << "profile-store: no channel " << id
        << " in the config's [channels]; define it there first (see --config)\n";
    return kFailed;
  }
  if (channel->retired) {
    err << "profile-store: warning: channel " << id
        << " is retired: its scans are recorded as inactive\n";
  }
  std::string base;
  if (base_url) {
    if (!base_url->starts_with("http://") && !base_url->starts_with("https://")) {
      err << "profile-store: --base-url must start with http:// or https://\n";
      return kUsage;
    }
    base = UpperAscii(*base_url);
    if (base.ends_with('/')) base.pop_back();
  }
  if (auto made = EnsurePrivateDirectory(config.state_dir); !made) {
    err << "profile-store: " << made.error().message() << "\n";
    return kFailed;
  }
  auto keys = LoadOrCreateChannelKeys(config.state_dir, NowUnixSeconds());
  if (!keys) {
    err << "profile-store: " << keys.error().message() << "\n";
    return kFailed;
  }
  auto token = IssueChannelCode(*keys, id);
  if (!token) {
    err << "profile-store: " << token.error().message() << "\n";
    return kFailed;
  }
  out << base << "/C/" << *token << "\n";
  return kOk;
}

}  // namespace kiosk_edge
