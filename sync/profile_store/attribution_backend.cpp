#include "sync/profile_store/attribution_backend.hpp"

#include <algorithm>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>

#include "common/json_fields.hpp"

namespace kiosk_edge {

std::optional<ChannelDefinition> ChannelDefinitionFromPayload(std::string_view payload_json) {
  boost::system::error_code error;
  const boost::json::value parsed = boost::json::parse(payload_json, error);
  if (error || !parsed.is_object()) return std::nullopt;
  const boost::json::object& json = parsed.as_object();
  ChannelDefinition channel{JsonString(json, "id"), JsonString(json, "name"),
                            JsonString(json, "path"), JsonString(json, "store"),
                            JsonString(json, "campaign")};
  if (channel.id.empty() || channel.path.empty()) return std::nullopt;
  return channel;
}

std::string JsonStringArray(const std::vector<std::string>& texts) {
  return boost::json::serialize(boost::json::value_from(texts));
}

std::string ChannelGroupsJson(const std::map<std::string, std::string>& groups) {
  boost::json::object object;
  for (const auto& [channel, group] : groups) object[channel] = group;
  return boost::json::serialize(object);
}

void ScanTally::Add(std::string_view channel_id, bool attributable, bool verified,
                    std::optional<std::uint64_t> scanner, std::int64_t occurred_at_ms) {
  Count(GroupOf(channel_id, attributable, occurred_at_ms), attributable, verified, scanner);
  Count(totals_, attributable, verified, scanner);
}

ScanTally::Group& ScanTally::GroupOf(std::string_view channel_id, bool attributable,
                                     std::int64_t occurred_at_ms) {
  std::string day;
  std::string_view key = kInvalidGroup;
  switch (grouping_.kind) {
    case ScanGrouping::Kind::kChannel:
      if (attributable) key = channel_id;
      break;
    case ScanGrouping::Kind::kMapped:
      if (attributable) {
        const auto found = grouping_.channel_groups.find(std::string(channel_id));
        key = found == grouping_.channel_groups.end() ? kUnknownGroup
                                                      : std::string_view(found->second);
      }
      break;
    case ScanGrouping::Kind::kDay:
      day = std::to_string((occurred_at_ms + grouping_.day_offset_ms) / 86'400'000);
      key = day;
      break;
  }
  if (auto found = groups_.find(key); found != groups_.end()) return found->second;
  Group& group = groups_[std::string(key)];
  group.figures.group = std::string(key);
  return group;
}

void ScanTally::Count(Group& group, bool attributable, bool verified,
                      std::optional<std::uint64_t> scanner) {
  ++group.figures.scans;
  if (!attributable) ++group.figures.invalid;
  if (attributable && verified) ++group.figures.presence_verified;
  if (scanner) group.scanners.push_back(*scanner);
}

void ScanTally::Finish(AttributionFacts& facts) {
  const auto finish = [](Group& group) {
    std::sort(group.scanners.begin(), group.scanners.end());
    group.figures.unique_scanners = static_cast<std::int64_t>(
        std::unique(group.scanners.begin(), group.scanners.end()) - group.scanners.begin());
    return std::move(group.figures);
  };
  facts.scan_groups.clear();
  for (auto& [key, group] : groups_) facts.scan_groups.push_back(finish(group));
  facts.scan_totals = finish(totals_);
  facts.scan_totals.group.clear();
  groups_.clear();
  totals_ = Group{};
}

void SignupFactCollector::Add(EventId signup, std::int64_t occurred_at_ms,
                              std::optional<std::string> channel_id, std::optional<Touch> touch) {
  if (signups_.empty() || !(signups_.back().id == signup)) {
    signups_.push_back(SignupFact{std::move(signup), occurred_at_ms, std::move(channel_id), {}});
  }
  if (touch) signups_.back().touches.push_back(std::move(*touch));
}

}  // namespace kiosk_edge
