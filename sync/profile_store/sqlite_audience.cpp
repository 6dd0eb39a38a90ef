// SqliteStore's audiences, consent withdrawals and export audit (audience_facts.hpp). The
// candidates come from one query, under the store's mutex.

#include "sync/profile_store/sqlite_binding.hpp"
#include "sync/profile_store/sqlite_store.hpp"

namespace kiosk_edge {
namespace {

using sqlite_binding::BindAll;

// A voucher belongs to the signup it was issued for: the same kiosk stream's latest earlier
// signup with the same campaign and channel (as in sqlite_attribution.cpp).
constexpr std::string_view kCandidatesSql =
    "SELECT s.profile_key, s.kiosk_id, s.incarnation, s.seq, s.channel_id, s.campaign,"
    " s.occurred_at_ms, p.name_sealed, p.phone_sealed,"
    " (SELECT MIN(r.occurred_at_ms) FROM signups o"
    "  JOIN vouchers v ON v.signer = o.kiosk_id AND v.issued_incarnation = o.incarnation AND"
    "  v.issued_seq > o.seq AND v.campaign = o.campaign AND v.channel_id IS o.channel_id"
    "  JOIN redemptions r ON r.voucher_key = v.voucher_key"
    "  WHERE o.profile_key = s.profile_key AND NOT EXISTS (SELECT 1 FROM signups x"
    "  WHERE x.kiosk_id = o.kiosk_id AND x.incarnation = o.incarnation AND x.seq > o.seq AND"
    "  x.seq < v.issued_seq AND x.campaign = o.campaign AND x.channel_id IS o.channel_id))"
    " FROM signups s JOIN profiles p ON p.profile_key = s.profile_key"
    " WHERE s.occurred_at_ms >= ?1 AND s.occurred_at_ms < ?2 AND p.marketing_consent = 1"
    " AND NOT EXISTS (SELECT 1 FROM consent_withdrawals w WHERE w.profile_key = p.profile_key"
    " AND w.withdrawn_at_ms >= p.last_signup_at_ms)"
    " ORDER BY s.profile_key, s.occurred_at_ms, s.kiosk_id, s.incarnation, s.seq";

constexpr std::string_view kInsertExportSql =
    "INSERT INTO audience_exports (token_name, exported_at_ms, audience, filter, row_count) "
    "VALUES (?1, ?2, ?3, ?4, ?5)";

constexpr std::string_view kExportsSql =
    "SELECT id, token_name, exported_at_ms, audience, filter, row_count FROM audience_exports "
    "ORDER BY id DESC LIMIT ?1";

constexpr std::string_view kProfileExistsSql = "SELECT 1 FROM profiles WHERE profile_key = ?1";

}  // namespace

Result<std::vector<AudienceCandidate>> SqliteStore::LoadAudienceCandidates(
    const AudienceFactsRequest& request) {
  std::lock_guard lock(mutex_);
  auto statement = db_->Prepare(kCandidatesSql);
  if (!statement) return statement.error();
  if (auto bound = BindAll(*statement, request.from_ms, request.to_ms); !bound) {
    return bound.error();
  }
  std::vector<AudienceCandidate> candidates;
  while (true) {
    auto row = statement->Step();
    if (!row) return row.error();
    if (!*row) return candidates;
    const Statement& r = *statement;
    AudienceCandidate candidate{
        r.ColumnText(0), EventId{r.ColumnText(1), r.ColumnText(2), r.ColumnInt(3)},
        std::nullopt,    r.ColumnText(5),
        r.ColumnInt(6),  r.ColumnText(7),
        r.ColumnText(8), std::nullopt};
    if (!r.ColumnIsNull(4)) candidate.channel_id = r.ColumnText(4);
    if (!r.ColumnIsNull(9)) candidate.first_redemption_at_ms = r.ColumnInt(9);
    candidates.push_back(std::move(candidate));
  }
}

Result<void> SqliteStore::RecordAudienceExport(const AudienceExportRecord& record) {
  std::lock_guard lock(mutex_);
  auto insert = db_->Prepare(kInsertExportSql);
  if (!insert) return insert.error();
  if (auto bound = BindAll(*insert, record.token_name, record.exported_at_ms, record.audience,
                           record.filter, record.row_count);
      !bound) {
    return bound.error();
  }
  return insert->Run();
}

Result<std::vector<AudienceExportRecord>> SqliteStore::AudienceExports(int limit) {
  std::lock_guard lock(mutex_);
  auto select = db_->Prepare(kExportsSql);
  if (!select) return select.error();
  if (auto bound = BindAll(*select, std::int64_t{limit}); !bound) return bound.error();
  std::vector<AudienceExportRecord> records;
  while (true) {
    auto row = select->Step();
    if (!row) return row.error();
    if (!*row) return records;
    records.push_back(AudienceExportRecord{select->ColumnInt(0), select->ColumnText(1),
                                           select->ColumnInt(2), select->ColumnText(3),
                                           select->ColumnText(4), select->ColumnInt(5)});
  }
}

Result<bool> SqliteStore::StoreConsentWithdrawal(const std::string& profile_key,
                                                 std::int64_t withdrawn_at_ms) {
  std::lock_guard lock(mutex_);
  if (auto withdrawn = ingest_.WithdrawConsent(profile_key, withdrawn_at_ms); !withdrawn) {
    return withdrawn.error();
  }
  auto exists = db_->Prepare(kProfileExistsSql);
  if (!exists) return exists.error();
  if (auto bound = BindAll(*exists, profile_key); !bound) return bound.error();
  auto row = exists->Step();
  if (!row) return row.error();
  return *row;
}

}  // namespace kiosk_edge
