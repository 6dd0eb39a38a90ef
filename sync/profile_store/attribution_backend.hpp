#pragma once

// What SqliteStore and PostgresStore share in reading attribution facts
// (sqlite_attribution.cpp, postgres_attribution.cpp). Private to those files.

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sync/profile_store/attribution_facts.hpp"

namespace kiosk_edge {

// The channel a channel_defined payload describes (agent/channels.cpp); nothing when the payload
// lacks an id or a path.
std::optional<ChannelDefinition> ChannelDefinitionFromPayload(std::string_view payload_json);

// `ids` as a JSON array of [kiosk_id, incarnation, seq] triples, for a query parameter.
std::string EventIdsJson(std::span<const EventId> ids);

// ScanGrouping::channel_groups as a JSON object, for a query parameter.
std::string ChannelGroupsJson(const std::map<std::string, std::string>& groups);

// The signups the vouchers were issued for, each once.
std::vector<EventId> SignupsOfVouchers(std::span<const VoucherFact> vouchers);

// Builds SignupFacts from rows ordered by signup: one row per (signup, touch), or one row without
// a touch for a signup with none (extra rows without a touch are harmless).
class SignupFactCollector {
 public:
  void Add(EventId signup, std::int64_t occurred_at_ms, std::optional<std::string> channel_id,
           std::optional<Touch> touch);
  std::vector<SignupFact> Take() { return std::move(signups_); }

 private:
  std::vector<SignupFact> signups_;
};

}  // namespace kiosk_edge
