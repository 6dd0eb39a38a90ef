// PostgresStore's attribution facts (attribution_facts.hpp): the same queries as
// sqlite_attribution.cpp in PostgreSQL's dialect, in one REPEATABLE READ READ ONLY transaction
// (one snapshot, and ingest is never held up). The window's conditions use the indexes of
// migrations 3, 7 and 9 (attribution_schema.hpp).

#include <future>
#include <set>
#include <tuple>

#include "common/strings.hpp"
#include "sync/profile_store/attribution_backend.hpp"
#include "sync/profile_store/postgres_lease.hpp"
#include "sync/profile_store/scanner_key.hpp"

namespace kiosk_edge {
namespace {

constexpr std::string_view kChannelsSql =
    "SELECT DISTINCT ON (channel_id) payload::text FROM events "
    "WHERE type = 'channel_defined' AND channel_id IS NOT NULL "
    "ORDER BY channel_id, occurred_at_ms DESC, kiosk_id DESC, incarnation DESC, seq DESC";

// The window's scans from the covering index scans_by_time (migration 7): counted in C++
// (ScanTally), which at 10M events took a third of the time PostgreSQL's COUNT(DISTINCT) took.
constexpr std::string_view kScansSql =
    "SELECT channel_id, scan_flags, scanner_key, occurred_at_ms FROM events "
    "WHERE type = 'scan' AND occurred_at_ms >= $1 AND occurred_at_ms < $2 "
    "AND ($3::text[] IS NULL OR channel_id = ANY($3::text[]))";

// Vouchers issued in the window, then those redeemed in it and issued before (UNION ALL of
// disjoint sets: no de-duplication pass over the window's vouchers).
constexpr std::string_view kVouchersSql =
    "SELECT voucher_key, issued_at_ms, channel_id, signer, issued_incarnation, signup_seq"
    " FROM vouchers WHERE issued_at_ms >= $1 AND issued_at_ms < $2"
    " UNION ALL SELECT DISTINCT v.voucher_key, v.issued_at_ms, v.channel_id, v.signer,"
    " v.issued_incarnation, v.signup_seq FROM redemptions r"
    " JOIN vouchers v ON v.voucher_key = r.voucher_key"
    " WHERE r.occurred_at_ms >= $1 AND r.occurred_at_ms < $2 AND v.issued_seq IS NOT NULL"
    " AND NOT (v.issued_at_ms >= $1 AND v.issued_at_ms < $2)";

// Signups with their touches: `wanted` names the signups, `lookback` is the lookback parameter.
// The window's signups first; then, by id, those of the window's vouchers that were not among
// them (a few: vouchers redeemed in the window, issued before it). One UNION of both sets was
// slower: PostgreSQL misjudged its size by four orders of magnitude and planned no parallel
// workers.
constexpr std::string_view kSignupsInWindow =
    "SELECT kiosk_id, incarnation, seq FROM signups"
    " WHERE occurred_at_ms >= $1 AND occurred_at_ms < $2";
constexpr std::string_view kSignupsById =
    "SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])";

std::string SignupsSql(std::string_view wanted, std::string_view lookback) {
  return StrCat(
      "WITH wanted(kiosk_id, incarnation, seq) AS (", wanted, ")",
      " SELECT s.kiosk_id, s.incarnation, s.seq, s.occurred_at_ms, s.channel_id,"
      " e.kiosk_id, e.incarnation, e.seq, e.channel_id, e.occurred_at_ms"
      " FROM wanted w JOIN signups s ON s.kiosk_id = w.kiosk_id AND"
      " s.incarnation = w.incarnation AND s.seq = w.seq"
      " LEFT JOIN device_links d ON d.profile_key = s.profile_key"
      " LEFT JOIN events e ON ",
      ScansOfDeviceSql("e", "d"),
      " AND e.scan_flags & 1 = 1"
      " AND e.occurred_at_ms <= s.occurred_at_ms AND e.occurred_at_ms >= s.occurred_at_ms - ",
      lookback, " ORDER BY s.kiosk_id, s.incarnation, s.seq");
}

std::optional<std::string> OptionalText(const PgResult& rows, int row, int column) {
  if (rows.IsNull(row, column)) return std::nullopt;
  return rows.Text(row, column);
}

// Adds the rows of a SignupsSql query to `collector`.
void CollectSignups(const PgResult& rows, SignupFactCollector& collector) {
  for (int i = 0; i < rows.rows(); ++i) {
    std::optional<Touch> touch;
    if (!rows.IsNull(i, 5)) {
      touch = Touch{EventId{rows.Text(i, 5), rows.Text(i, 6), rows.Int(i, 7)}, rows.Text(i, 8),
                    rows.Int(i, 9)};
    }
    collector.Add(EventId{rows.Text(i, 0), rows.Text(i, 1), rows.Int(i, 2)}, rows.Int(i, 3),
                  OptionalText(rows, i, 4), std::move(touch));
  }
}

constexpr std::string_view kRedemptionsSql =
    "SELECT kiosk_id, incarnation, seq, voucher_key, occurred_at_ms FROM redemptions "
    "WHERE occurred_at_ms >= $1 AND occurred_at_ms < $2";

// JIT off: it costs more to compile these queries than it saves.
constexpr std::string_view kBeginSql =
    "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL jit = off";

// Starts a transaction on `other` that sees what the one open on `connection` sees.
Result<void> ShareSnapshot(PgConnection& connection, PgConnection& other) {
  auto exported = connection.Query("SELECT pg_export_snapshot()");
  if (!exported) return exported.error();
  const std::string id = exported->Text(0, 0);
  if (id.empty() || id.find_first_not_of("0123456789ABCDEF-") != std::string::npos) {
    return Error(ErrorKind::kInternal, "unexpected snapshot id from pg_export_snapshot");
  }
  if (auto begun = other.Exec(
          StrCat("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT '", id,
                 "'; SET LOCAL jit = off"));
      !begun) {
    (void)other.Exec("ROLLBACK");
    return begun;
  }
  return {};
}

Result<void> ReadScans(PgConnection& connection, const AttributionFactsRequest& request,
                       AttributionFacts& facts) {
  std::optional<std::string> channels;
  if (request.scan_channels) {
    PgArray array;
    for (const std::string& channel : *request.scan_channels) array.Add(channel);
    channels = array.Text();
  }
  auto rows = connection.QueryBinary(kScansSql, Params(request.from_ms, request.to_ms, channels));
  if (!rows) return rows.error();
  ScanTally tally(request.scan_grouping);
  for (int i = 0; i < rows->rows(); ++i) {
    const std::int64_t flags = rows->BinaryInt(i, 1);
    std::optional<std::uint64_t> scanner;
    if (!rows->IsNull(i, 2)) scanner = static_cast<std::uint64_t>(rows->BinaryInt(i, 2));
    tally.Add(rows->View(i, 0), (flags & 1) != 0, (flags & 2) != 0, scanner, rows->BinaryInt(i, 3));
  }
  tally.Finish(facts);
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
  SignupFactCollector collector;
  auto in_window = connection.Query(SignupsSql(kSignupsInWindow, "$3"),
                                    Params(request.from_ms, request.to_ms, request.lookback_ms));
  if (!in_window) return in_window.error();
  CollectSignups(*in_window, collector);
  std::set<std::tuple<std::string_view, std::string_view, std::int64_t>> known;
  for (int i = 0; i < in_window->rows(); ++i) {
    known.emplace(in_window->View(i, 0), in_window->View(i, 1), in_window->Int(i, 2));
  }
  PgArray kiosks, incarnations, seqs;
  std::size_t missing = 0;
  for (const VoucherFact& voucher : facts.vouchers) {
    if (!voucher.signup) continue;
    const EventId& id = *voucher.signup;
    if (known.emplace(id.kiosk_id, id.incarnation, id.seq).second) {
      kiosks.Add(id.kiosk_id);
      incarnations.Add(id.incarnation);
      seqs.Add(id.seq);
      ++missing;
    }
  }
  if (missing > 0) {
    auto by_id = connection.Query(SignupsSql(kSignupsById, "$4"),
                                  Params(kiosks, incarnations, seqs, request.lookback_ms));
    if (!by_id) return by_id.error();
    CollectSignups(*by_id, collector);
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
  if (auto begun = connection.Exec(kBeginSql); !begun) return begun.error();
  AttributionFacts facts;
  // With a second session free, it reads the scans in the same snapshot (pg_export_snapshot)
  // while this one reads the conversions; else this one reads both.
  std::optional<Lease> helper = TryAcquire();
  Result<void> scans = Error(ErrorKind::kInternal, "scans not read");
  std::future<void> scans_read;
  if (helper) {
    auto shared = ShareSnapshot(connection, (*helper)->connection());
    if (shared) {
      scans_read = std::async(std::launch::async, [&] {
        PgConnection& other = (*helper)->connection();
        scans = ReadScans(other, request, facts);
        if (auto ended = other.Exec(scans ? "COMMIT" : "ROLLBACK"); !ended && scans) {
          scans = ended;
        }
      });
    }
  }
  if (!scans_read.valid()) scans = ReadScans(connection, request, facts);
  Result<void> read =
      scans_read.valid() || scans ? ReadConversions(connection, request, facts) : Result<void>();
  if (scans_read.valid()) scans_read.wait();
  if (read && !scans) read = scans;
  if (auto ended = connection.Exec(read ? "COMMIT" : "ROLLBACK"); !ended && read) read = ended;
  if (!read) return read.error();
  return facts;
}

}  // namespace kiosk_edge
