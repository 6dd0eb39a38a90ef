#include "sync/profile_store/audience.hpp"

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <map>
#include <tuple>

#include "common/strings.hpp"
#include "sync/profile_store/attribution.hpp"
#include "sync/profile_store/attribution_render.hpp"
#include "sync/profile_store/identity.hpp"
#include "sync/profile_store/report_time.hpp"

namespace kiosk_edge {
namespace {

constexpr std::string_view kColumns[] = {"profile",      "store", "channel", "campaign",
                                         "signed_up_at", "name",  "phone"};
constexpr std::string_view kExportColumns[] = {"id",       "exported_at", "token",
                                               "audience", "filter",      "rows"};

bool Matches(const std::optional<std::string>& wanted, const std::optional<std::string>& value) {
  return !wanted || (value && *value == *wanted);
}

// The sealed value opened, or "" when it does not open (the export goes on without it).
std::string OpenOrEmpty(const HqIdentity& identity, std::string_view sealed,
                        std::string_view context) {
  auto opened = identity.OpenSealed(sealed, context);
  return opened ? std::move(*opened) : std::string();
}

boost::json::value OptionalJson(const std::optional<std::string>& text) {
  if (!text) return nullptr;
  return boost::json::value(*text);
}

boost::json::array ColumnsJson(std::span<const std::string_view> columns) {
  boost::json::array array;
  for (std::string_view column : columns) array.emplace_back(column);
  return array;
}

}  // namespace

Result<AudienceReport> BuildNotRedeemedAudience(
    StoreBackend& store, const AudienceQuery& query,
    std::span<const ChannelDefinition> configured_channels, std::int64_t now_ms) {
  AudienceReport report{query, now_ms, {}};
  // A signup is due once `after` has passed since it.
  const AudienceFactsRequest request{query.from_ms,
                                     std::min(query.to_ms, now_ms - query.after_ms + 1)};
  if (request.to_ms <= request.from_ms) return report;
  auto defined = store.DefinedChannels();
  if (!defined) return defined.error().WithContext("audience");
  std::map<std::string, std::string, std::less<>> store_of_channel;
  for (ChannelDefinition& channel :
       MergeChannelCatalogue(std::move(*defined), configured_channels)) {
    if (!channel.store.empty()) store_of_channel[channel.id] = std::move(channel.store);
  }
  auto candidates = store.LoadAudienceCandidates(request);
  if (!candidates) return candidates.error().WithContext("audience");

  const std::string* previous_profile = nullptr;
  for (const AudienceCandidate& candidate : *candidates) {
    // One row per shopper: their first signup that matches (candidates come in that order).
    if (previous_profile != nullptr && *previous_profile == candidate.profile_key) continue;
    std::optional<std::string> channel_store;
    if (candidate.channel_id) {
      const auto found = store_of_channel.find(*candidate.channel_id);
      if (found != store_of_channel.end()) channel_store = found->second;
    }
    if (!Matches(query.store, channel_store) || !Matches(query.channel, candidate.channel_id) ||
        !Matches(query.campaign, std::optional<std::string>(candidate.campaign))) {
      continue;
    }
    previous_profile = &candidate.profile_key;
    if (candidate.first_redemption_at_ms &&
        *candidate.first_redemption_at_ms <= candidate.signed_up_at_ms + query.after_ms) {
      continue;
    }
    const HqIdentity& identity = store.identity();
    std::string phone = OpenOrEmpty(identity, candidate.phone_sealed, kSignupPhoneContext);
    if (!IsE164(phone)) phone.clear();
    report.rows.push_back(AudienceMember{
        candidate.profile_key, std::move(channel_store), candidate.channel_id, candidate.campaign,
        candidate.signed_up_at_ms, OpenOrEmpty(identity, candidate.name_sealed, kSignupNameContext),
        std::move(phone)});
  }
  std::sort(report.rows.begin(), report.rows.end(),
            [](const AudienceMember& a, const AudienceMember& b) {
              return std::tie(a.signed_up_at_ms, a.profile_key) <
                     std::tie(b.signed_up_at_ms, b.profile_key);
            });
  return report;
}

std::string AudienceJson(const AudienceReport& report) {
  const AudienceQuery& query = report.query;
  const int tz = query.utc_offset_minutes;
  boost::json::object query_json{{"audience", kNotRedeemedAudience},
                                 {"after", query.after_text},
                                 {"from", FormatReportTime(query.from_ms, tz)},
                                 {"to", FormatReportTime(query.to_ms, tz)},
                                 {"tz", FormatUtcOffset(tz)}};
  if (query.store) query_json["store"] = *query.store;
  if (query.campaign) query_json["campaign"] = *query.campaign;
  if (query.channel) query_json["channel"] = *query.channel;
  boost::json::array rows;
  for (const AudienceMember& row : report.rows) {
    rows.push_back(boost::json::object{{"profile", row.profile_key},
                                       {"store", OptionalJson(row.store)},
                                       {"channel", OptionalJson(row.channel_id)},
                                       {"campaign", row.campaign},
                                       {"signed_up_at", FormatReportTime(row.signed_up_at_ms, tz)},
                                       {"name", row.name},
                                       {"phone", row.phone}});
  }
  return boost::json::serialize(
      boost::json::object{{"query", std::move(query_json)},
                          {"generated_at", FormatReportTime(report.generated_at_ms, tz)},
                          {"columns", ColumnsJson(kColumns)},
                          {"rows", std::move(rows)}});
}

std::string AudienceCsv(const AudienceReport& report) {
  std::string out;
  for (std::string_view column : kColumns) {
    if (!out.empty()) out += ',';
    out += column;
  }
  out += "\r\n";
  const int tz = report.query.utc_offset_minutes;
  for (const AudienceMember& row : report.rows) {
    out += StrCat(CsvText(row.profile_key), ",", CsvText(row.store.value_or("")), ",",
                  CsvText(row.channel_id.value_or("")), ",", CsvText(row.campaign), ",",
                  FormatReportTime(row.signed_up_at_ms, tz), ",", CsvText(row.name), ",",
                  CsvField(row.phone), "\r\n");
  }
  return out;
}

std::string AudienceExportsJson(std::span<const AudienceExportRecord> records,
                                int utc_offset_minutes) {
  boost::json::array rows;
  for (const AudienceExportRecord& record : records) {
    rows.push_back(boost::json::object{
        {"id", record.id},
        {"exported_at", FormatReportTime(record.exported_at_ms, utc_offset_minutes)},
        {"token", record.token_name},
        {"audience", record.audience},
        {"filter", record.filter},
        {"rows", record.row_count}});
  }
  return boost::json::serialize(boost::json::object{{"query", boost::json::object{}},
                                                    {"columns", ColumnsJson(kExportColumns)},
                                                    {"rows", std::move(rows)}});
}

}  // namespace kiosk_edge
