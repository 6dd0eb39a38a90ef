// PostgresStore's audiences, consent withdrawals and export audit (audience_facts.hpp): the same
// queries as sqlite_audience.cpp in PostgreSQL's dialect. Each call is one statement (one
// snapshot, atomic).

#include "sync/profile_store/postgres_lease.hpp"

namespace kiosk_edge {
namespace {

constexpr std::string_view kCandidatesSql =
    "SELECT s.profile_key, s.kiosk_id, s.incarnation, s.seq, s.channel_id, s.campaign,"
    " s.occurred_at_ms, p.name_sealed, p.phone_sealed,"
    " (SELECT MIN(r.occurred_at_ms) FROM signups o"
    "  JOIN vouchers v ON v.signer = o.kiosk_id AND v.issued_incarnation = o.incarnation AND"
    "  v.issued_seq > o.seq AND v.campaign = o.campaign AND"
    "  v.channel_id IS NOT DISTINCT FROM o.channel_id"
    "  JOIN redemptions r ON r.voucher_key = v.voucher_key"
    "  WHERE o.profile_key = s.profile_key AND NOT EXISTS (SELECT 1 FROM signups x"
    "  WHERE x.kiosk_id = o.kiosk_id AND x.incarnation = o.incarnation AND x.seq > o.seq AND"
    "  x.seq < v.issued_seq AND x.campaign = o.campaign AND"
    "  x.channel_id IS NOT DISTINCT FROM o.channel_id))"
    " FROM signups s JOIN profiles p ON p.profile_key = s.profile_key"
    " WHERE s.occurred_at_ms >= $1 AND s.occurred_at_ms < $2 AND p.marketing_consent"
    " AND NOT EXISTS (SELECT 1 FROM consent_withdrawals w WHERE w.profile_key = p.profile_key"
    " AND w.withdrawn_at_ms >= p.last_signup_at_ms)"
    " ORDER BY s.profile_key COLLATE \"C\", s.occurred_at_ms, s.kiosk_id COLLATE \"C\","
    " s.incarnation COLLATE \"C\", s.seq";

constexpr std::string_view kInsertExportSql =
    "INSERT INTO audience_exports (token_name, exported_at_ms, audience, filter, row_count) "
    "VALUES ($1, $2, $3, $4, $5)";

constexpr std::string_view kExportsSql =
    "SELECT id, token_name, exported_at_ms, audience, filter, row_count FROM audience_exports "
    "ORDER BY id DESC LIMIT $1";

// The withdrawal (the latest one kept) and its effect (as the ingest's settle_consent), then
// whether the profile exists.
constexpr std::string_view kWithdrawSql =
    "WITH recorded AS (INSERT INTO consent_withdrawals AS w (profile_key, withdrawn_at_ms)"
    " VALUES ($1, $2) ON CONFLICT (profile_key) DO UPDATE SET"
    " withdrawn_at_ms = GREATEST(w.withdrawn_at_ms, excluded.withdrawn_at_ms)"
    " RETURNING withdrawn_at_ms),"
    " settled AS (UPDATE profiles p SET marketing_consent = false FROM recorded r"
    " WHERE p.profile_key = $1 AND p.marketing_consent"
    " AND r.withdrawn_at_ms >= p.last_signup_at_ms RETURNING 1)"
    " SELECT EXISTS (SELECT 1 FROM profiles WHERE profile_key = $1),"
    " (SELECT COUNT(*) FROM settled)";

}  // namespace

Result<std::vector<AudienceCandidate>> PostgresStore::LoadAudienceCandidates(
    const AudienceFactsRequest& request) {
  auto session = Acquire();
  if (!session) return session.error();
  auto rows =
      (*session)->connection().Query(kCandidatesSql, Params(request.from_ms, request.to_ms));
  if (!rows) return rows.error();
  std::vector<AudienceCandidate> candidates;
  for (int i = 0; i < rows->rows(); ++i) {
    AudienceCandidate candidate{
        rows->Text(i, 0), EventId{rows->Text(i, 1), rows->Text(i, 2), rows->Int(i, 3)},
        std::nullopt,     rows->Text(i, 5),
        rows->Int(i, 6),  rows->Text(i, 7),
        rows->Text(i, 8), std::nullopt};
    if (!rows->IsNull(i, 4)) candidate.channel_id = rows->Text(i, 4);
    if (!rows->IsNull(i, 9)) candidate.first_redemption_at_ms = rows->Int(i, 9);
    candidates.push_back(std::move(candidate));
  }
  return candidates;
}

Result<void> PostgresStore::RecordAudienceExport(const AudienceExportRecord& record) {
  auto session = Acquire();
  if (!session) return session.error();
  auto inserted = (*session)->connection().Query(
      kInsertExportSql, Params(record.token_name, record.exported_at_ms, record.audience,
                               record.filter, record.row_count));
  if (!inserted) return inserted.error();
  return {};
}

Result<std::vector<AudienceExportRecord>> PostgresStore::AudienceExports(int limit) {
  auto session = Acquire();
  if (!session) return session.error();
  auto rows = (*session)->connection().Query(kExportsSql, Params(limit));
  if (!rows) return rows.error();
  std::vector<AudienceExportRecord> records;
  for (int i = 0; i < rows->rows(); ++i) {
    records.push_back(AudienceExportRecord{rows->Int(i, 0), rows->Text(i, 1), rows->Int(i, 2),
                                           rows->Text(i, 3), rows->Text(i, 4), rows->Int(i, 5)});
  }
  return records;
}

Result<bool> PostgresStore::StoreConsentWithdrawal(const std::string& profile_key,
                                                   std::int64_t withdrawn_at_ms) {
  auto session = Acquire();
  if (!session) return session.error();
  auto rows = (*session)->connection().Query(kWithdrawSql, Params(profile_key, withdrawn_at_ms));
  if (!rows) return rows.error();
  return rows->Bool(0, 0);
}

}  // namespace kiosk_edge
