#include "agent/channels.hpp"

#include <algorithm>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "agent/journal.hpp"
#include "common/json_fields.hpp"
#include "common/strings.hpp"

namespace kiosk_edge {
namespace {

constexpr std::pair<Medium, std::string_view> kMediumNames[] = {
    {Medium::kPoster, "poster"},
    {Medium::kElevator, "elevator"},
    {Medium::kFlyer, "flyer"},
    {Medium::kCounterCard, "counter_card"},
    {Medium::kKioskScreen, "kiosk_screen"},
    {Medium::kOnline, "online"}};

bool IsChannelIdChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

bool IsPathLevelChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

bool IsValidPath(std::string_view path) {
  if (path.empty() || path.size() > 256) return false;
  std::size_t level_length = 0;
  for (char c : path) {
    if (c == '/') {
      if (level_length == 0) return false;
      level_length = 0;
    } else if (!IsPathLevelChar(c) || ++level_length > 48) {
      return false;
    }
  }
  return level_length > 0;
}

}  // namespace

std::string_view ToString(Medium medium) {
  for (const auto& [value, name] : kMediumNames) {
    if (value == medium) return name;
  }
  return "poster";
}

std::optional<Medium> ParseMedium(std::string_view text) {
  for (const auto& [value, name] : kMediumNames) {
    if (name == text) return value;
  }
  return std::nullopt;
}

bool Channel::ActiveAt(std::chrono::system_clock::time_point now) const {
  const auto now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  if (retired) return false;
  if (active_from_ms && now_ms < *active_from_ms) return false;
  if (active_until_ms && now_ms >= *active_until_ms) return false;
  return true;
}

std::optional<ChannelProblem> FindChannelProblem(const Channel& channel) {
  if (channel.id.empty() || channel.id.size() > 32 ||
      !std::all_of(channel.id.begin(), channel.id.end(), IsChannelIdChar)) {
    return ChannelProblem{"id", "channel id must be 1-32 characters of A-Z, 0-9 and '-'"};
  }
  if (channel.name.empty() || channel.name.size() > 120) {
    return ChannelProblem{"name", "channel name must be 1-120 bytes"};
  }
  if (!IsValidPath(channel.path)) {
    return ChannelProblem{"path",
                          "channel path must be levels of [a-z0-9._-] separated by '/', e.g. "
                          "north/greenwood/bldg-2/elevator-3/poster-v2"};
  }
  if (channel.campaign.empty() || channel.campaign.size() > 64) {
    return ChannelProblem{"campaign", "channel campaign must be 1-64 bytes"};
  }
  if (channel.store.empty() || channel.store.size() > 64) {
    return ChannelProblem{"store", "channel store must be 1-64 bytes"};
  }
  if (channel.active_from_ms && channel.active_until_ms &&
      *channel.active_until_ms <= *channel.active_from_ms) {
    return ChannelProblem{"active_until_ms", "channel active window ends before it starts"};
  }
  return std::nullopt;
}

bool SameDefinition(const Channel& a, const Channel& b) {
  return a.id == b.id && a.name == b.name && a.medium == b.medium && a.path == b.path &&
         a.campaign == b.campaign && a.store == b.store && a.active_from_ms == b.active_from_ms &&
         a.active_until_ms == b.active_until_ms && a.defined_by_hq == b.defined_by_hq;
}

Result<void> ValidateChannel(const Channel& channel) {
  if (auto problem = FindChannelProblem(channel)) {
    return Error(ErrorKind::kInvalidArgument, std::move(problem->message));
  }
  return {};
}

EventDraft ChannelDefinedEvent(const Channel& channel) {
  boost::json::object json{
      {"id", channel.id},     {"name", channel.name},         {"medium", ToString(channel.medium)},
      {"path", channel.path}, {"campaign", channel.campaign}, {"store", channel.store}};
  if (channel.active_from_ms) json["active_from_ms"] = *channel.active_from_ms;
  if (channel.active_until_ms) json["active_until_ms"] = *channel.active_until_ms;
  if (channel.defined_by_hq) json["origin"] = "hq";
  return EventDraft{"channel_defined", channel.id, 1, boost::json::serialize(json), std::nullopt};
}

EventDraft ChannelRetiredEvent(std::string_view channel_id, bool by_hq) {
  boost::json::object json{{"id", channel_id}};
  if (by_hq) json["origin"] = "hq";
  return EventDraft{"channel_retired", std::string(channel_id), 1, boost::json::serialize(json),
                    std::nullopt};
}

Result<void> ChannelRegistry::Load(Journal& journal) {
  std::int64_t cursor = 0;
  while (true) {
    auto page = journal.ReadDefinitionsAfter(cursor, 500);
    if (!page) return page.error().WithContext("load channels");
    if (page->empty()) return {};
    for (const JournalEvent& event : *page) {
      if (auto applied = Apply(event.type, event.payload_json); !applied) {
        return applied.error().WithContext(StrCat("channel event ", event.seq));
      }
      cursor = event.seq;
    }
  }
}

Result<void> ChannelRegistry::Apply(std::string_view type, std::string_view payload_json) {
  if (type != "channel_defined" && type != "channel_retired") return {};
  boost::system::error_code parse_error;
  const boost::json::value parsed = boost::json::parse(payload_json, parse_error);
  if (parse_error || !parsed.is_object()) {
    return Error(ErrorKind::kCorrupt, "channel payload is not a JSON object");
  }
  const auto& json = parsed.as_object();
  const std::string id = JsonString(json, "id");
  std::lock_guard lock(mutex_);
  if (type == "channel_retired") {
    if (auto found = channels_.find(id); found != channels_.end()) found->second.retired = true;
    return {};
  }
  Channel channel;
  channel.id = id;
  channel.name = JsonString(json, "name");
  channel.medium = ParseMedium(JsonString(json, "medium")).value_or(Medium::kPoster);
  channel.path = JsonString(json, "path");
  channel.campaign = JsonString(json, "campaign");
  channel.store = JsonString(json, "store");
  channel.active_from_ms = JsonInt(json, "active_from_ms");
  channel.active_until_ms = JsonInt(json, "active_until_ms");
  channel.defined_by_hq = JsonString(json, "origin") == "hq";
  if (auto valid = ValidateChannel(channel); !valid) return valid.error();
  channels_[id] = std::move(channel);
  return {};
}

std::optional<Channel> ChannelRegistry::Find(std::string_view id) const {
  std::lock_guard lock(mutex_);
  auto found = channels_.find(id);
  if (found == channels_.end()) return std::nullopt;
  return found->second;
}

std::vector<Channel> ChannelRegistry::All() const {
  std::lock_guard lock(mutex_);
  std::vector<Channel> all;
  for (const auto& [id, channel] : channels_) all.push_back(channel);
  return all;
}

std::vector<Channel> DemoChannels(std::string_view store_id) {
  const std::string store(store_id);
  const std::string campaign = "welcome-gift";
  return {
      {"KIOSK-SCREEN", "Kiosk screen", Medium::kKioskScreen, store + "/kiosk", campaign, store,
       std::nullopt, std::nullopt, false, false},
      {"LOBBY-POSTER-1", "Lobby poster", Medium::kPoster, store + "/lobby/poster-v1", campaign,
       store, std::nullopt, std::nullopt, false, false},
      {"EL3-POSTER-V2", "Elevator 3 poster", Medium::kElevator,
       "north/greenwood/bldg-2/elevator-3/poster-v2", campaign, store, std::nullopt, std::nullopt,
       false, false},
      {"FLYER-NOV", "November flyer", Medium::kFlyer, "north/greenwood/flyer-nov", campaign, store,
       std::nullopt, std::nullopt, false, false},
      {"COUNTER-CARD", "Counter card", Medium::kCounterCard, store + "/counter", campaign, store,
       std::nullopt, std::nullopt, false, false},
  };
}

}  // namespace kiosk_edge
