#pragma once

// StoreBackend on PostgreSQL (libpq): production storage. profile-store keeps no state of its own,
// so several instances may share one database; ingests of the same kiosk stream, and redemptions
// of the same voucher, are serialised by row locks, and a transaction that loses a deadlock or
// serialization race is retried. Events go in with COPY, one transaction per batch, acknowledged
// once the commit is durable (synchronous_commit is never "off": PgConnection::Connect).

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "sync/profile_store/store_backend.hpp"

namespace kiosk_edge {

struct PostgresStoreOptions {
  // A libpq connection string: "host=127.0.0.1 port=5432 dbname=hq user=profile_store".
  std::string conninfo;
  // The schema holding the tables, created when missing: [a-z_][a-z0-9_]{0,62}.
  std::string schema = "profile_store";
  // Connections kept open; one call uses one at a time.
  int connections = 4;
  // Bounds each PostgreSQL call (PgConnection::SetCallTimeout) once the store is open, and a
  // call's wait for a free connection before it; 0 bounds neither. Migrations at Open are not
  // bounded.
  std::chrono::milliseconds call_timeout{60'000};
};

class PostgresSession;  // one pooled connection with its prepared statements

class PostgresStore final : public StoreBackend {
 public:
  // Connects, creates the schema and migrates it (one instance at a time, under an advisory
  // lock). `identity` and `clock` must outlive the store. kUnavailable when unreachable. Logs a
  // warning when the server runs with fsync or full_page_writes off.
  static Result<std::unique_ptr<PostgresStore>> Open(const PostgresStoreOptions& options,
                                                     const HqIdentity& identity,
                                                     const Clock& clock);
  ~PostgresStore() override;

  Result<std::vector<KioskRecord>> Kiosks() override;
  Result<void> NoteEventsRefused(std::string_view kiosk_id, std::int64_t at_ms,
                                 std::int64_t until_ms) override;
  Result<std::optional<KioskStatus>> KioskStatusOf(std::string_view kiosk_id) override;
  Result<StreamEnd> StreamEndOf(std::string_view kiosk_id) override;
  Result<std::vector<KioskStatus>> KioskStatuses() override;
  Result<StoreCounts> Counts() override;
  Result<void> CheckReachable() override;
  Result<RedeemedPage> RedeemedVouchersAfter(std::int64_t after, std::int64_t expired_by_unix_s,
                                             std::int64_t max_positions) override;
  Result<std::optional<std::string>> RedeemedVoucherAt(std::int64_t position) override;
  Result<std::vector<VoucherConflict>> Conflicts() override;
  Result<std::vector<DeadLetter>> DeadLetters(std::string_view kiosk_id) override;
  Result<std::optional<std::string>> ProfileOfSignup(const EventId& signup) override;
  Result<std::optional<ProfileSummary>> Profile(std::string_view profile_key) override;
  // In sqlite_attribution.cpp / postgres_attribution.cpp.
  Result<std::vector<ChannelDefinition>> DefinedChannels() override;
  Result<AttributionFacts> LoadAttributionFacts(const AttributionFactsRequest& request) override;
  // In sqlite_erasure.cpp / postgres_erasure.cpp.
  Result<bool> EraseSubject(std::string_view profile_key) override;
  Result<std::vector<std::string>> ErasedEventsOf(std::string_view kiosk_id) override;
  Result<std::int64_t> ErasedEventCount() override;
  Result<bool> RevokeVoucher(std::string_view voucher_key) override;
  Result<std::vector<std::string>> RevokedVouchers(std::int64_t expired_by_unix_s) override;
  // In sqlite_store.cpp / postgres_store.cpp, with the kiosk registry.
  Result<std::map<std::string, HonouredVouchers>> HonouredVouchersOfRevokedKiosks(
      std::int64_t expired_by_unix_s, std::size_t max_vouchers) override;
  Result<std::vector<std::int64_t>> VoucherIssueArrivals(std::string_view kiosk_id,
                                                         std::int64_t expired_by_unix_s) override;
  // In sqlite_audience.cpp / postgres_audience.cpp.
  Result<std::vector<AudienceCandidate>> LoadAudienceCandidates(
      const AudienceFactsRequest& request) override;
  Result<void> RecordAudienceExport(const AudienceExportRecord& record) override;
  Result<std::vector<AudienceExportRecord>> AudienceExports(int limit) override;
  Result<void> RecordAdminAction(const AdminActionRecord& record) override;
  Result<std::vector<AdminActionRecord>> AdminActions(int limit) override;

 protected:
  Result<BatchAnswer> CommitBatch(const EventBatch& batch, std::span<const PreparedEvent> prepared,
                                  std::int64_t now_ms) override;
  Result<void> StoreEnrollmentToken(const std::string& token_hash, std::string_view kiosk_id,
                                    std::int64_t now_ms, std::int64_t expires_at_ms) override;
  Result<std::string> TakeEnrollmentToken(const std::string& token_hash,
                                          std::int64_t now_ms) override;
  Result<void> StoreKiosk(const KioskRegistration& registration, std::int64_t now_ms) override;
  Result<bool> StoreRenewal(const KioskRenewal& renewal) override;
  Result<void> MarkKioskRevoked(std::string_view kiosk_id, std::int64_t now_ms) override;
  Result<void> StoreHonourCutoff(std::string_view kiosk_id, std::int64_t cutoff_ms) override;
  Result<std::optional<KioskRecord>> FindKiosk(std::string_view kiosk_id) override;
  Result<void> StoreContact(std::string_view kiosk_id, std::int64_t now_ms,
                            std::int64_t if_not_after_ms,
                            std::optional<std::int64_t> clock_offset_ms) override;
  Result<std::int64_t> StoreBundleDigest(std::string_view content_digest,
                                         std::int64_t now_ms) override;
  Result<bool> StoreConsentWithdrawal(const std::string& profile_key,
                                      std::int64_t withdrawn_at_ms) override;

 private:
  // A pooled session, returned to the pool on destruction (postgres_store.cpp).
  class Lease;

  PostgresStore(const HqIdentity& identity, const Clock& clock,
                std::vector<std::unique_ptr<PostgresSession>> sessions,
                std::chrono::milliseconds wait_limit);

  // Waits for a free session, at most wait_limit_ (kUnavailable after that; 0: no limit),
  // reconnecting it first if its connection was lost.
  Result<Lease> Acquire();
  // A free session now, or nothing (busy, or its connection cannot be restored): for work that
  // can also be done on a session already held.
  std::optional<Lease> TryAcquire();
  Result<std::optional<KioskStatus>> StatusOn(PostgresSession& session, std::string_view kiosk_id);
  // withdrawal_events rows for the consent_withdrawn events stored before migration 11
  // (erasure_schema.hpp); in postgres_erasure.cpp. An event that no longer opens with HQ's
  // personal-data key fails it, naming the event.
  Result<void> BackfillWithdrawalEvents();

  const std::chrono::milliseconds wait_limit_;
  std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<PostgresSession>> idle_;
};

}  // namespace kiosk_edge
