// PostgresStore's attribution facts (attribution_facts.hpp): the same queries as
// sqlite_attribution.cpp in PostgreSQL's dialect, in one REPEATABLE READ READ ONLY transaction
// (one snapshot, and ingest is never held up). Scan figures and their totals come from one pass
// (GROUPING SETS). The window's conditions use the indexes of migration 3 (attribution_schema.hpp).

#include "common/strings.hpp"
#include "sync/profile_store/attribution_backend.hpp"
#include "sync/profile_store/postgres_lease.hpp"

namespace kiosk_edge {
namespace {

constexpr std::string_view kChannelsSql =
    "SELECT DISTINCT ON (channel_id) payload::text FROM events "
    "WHERE type = 'channel_defined' AND channel_id IS NOT NULL "
    "ORDER BY channel_id, occurred_at_ms DESC, kiosk_id DESC, incarnation DESC, seq DESC";

constexpr std::string_view kScansSql =
    "SELECT kiosk_id, device_id, channel_id, occurred_at_ms, "
    "(channel_id IS NOT NULL AND payload->'valid' = 'true'::jsonb) IS TRUE AS ok, "
    "(payload->>'code' = 'presence' AND payload->>'presence' = 'verified') IS TRUE AS verified "
    "FROM events WHERE type = 'scan' AND occurred_at_ms >= $1 AND occurred_at_ms < $2";

constexpr std::string_view kVouchersSql =
    "WITH wanted(voucher_key) AS ("
    " SELECT voucher_key FROM vouchers WHERE issued_at_ms >= $1 AND issued_at_ms < $2"
    " UNION SELECT voucher_key FROM redemptions WHERE occurred_at_ms >= $1 AND occurred_at_ms < $2)"
    " SELECT v.voucher_key, v.issued_at_ms, v.channel_id, v.signer, v.issued_incarnation,"
    " (SELECT s.seq FROM signups s WHERE s.kiosk_id = v.signer AND"
    "  s.incarnation = v.issued_incarnation AND s.seq < v.issued_seq AND"
    "  s.campaign = v.campaign AND s.channel_id IS NOT DISTINCT FROM v.channel_id"
    "  ORDER BY s.seq DESC LIMIT 1)"
    " FROM wanted w JOIN vouchers v ON v.voucher_key = w.voucher_key"
    " WHERE v.issued_seq IS NOT NULL";

constexpr std::string_view kSignupsSql =
    "WITH wanted(kiosk_id, incarnation, seq) AS ("
    " SELECT kiosk_id, incarnation, seq FROM signups"
    " WHERE occurred_at_ms >= $1 AND occurred_at_ms < $2"
    " UNION SELECT j->>0, j->>1, (j->>2)::bigint FROM jsonb_array_elements($3::jsonb) j)"
    " SELECT s.kiosk_id, s.incarnation, s.seq, s.occurred_at_ms, s.channel_id,"
    " e.kiosk_id, e.incarnation, e.seq, e.channel_id, e.occurred_at_ms"
    " FROM wanted w JOIN signups s ON s.kiosk_id = w.kiosk_id AND"
    " s.incarnation = w.incarnation AND s.seq = w.seq"
    " LEFT JOIN device_links d ON d.profile_key = s.profile_key"
    " LEFT JOIN events e ON e.kiosk_id = d.kiosk_id AND e.device_id = d.device_id AND"
    " e.type = 'scan' AND e.channel_id IS NOT NULL AND e.payload->'valid' = 'true'::jsonb"
    " AND e.occurred_at_ms <= s.occurred_at_ms AND e.occurred_at_ms >= s.occurred_at_ms - $4"
    " ORDER BY s.kiosk_id, s.incarnation, s.seq";

constexpr std::string_view kRedemptionsSql =
    "SELECT kiosk_id, incarnation, seq, voucher_key, occurred_at_ms FROM redemptions "
    "WHERE occurred_at_ms >= $1 AND occurred_at_ms < $2";

std::optional<std::string> OptionalText(const PgResult& rows, int row, int column) {
  if (rows.IsNull(row, column)) return std::nullopt;
  return rows.Text(row, column);
}

Result<void> ReadScans(PgConnection& connection, const AttributionFactsRequest& request,
                       AttributionFacts& facts) {
  const std::string invalid = StrCat("'", kInvalidGroup, "'");
  PgParams params = Params(request.from_ms, request.to_ms);
  std::string group;
  std::string join;
  switch (request.scan_grouping.kind) {
    case ScanGrouping::Kind::kChannel:
      group = StrCat("CASE WHEN s.ok THEN s.channel_id ELSE ", invalid, " END");
      break;
    case ScanGrouping::Kind::kMapped:
      group = StrCat("CASE WHEN s.ok THEN COALESCE(m.value, '", kUnknownGroup, "') ELSE ", invalid,
                     " END");
      join = " LEFT JOIN jsonb_each_text($3::jsonb) m ON m.key = s.channel_id";
      params.push_back(ChannelGroupsJson(request.scan_grouping.channel_groups));
      break;
    case ScanGrouping::Kind::kDay:
      group = "((s.occurred_at_ms + $3::bigint) / 86400000)::text";
      params.push_back(PgParam(request.scan_grouping.day_offset_ms));
      break;
  }
  auto rows =
      connection.Query(StrCat("SELECT g.grp, COUNT(*), COUNT(*) FILTER (WHERE NOT g.ok), "
                              "COUNT(*) FILTER (WHERE g.ok AND g.verified), "
                              "COUNT(DISTINCT (g.kiosk_id || ' ' || g.device_id) COLLATE \"C\"), "
                              "GROUPING(g.grp) FROM (SELECT s.*, (",
                              group, ") COLLATE \"C\" AS grp FROM (", kScansSql, ") s", join,
                              ") g GROUP BY GROUPING SETS ((g.grp), ())"),
                       params);
  if (!rows) return rows.error();
  for (int i = 0; i < rows->rows(); ++i) {
    ScanFigures figures{rows->Text(i, 0), rows->Int(i, 1), rows->Int(i, 4), rows->Int(i, 3),
                        rows->Int(i, 2)};
    if (rows->Int(i, 5) == 1) {
      figures.group.clear();
      facts.scan_totals = std::move(figures);
    } else {
      facts.scan_groups.push_back(std::move(figures));
    }
  }
  return {};
}

Result<void> ReadConversions(PgConnection& connection, const AttributionFactsRequest& request,
                             AttributionFacts& facts) {
  auto vouchers = connection.Query(kVouchersSql, Params(request.from_ms, request.to_ms));
  if (!vouchers) return vouchers.error();
  for (int i = 0; i < vouchers->rows(); ++i) {
    VoucherFact voucher{
        vouchers->Text(i, 0), vouchers->Int(i, 1), OptionalText(*vouchers, i, 2), {}};
    if (!vouchers->IsNull(i, 5)) {
      voucher.signup = EventId{vouchers->Text(i, 3), vouchers->Text(i, 4), vouchers->Int(i, 5)};
    }
    facts.vouchers.push_back(std::move(voucher));
  }
  auto signups = connection.Query(
      kSignupsSql, Params(request.from_ms, request.to_ms,
                          EventIdsJson(SignupsOfVouchers(facts.vouchers)), request.lookback_ms));
  if (!signups) return signups.error();
  SignupFactCollector collector;
  for (int i = 0; i < signups->rows(); ++i) {
    std::optional<Touch> touch;
    if (!signups->IsNull(i, 5)) {
      touch = Touch{EventId{signups->Text(i, 5), signups->Text(i, 6), signups->Int(i, 7)},
                    signups->Text(i, 8), signups->Int(i, 9)};
    }
    collector.Add(EventId{signups->Text(i, 0), signups->Text(i, 1), signups->Int(i, 2)},
                  signups->Int(i, 3), OptionalText(*signups, i, 4), std::move(touch));
  }
  facts.signups = collector.Take();
  auto redemptions = connection.Query(kRedemptionsSql, Params(request.from_ms, request.to_ms));
  if (!redemptions) return redemptions.error();
  for (int i = 0; i < redemptions->rows(); ++i) {
    facts.redemptions.push_back(RedemptionFact{
        EventId{redemptions->Text(i, 0), redemptions->Text(i, 1), redemptions->Int(i, 2)},
        redemptions->Text(i, 3), redemptions->Int(i, 4)});
  }
  return {};
}

}  // namespace

Result<std::vector<ChannelDefinition>> PostgresStore::DefinedChannels() {
  auto session = Acquire();
  if (!session) return session.error();
  auto rows = (*session)->connection().Query(kChannelsSql);
  if (!rows) return rows.error();
  std::vector<ChannelDefinition> channels;
  for (int i = 0; i < rows->rows(); ++i) {
    if (auto channel = ChannelDefinitionFromPayload(rows->Text(i, 0))) {
      channels.push_back(std::move(*channel));
    }
  }
  return channels;
}

Result<AttributionFacts> PostgresStore::LoadAttributionFacts(
    const AttributionFactsRequest& request) {
  auto session = Acquire();
  if (!session) return session.error();
  PgConnection& connection = (*session)->connection();
  // Counting unique scanners sorts the window's scans (hence also the byte-order collation above):
  // in memory rather than spilled to disk, and with JIT off (it costs more to compile these
  // queries than it saves). 10M events, a 30-day window, a busy 2-core machine: the scan query
  // took 7.6 s with 4 MB and the database's collation, 1.7 s like this. Rollups kept at ingest
  // are the way to a report in 1 s.
  if (auto begun = connection.Exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; "
                                   "SET LOCAL work_mem = '256MB'; SET LOCAL jit = off");
      !begun) {
    return begun.error();
  }
  AttributionFacts facts;
  Result<void> read = ReadScans(connection, request, facts);
  if (read) read = ReadConversions(connection, request, facts);
  if (auto ended = connection.Exec(read ? "COMMIT" : "ROLLBACK"); !ended && read) read = ended;
  if (!read) return read.error();
  return facts;
}

}  // namespace kiosk_edge
