#include "sync/profile_store/attribution.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <map>
#include <set>
#include <tuple>

#include "common/strings.hpp"
#include "sync/profile_store/report_time.hpp"

namespace kiosk_edge {
namespace {

// The order of the rows that stand for no channel, after every real group.
constexpr std::string_view kPseudoGroups[] = {kUnknownGroup, kDirectGroup, kUnattributedGroup,
                                              kInvalidGroup};

int PseudoRank(std::string_view group) {
  for (std::size_t i = 0; i < std::size(kPseudoGroups); ++i) {
    if (kPseudoGroups[i] == group) return static_cast<int>(i) + 1;
  }
  return 0;
}

std::string PathPrefix(std::string_view path, int levels) {
  std::size_t end = 0, from = 0;
  for (int level = 0; level < levels; ++level) {
    end = path.find('/', from);
    if (end == std::string_view::npos) return std::string(path);
    from = end + 1;
  }
  return std::string(path.substr(0, end));
}

std::string EventKey(const EventId& id) {
  return StrCat(id.kiosk_id, "\n", id.incarnation, "\n", id.seq);
}

// Who gets the credit for a signup: the chosen touch's channel, else the signup's own channel,
// else (direct); and when the touch happened.
struct Credit {
  std::string channel;
  std::optional<std::int64_t> touch_at_ms;
};

bool Earlier(const Touch& a, const Touch& b) {
  return std::tie(a.occurred_at_ms, a.scan.kiosk_id, a.scan.incarnation, a.scan.seq) <
         std::tie(b.occurred_at_ms, b.scan.kiosk_id, b.scan.incarnation, b.scan.seq);
}

Credit CreditOf(const SignupFact& signup, AttributionModel model) {
  const Touch* chosen = nullptr;
  for (const Touch& touch : signup.touches) {
    if (chosen == nullptr || (model == AttributionModel::kFirstTouch ? Earlier(touch, *chosen)
                                                                     : Earlier(*chosen, touch))) {
      chosen = &touch;
    }
  }
  if (chosen != nullptr) return Credit{chosen->channel_id, chosen->occurred_at_ms};
  return Credit{signup.channel_id.value_or(std::string(kDirectGroup)), std::nullopt};
}

// Maps a credited channel (or a pseudo group) and a time to the report's group.
class Grouper {
 public:
  Grouper(const AttributionQuery& query, std::span<const ChannelDefinition> catalogue)
      : query_(query) {
    for (const ChannelDefinition& channel : catalogue) channels_.emplace(channel.id, &channel);
  }

  std::string GroupOf(std::string_view channel, std::int64_t at_ms) const {
    if (query_.group_by == AttributionGrouping::kDay) {
      return FormatDay(DayNumber(at_ms, query_.utc_offset_minutes));
    }
    if (PseudoRank(channel) != 0 || query_.group_by == AttributionGrouping::kChannel) {
      return std::string(channel);
    }
    const auto found = channels_.find(channel);
    if (found == channels_.end()) return std::string(kUnknownGroup);
    const ChannelDefinition& definition = *found->second;
    switch (query_.group_by) {
      case AttributionGrouping::kPath:
        return PathPrefix(definition.path, query_.path_levels);
      case AttributionGrouping::kStore:
        return definition.store;
      default:
        return definition.campaign;
    }
  }

  std::string NameOf(std::string_view group) const {
    if (query_.group_by != AttributionGrouping::kChannel) return {};
    const auto found = channels_.find(group);
    return found == channels_.end() ? std::string() : found->second->name;
  }

 private:
  const AttributionQuery& query_;
  std::map<std::string, const ChannelDefinition*, std::less<>> channels_;
};

struct Accumulator {
  AttributionFigures figures;
  std::vector<std::int64_t> scan_to_signup_ms;
  std::vector<std::int64_t> signup_to_redemption_ms;

  AttributionFigures Finish() {
    figures.median_scan_to_signup = MedianMs::Of(scan_to_signup_ms);
    figures.median_signup_to_redemption = MedianMs::Of(signup_to_redemption_ms);
    return figures;
  }
};

void AddScans(AttributionFigures& figures, const ScanFigures& scans) {
  figures.scans += scans.scans;
  figures.unique_scanners += scans.unique_scanners;
  figures.presence_verified_scans += scans.presence_verified;
  figures.invalid_scans += scans.invalid;
}

// The channels a store or campaign filter keeps (nullopt without a filter), from the catalogue.
std::optional<std::set<std::string, std::less<>>> ChannelsInScope(
    const AttributionQuery& query, std::span<const ChannelDefinition> catalogue) {
  if (!query.store && !query.campaign) return std::nullopt;
  std::set<std::string, std::less<>> channels;
  for (const ChannelDefinition& channel : catalogue) {
    if ((!query.store || channel.store == *query.store) &&
        (!query.campaign || channel.campaign == *query.campaign)) {
      channels.insert(channel.id);
    }
  }
  return channels;
}

}  // namespace

std::optional<MedianMs> MedianMs::Of(std::vector<std::int64_t>& samples) {
  if (samples.empty()) return std::nullopt;
  std::sort(samples.begin(), samples.end());
  const std::size_t middle = samples.size() / 2;
  if (samples.size() % 2 == 1) return MedianMs{2 * samples[middle]};
  return MedianMs{samples[middle - 1] + samples[middle]};
}

std::string MedianMs::SecondsText() const {
  // doubled / 2000 s: four decimals at most (units of 0.0005 s).
  const std::int64_t whole = doubled / 2000;
  const std::int64_t fraction = (doubled % 2000) * 5;
  char text[48];
  std::snprintf(text, sizeof text, "%lld.%04lld", static_cast<long long>(whole),
                static_cast<long long>(fraction));
  std::string out(text);
  while (out.back() == '0') out.pop_back();
  if (out.back() == '.') out.pop_back();
  return out;
}

std::vector<ChannelDefinition> MergeChannelCatalogue(
    std::vector<ChannelDefinition> from_events, std::span<const ChannelDefinition> configured) {
  for (const ChannelDefinition& channel : configured) {
    const bool known =
        std::any_of(from_events.begin(), from_events.end(),
                    [&channel](const ChannelDefinition& other) { return other.id == channel.id; });
    if (!known) from_events.push_back(channel);
  }
  std::sort(from_events.begin(), from_events.end(),
            [](const ChannelDefinition& a, const ChannelDefinition& b) { return a.id < b.id; });
  return from_events;
}

ScanGrouping ScanGroupingFor(const AttributionQuery& query,
                             std::span<const ChannelDefinition> catalogue) {
  ScanGrouping grouping;
  if (query.group_by == AttributionGrouping::kChannel) return grouping;
  if (query.group_by == AttributionGrouping::kDay) {
    grouping.kind = ScanGrouping::Kind::kDay;
    grouping.day_offset_ms = std::int64_t{query.utc_offset_minutes} * 60'000;
    return grouping;
  }
  grouping.kind = ScanGrouping::Kind::kMapped;
  const Grouper grouper(query, catalogue);
  for (const ChannelDefinition& channel : catalogue) {
    grouping.channel_groups.emplace(channel.id, grouper.GroupOf(channel.id, 0));
  }
  return grouping;
}

AttributionReport ComputeAttribution(const AttributionQuery& query,
                                     std::span<const ChannelDefinition> catalogue,
                                     const AttributionFacts& facts, std::int64_t now_ms) {
  const Grouper grouper(query, catalogue);
  const auto in_window = [&query](std::int64_t at_ms) {
    return at_ms >= query.from_ms && at_ms < query.to_ms;
  };
  const auto scope = ChannelsInScope(query, catalogue);
  const auto in_scope = [&scope](std::string_view channel) {
    return !scope || scope->contains(channel);
  };
  std::map<std::string, Accumulator> groups;
  Accumulator totals;

  for (const ScanFigures& scans : facts.scan_groups) {
    std::string group = scans.group;
    if (query.group_by == AttributionGrouping::kDay) {
      std::int64_t day = 0;
      std::from_chars(scans.group.data(), scans.group.data() + scans.group.size(), day);
      group = FormatDay(day);
    }
    AddScans(groups[group].figures, scans);
  }
  AddScans(totals.figures, facts.scan_totals);

  std::map<std::string, std::pair<const SignupFact*, Credit>> signups;
  for (const SignupFact& signup : facts.signups) {
    Credit credit = CreditOf(signup, query.model);
    if (in_window(signup.occurred_at_ms) && in_scope(credit.channel)) {
      Accumulator& group = groups[grouper.GroupOf(credit.channel, signup.occurred_at_ms)];
      for (Accumulator* into : {&group, &totals}) {
        ++into->figures.signups;
        if (credit.touch_at_ms) {
          into->scan_to_signup_ms.push_back(signup.occurred_at_ms - *credit.touch_at_ms);
        }
      }
    }
    signups.emplace(EventKey(signup.id), std::pair{&signup, std::move(credit)});
  }

  // A voucher follows its signup's credit; without a known signup, its own channel.
  std::map<std::string, std::pair<std::string, const SignupFact*>, std::less<>> vouchers;
  for (const VoucherFact& voucher : facts.vouchers) {
    std::string channel = voucher.channel_id.value_or(std::string(kDirectGroup));
    const SignupFact* signup = nullptr;
    if (voucher.signup) {
      if (auto found = signups.find(EventKey(*voucher.signup)); found != signups.end()) {
        channel = found->second.second.channel;
        signup = found->second.first;
      }
    }
    if (in_window(voucher.issued_at_ms) && in_scope(channel)) {
      ++groups[grouper.GroupOf(channel, voucher.issued_at_ms)].figures.vouchers_issued;
      ++totals.figures.vouchers_issued;
    }
    vouchers.emplace(voucher.voucher_key, std::pair{std::move(channel), signup});
  }

  for (const RedemptionFact& redemption : facts.redemptions) {
    const auto voucher = vouchers.find(redemption.voucher_key);
    const std::string channel =
        voucher == vouchers.end() ? std::string(kUnattributedGroup) : voucher->second.first;
    const SignupFact* signup = voucher == vouchers.end() ? nullptr : voucher->second.second;
    if (!in_scope(channel)) continue;
    Accumulator& group = groups[grouper.GroupOf(channel, redemption.occurred_at_ms)];
    for (Accumulator* into : {&group, &totals}) {
      ++into->figures.redemptions;
      // Kiosk clocks may disagree: a redemption "before" its signup took no time.
      if (signup != nullptr) {
        into->signup_to_redemption_ms.push_back(
            std::max<std::int64_t>(0, redemption.occurred_at_ms - signup->occurred_at_ms));
      }
    }
  }

  AttributionReport report{query, now_ms, {}, totals.Finish()};
  if (query.group_by == AttributionGrouping::kDay) {
    const std::int64_t first = DayNumber(query.from_ms, query.utc_offset_minutes);
    const std::int64_t last = DayNumber(query.to_ms - 1, query.utc_offset_minutes);
    for (std::int64_t day = first; day <= last; ++day) {
      std::string group = FormatDay(day);
      auto found = groups.find(group);
      report.rows.push_back(AttributionRow{
          group, "", found == groups.end() ? AttributionFigures{} : found->second.Finish()});
    }
    return report;
  }
  for (auto& [group, accumulator] : groups) {
    report.rows.push_back(AttributionRow{group, grouper.NameOf(group), accumulator.Finish()});
  }
  std::stable_sort(report.rows.begin(), report.rows.end(),
                   [](const AttributionRow& a, const AttributionRow& b) {
                     return PseudoRank(a.group) < PseudoRank(b.group);
                   });
  return report;
}

Result<AttributionReport> BuildAttributionReport(StoreBackend& store, const AttributionQuery& query,
                                                 std::span<const ChannelDefinition> configured,
                                                 std::int64_t now_ms) {
  auto defined = store.DefinedChannels();
  if (!defined) return defined.error().WithContext("attribution");
  const std::vector<ChannelDefinition> catalogue =
      MergeChannelCatalogue(std::move(*defined), configured);
  AttributionFactsRequest request;
  request.from_ms = query.from_ms;
  request.to_ms = query.to_ms;
  request.lookback_ms = std::int64_t{query.lookback_days} * kMsPerDay;
  request.scan_grouping = ScanGroupingFor(query, catalogue);
  if (auto scope = ChannelsInScope(query, catalogue)) {
    request.scan_channels.emplace(scope->begin(), scope->end());
  }
  auto facts = store.LoadAttributionFacts(request);
  if (!facts) return facts.error().WithContext("attribution");
  return ComputeAttribution(query, catalogue, *facts, now_ms);
}

}  // namespace kiosk_edge
