// SqliteStore's attribution facts (attribution_facts.hpp). The window's conditions use the
// indexes of migration 3 (attribution_schema.hpp); touches go through device_links and the
// device scan index. The queries run in one read transaction, under the store's mutex: on SQLite a
// report holds up ingest while it runs (PostgreSQL does not).

#include "common/strings.hpp"
#include "sync/profile_store/attribution_backend.hpp"
#include "sync/profile_store/sqlite_binding.hpp"
#include "sync/profile_store/sqlite_store.hpp"

namespace kiosk_edge {
namespace {

using sqlite_binding::BindAll;

constexpr std::string_view kChannelsSql =
    "SELECT payload FROM (SELECT payload, ROW_NUMBER() OVER (PARTITION BY channel_id ORDER BY "
    "occurred_at_ms DESC, kiosk_id DESC, incarnation DESC, seq DESC) AS newest FROM events "
    "WHERE type = 'channel_defined' AND channel_id IS NOT NULL) WHERE newest = 1";

// The window's scans: attributable (ok) when valid and with a channel; verified when a fresh
// presence code. ?3 belongs to the grouping (ReadScans); ?4 is the JSON array of the channels a
// filter keeps, or NULL.
constexpr std::string_view kScansSql =
    "SELECT kiosk_id, device_id, channel_id, occurred_at_ms, "
    "channel_id IS NOT NULL AND json_extract(payload, '$.valid') IS 1 AS ok, "
    "json_extract(payload, '$.code') IS 'presence' AND "
    "json_extract(payload, '$.presence') IS 'verified' AS verified "
    "FROM events WHERE type = 'scan' AND occurred_at_ms >= ?1 AND occurred_at_ms < ?2 "
    "AND (?4 IS NULL OR channel_id IN (SELECT value FROM json_each(?4)))";

constexpr std::string_view kScanFiguresSql =
    "COUNT(*), COALESCE(SUM(NOT g.ok), 0), COALESCE(SUM(g.ok AND g.verified), 0), "
    "COUNT(DISTINCT g.kiosk_id || ' ' || g.device_id)";

constexpr std::string_view kVouchersSql =
    "WITH wanted(voucher_key) AS ("
    " SELECT voucher_key FROM vouchers WHERE issued_at_ms >= ?1 AND issued_at_ms < ?2"
    " UNION SELECT voucher_key FROM redemptions WHERE occurred_at_ms >= ?1 AND occurred_at_ms < ?2)"
    " SELECT v.voucher_key, v.issued_at_ms, v.channel_id, v.signer, v.issued_incarnation,"
    " v.signup_seq FROM wanted w JOIN vouchers v ON v.voucher_key = w.voucher_key"
    " WHERE v.issued_seq IS NOT NULL";

// Touches come from the device scan index (device_scan_index.hpp), attached as device_index.
constexpr std::string_view kSignupsSql =
    "WITH wanted(kiosk_id, incarnation, seq) AS ("
    " SELECT kiosk_id, incarnation, seq FROM signups"
    " WHERE occurred_at_ms >= ?1 AND occurred_at_ms < ?2"
    " UNION SELECT signer, issued_incarnation, signup_seq FROM vouchers"
    " WHERE issued_at_ms >= ?1 AND issued_at_ms < ?2 AND signup_seq IS NOT NULL"
    " UNION SELECT v.signer, v.issued_incarnation, v.signup_seq FROM redemptions r"
    " JOIN vouchers v ON v.voucher_key = r.voucher_key"
    " WHERE r.occurred_at_ms >= ?1 AND r.occurred_at_ms < ?2 AND v.signup_seq IS NOT NULL)"
    " SELECT s.kiosk_id, s.incarnation, s.seq, s.occurred_at_ms, s.channel_id,"
    " t.kiosk_id, t.incarnation, t.seq, t.channel_id, t.occurred_at_ms"
    " FROM wanted w JOIN signups s ON s.kiosk_id = w.kiosk_id AND"
    " s.incarnation = w.incarnation AND s.seq = w.seq"
    " LEFT JOIN device_links d ON d.profile_key = s.profile_key"
    " LEFT JOIN device_index.device_scans t ON t.kiosk_id = d.kiosk_id AND"
    " t.device_id = d.device_id AND t.attributable = 1"
    " AND t.occurred_at_ms <= s.occurred_at_ms AND t.occurred_at_ms >= s.occurred_at_ms - ?3"
    " ORDER BY s.kiosk_id, s.incarnation, s.seq";

constexpr std::string_view kRedemptionsSql =
    "SELECT kiosk_id, incarnation, seq, voucher_key, occurred_at_ms FROM redemptions "
    "WHERE occurred_at_ms >= ?1 AND occurred_at_ms < ?2";

// Prepares `sql`, binds `values` and calls `row` for every row.
template <class Row, class... Values>
Result<void> EachRow(Database& db, std::string_view sql, Row row, const Values&... values) {
  auto statement = db.Prepare(sql);
  if (!statement) return statement.error();
  if (auto bound = BindAll(*statement, values...); !bound) return bound.error();
  while (true) {
    auto next = statement->Step();
    if (!next) return next.error();
    if (!*next) return {};
    row(*statement);
  }
}

std::optional<std::string> OptionalText(const Statement& row, int column) {
  if (row.ColumnIsNull(column)) return std::nullopt;
  return row.ColumnText(column);
}

ScanFigures ReadScanFigures(const Statement& row, int first, std::string group) {
  return ScanFigures{std::move(group), row.ColumnInt(first), row.ColumnInt(first + 3),
                     row.ColumnInt(first + 2), row.ColumnInt(first + 1)};
}

Result<void> ReadScans(Database& db, const AttributionFactsRequest& request,
                       AttributionFacts& facts) {
  const std::string invalid = StrCat("'", kInvalidGroup, "'");
  std::string group;
  std::string join;
  switch (request.scan_grouping.kind) {
    case ScanGrouping::Kind::kChannel:
      group = StrCat("CASE WHEN s.ok THEN s.channel_id ELSE ", invalid, " END");
      break;
    case ScanGrouping::Kind::kMapped:
      group = StrCat("CASE WHEN s.ok THEN COALESCE(m.value, '", kUnknownGroup, "') ELSE ", invalid,
                     " END");
      join = " LEFT JOIN json_each(?3) m ON m.key = s.channel_id";
      break;
    case ScanGrouping::Kind::kDay:
      group = "CAST((s.occurred_at_ms + ?3) / 86400000 AS TEXT)";
      break;
  }
  const std::string grouped =
      StrCat("SELECT g.grp, ", kScanFiguresSql, " FROM (SELECT s.*, ", group, " AS grp FROM (",
             kScansSql, ") s", join, ") g GROUP BY g.grp");
  const auto add = [&facts](const Statement& row) {
    facts.scan_groups.push_back(ReadScanFigures(row, 1, row.ColumnText(0)));
  };
  const std::optional<std::string> kNoGrouping;  // ?3 unused: NULL
  std::optional<std::string> channels;
  if (request.scan_channels) channels = JsonStringArray(*request.scan_channels);
  Result<void> read;
  switch (request.scan_grouping.kind) {
    case ScanGrouping::Kind::kChannel:
      read = EachRow(db, grouped, add, request.from_ms, request.to_ms, kNoGrouping, channels);
      break;
    case ScanGrouping::Kind::kMapped:
      read = EachRow(db, grouped, add, request.from_ms, request.to_ms,
                     ChannelGroupsJson(request.scan_grouping.channel_groups), channels);
      break;
    case ScanGrouping::Kind::kDay:
      read = EachRow(db, grouped, add, request.from_ms, request.to_ms,
                     request.scan_grouping.day_offset_ms, channels);
      break;
  }
  if (!read) return read;
  return EachRow(
      db, StrCat("SELECT ", kScanFiguresSql, " FROM (", kScansSql, ") g"),
      [&facts](const Statement& row) { facts.scan_totals = ReadScanFigures(row, 0, ""); },
      request.from_ms, request.to_ms, kNoGrouping, channels);
}

Result<void> ReadConversions(Database& db, const AttributionFactsRequest& request,
                             AttributionFacts& facts) {
  auto vouchers = EachRow(
      db, kVouchersSql,
      [&facts](const Statement& row) {
        VoucherFact voucher{row.ColumnText(0), row.ColumnInt(1), OptionalText(row, 2), {}};
        if (!row.ColumnIsNull(5)) {
          voucher.signup = EventId{row.ColumnText(3), row.ColumnText(4), row.ColumnInt(5)};
        }
        facts.vouchers.push_back(std::move(voucher));
      },
      request.from_ms, request.to_ms);
  if (!vouchers) return vouchers;
  SignupFactCollector signups;
  auto read = EachRow(
      db, kSignupsSql,
      [&signups](const Statement& row) {
        std::optional<Touch> touch;
        if (!row.ColumnIsNull(5)) {
          touch = Touch{EventId{row.ColumnText(5), row.ColumnText(6), row.ColumnInt(7)},
                        row.ColumnText(8), row.ColumnInt(9)};
        }
        signups.Add(EventId{row.ColumnText(0), row.ColumnText(1), row.ColumnInt(2)},
                    row.ColumnInt(3), OptionalText(row, 4), std::move(touch));
      },
      request.from_ms, request.to_ms, request.lookback_ms);
  if (!read) return read;
  facts.signups = signups.Take();
  return EachRow(
      db, kRedemptionsSql,
      [&facts](const Statement& row) {
        facts.redemptions.push_back(
            RedemptionFact{EventId{row.ColumnText(0), row.ColumnText(1), row.ColumnInt(2)},
                           row.ColumnText(3), row.ColumnInt(4)});
      },
      request.from_ms, request.to_ms);
}

}  // namespace

Result<std::vector<ChannelDefinition>> SqliteStore::DefinedChannels() {
  std::lock_guard lock(mutex_);
  std::vector<ChannelDefinition> channels;
  auto read = EachRow(*db_, kChannelsSql, [&channels](const Statement& row) {
    if (auto channel = ChannelDefinitionFromPayload(row.ColumnText(0))) {
      channels.push_back(std::move(*channel));
    }
  });
  if (!read) return read.error();
  return channels;
}

Result<AttributionFacts> SqliteStore::LoadAttributionFacts(const AttributionFactsRequest& request) {
  std::lock_guard lock(mutex_);
  auto device_index = AttachDeviceScans();
  if (!device_index) return device_index.error();
  // One snapshot for every query; the read transaction ends with the function either way.
  if (auto begun = db_->Exec("BEGIN"); !begun) return begun.error();
  AttributionFacts facts;
  Result<void> read = ReadScans(*db_, request, facts);
  if (read) read = ReadConversions(*db_, request, facts);
  if (auto ended = db_->Exec(read ? "COMMIT" : "ROLLBACK"); !ended && read) read = ended;
  if (!read) return read.error();
  return facts;
}

}  // namespace kiosk_edge
