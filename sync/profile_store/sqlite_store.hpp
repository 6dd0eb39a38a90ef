#pragma once

// StoreBackend on SQLite (through common/sqlite.hpp): the embedded default for one machine and
// the demo. One connection in WAL mode with synchronous=FULL, so an answered batch survives
// power loss; calls are serialised by a mutex (SQLite has one writer at a time anyway). A
// WalCheckpointer copies the WAL into the database beside it: ingest waits for that only when
// the WAL restarts. The scans by device live in a DeviceScanIndex, a derived file beside the
// store that a thread of its own writes after each commit.

#include <filesystem>
#include <memory>
#include <mutex>

#include "common/sqlite.hpp"
#include "common/wal_checkpointer.hpp"
#include "sync/profile_store/device_scan_index.hpp"
#include "sync/profile_store/sqlite_ingest.hpp"
#include "sync/profile_store/store_backend.hpp"

namespace kiosk_edge {

class SqliteStore final : public StoreBackend {
 public:
  // Whether this process keeps the device scan index (device_scan_index.hpp), as one process at a
  // time can: the server does; the command line's other commands, which neither ingest nor
  // report, do not, so that they can run beside it. Without it Ingest, LoadAttributionFacts and
  // Profile fail (kUnavailable).
  enum class DeviceScans { kKept, kAbsent };

  // Opens (creating if needed) and migrates the database at `path`. `identity` and `clock` must
  // outlive the store.
  static Result<std::unique_ptr<SqliteStore>> Open(const std::filesystem::path& path,
                                                   const HqIdentity& identity, const Clock& clock,
                                                   DeviceScans device_scans = DeviceScans::kKept);
  // Closes the device scan index cleanly (DeviceScanIndex::Close), so that the next Open keeps it.
  ~SqliteStore() override;

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
  SqliteStore(const HqIdentity& identity, const Clock& clock, std::unique_ptr<Database> db,
              SqliteIngest ingest, std::unique_ptr<DeviceScanIndex> device_scans,
              std::unique_ptr<WalCheckpointer> checkpointer)
      : StoreBackend(identity, clock),
        db_(std::move(db)),
        ingest_(std::move(ingest)),
        device_scans_(std::move(device_scans)),
        checkpointer_(std::move(checkpointer)) {}

  Result<std::optional<KioskStatus>> StatusLocked(std::string_view kiosk_id);
  // withdrawal_events rows for the consent_withdrawn events stored before migration 9
  // (erasure_schema.hpp); in sqlite_erasure.cpp. An event that no longer opens with HQ's
  // personal-data key fails it, naming the event.
  Result<void> BackfillWithdrawalEvents();
  // The device scan index attached to db_ (DeviceScanIndex::AttachTo); kUnavailable without one.
  Result<DeviceScanIndex::Attachment> AttachDeviceScans();

  std::mutex mutex_;
  std::unique_ptr<Database> db_;  // on the heap: ingest_'s statements point at it
  SqliteIngest ingest_;
  std::unique_ptr<DeviceScanIndex> device_scans_;  // null with DeviceScans::kAbsent
  std::unique_ptr<WalCheckpointer> checkpointer_;  // destroyed first: db_ commits no more
};

}  // namespace kiosk_edge
