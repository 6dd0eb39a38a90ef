#pragma once

// What SqliteStore and PostgresStore share in reading attribution facts
// (sqlite_attribution.cpp, postgres_attribution.cpp). Private to those files.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sync/profile_store/attribution_facts.hpp"

namespace kiosk_edge {

// The channel a channel_defined payload describes (agent/channels.cpp); nothing when the payload
// lacks an id or a path.
std::optional<ChannelDefinition> ChannelDefinitionFromPayload(std::string_view payload_json);

// `texts` as a JSON array of strings, for a query parameter.
std::string JsonStringArray(const std::vector<std::string>& texts);

// ScanGrouping::channel_groups as a JSON object, for a query parameter.
std::string ChannelGroupsJson(const std::map<std::string, std::string>& groups);

// Counts the scan figures of a window scan by scan, grouped as `grouping` asks, for a backend
// that reads the window's scans rather than grouping them in SQL (postgres_attribution.cpp).
class ScanTally {
 public:
  explicit ScanTally(const ScanGrouping& grouping) : grouping_(grouping) {}

  // One scan: its channel ("" for none), whether it is attributable (valid, with a channel) and a
  // verified presence code, its scanner's key (nullopt without a device: no unique scanner).
  void Add(std::string_view channel_id, bool attributable, bool verified,
           std::optional<std::uint64_t> scanner, std::int64_t occurred_at_ms);
  // Fills facts.scan_groups and facts.scan_totals.
  void Finish(AttributionFacts& facts);

 private:
  struct Group {
    ScanFigures figures;
    std::vector<std::uint64_t> scanners;  // with repeats until Finish
  };
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const {
      return std::hash<std::string_view>()(text);
    }
  };
  Group& GroupOf(std::string_view channel_id, bool attributable, std::int64_t occurred_at_ms);
  static void Count(Group& group, bool attributable, bool verified,
                    std::optional<std::uint64_t> scanner);

  const ScanGrouping& grouping_;
  std::unordered_map<std::string, Group, Hash, std::equal_to<>> groups_;
  Group totals_;
};

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
