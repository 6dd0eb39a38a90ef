#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/event.hpp"
#include "common/error.hpp"

namespace kiosk_edge {

class Journal;

// Where a code is placed. Error correction follows it: screens M, print Q.
enum class Medium { kPoster, kElevator, kFlyer, kCounterCard, kKioskScreen, kOnline };

std::string_view ToString(Medium medium);
std::optional<Medium> ParseMedium(std::string_view text);

// A placement with its own QR code (DESIGN.md §1): "north/greenwood/bldg-2/elevator-3/poster-v2"
// or "store-0042/counter".
struct Channel {
  std::string id;  // 1-32 of [A-Z0-9-]: the code's path stays in QR alphanumeric mode
  std::string name;
  Medium medium = Medium::kPoster;
  std::string path;  // levels separated by '/', each 1-48 of [a-z0-9._-]
  std::string campaign;
  std::string store;
  std::optional<std::int64_t> active_from_ms;   // Unix ms; unset = always
  std::optional<std::int64_t> active_until_ms;  // Unix ms, exclusive; unset = open-ended
  bool retired = false;
  // Defined by HQ's config bundle ("origin": "hq" in the event), not by this kiosk's config or
  // kioskctl. HQ owns such a channel: the kiosk's own definitions of its id are not applied.
  bool defined_by_hq = false;

  bool ActiveAt(std::chrono::system_clock::time_point now) const;
};

// True when `a` and `b` define the same placement the same way (every field but `retired`).
bool SameDefinition(const Channel& a, const Channel& b);

// What is wrong with a channel definition: the field ("id", "name", "path", "campaign", "store",
// "active_until_ms") and why.
struct ChannelProblem {
  std::string_view field;
  std::string message;
};
std::optional<ChannelProblem> FindChannelProblem(const Channel& channel);

// kInvalidArgument with FindChannelProblem's message unless `channel` may be defined.
Result<void> ValidateChannel(const Channel& channel);

// The events that define and retire channels; their payloads carry the whole channel (and
// "origin": "hq" for HQ's channels). A definition of a retired channel brings it back.
EventDraft ChannelDefinedEvent(const Channel& channel);
EventDraft ChannelRetiredEvent(std::string_view channel_id, bool by_hq = false);

// The channels a kiosk knows, rebuilt from the journal's definition events. Thread-safe.
class ChannelRegistry {
 public:
  // Reads every definition event in the journal.
  Result<void> Load(Journal& journal);
  // Applies one definition event (channel_defined / channel_retired); others are ignored.
  Result<void> Apply(std::string_view type, std::string_view payload_json);

  std::optional<Channel> Find(std::string_view id) const;
  std::vector<Channel> All() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, Channel, std::less<>> channels_;
};

// The channels a fresh demo kiosk defines so that every flow can be tried at once: its own
// screen, a lobby poster, an elevator poster, a flyer and a counter card.
std::vector<Channel> DemoChannels(std::string_view store_id);

}  // namespace kiosk_edge
