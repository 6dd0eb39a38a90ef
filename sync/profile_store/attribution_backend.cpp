#include "sync/profile_store/attribution_backend.hpp"

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <tuple>

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

std::string EventIdsJson(std::span<const EventId> ids) {
  boost::json::array array;
  array.reserve(ids.size());
  for (const EventId& id : ids)
    array.push_back(boost::json::array{id.kiosk_id, id.incarnation, id.seq});
  return boost::json::serialize(array);
}

std::string ChannelGroupsJson(const std::map<std::string, std::string>& groups) {
  boost::json::object object;
  for (const auto& [channel, group] : groups) object[channel] = group;
  return boost::json::serialize(object);
}

std::vector<EventId> SignupsOfVouchers(std::span<const VoucherFact> vouchers) {
  std::vector<EventId> ids;
  for (const VoucherFact& voucher : vouchers) {
    if (voucher.signup) ids.push_back(*voucher.signup);
  }
  const auto order = [](const EventId& a, const EventId& b) {
    return std::tie(a.kiosk_id, a.incarnation, a.seq) < std::tie(b.kiosk_id, b.incarnation, b.seq);
  };
  std::sort(ids.begin(), ids.end(), order);
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

void SignupFactCollector::Add(EventId signup, std::int64_t occurred_at_ms,
                              std::optional<std::string> channel_id, std::optional<Touch> touch) {
  if (signups_.empty() || !(signups_.back().id == signup)) {
    signups_.push_back(SignupFact{std::move(signup), occurred_at_ms, std::move(channel_id), {}});
  }
  if (touch) signups_.back().touches.push_back(std::move(*touch));
}

}  // namespace kiosk_edge
