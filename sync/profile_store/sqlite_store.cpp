#include "sync/profile_store/sqlite_store.hpp"

#include <algorithm>
#include <limits>

#include "common/crypto.hpp"
#include "common/log.hpp"
#include "common/strings.hpp"
#include "sync/profile_store/admin_audit.hpp"
#include "sync/profile_store/attribution_schema.hpp"
#include "sync/profile_store/audience_schema.hpp"
#include "sync/profile_store/erasure_schema.hpp"
#include "sync/profile_store/honoured_vouchers_schema.hpp"
#include "sync/profile_store/kiosk_health_schema.hpp"
#include "sync/profile_store/redeemed_ledger_schema.hpp"
#include "sync/profile_store/sqlite_binding.hpp"

namespace kiosk_edge {
namespace {

using sqlite_binding::BindAll;

// Version 1. The events table is keyed by the event's identity and keeps type, time, channel
// and payload in columns for the attribution queries. Personal data exists only as
// the sealed blobs kiosks sent (profiles.*_sealed and inside signup payloads).
constexpr std::string_view kSchemaV1 = R"sql(
CREATE TABLE events (
  kiosk_id TEXT NOT NULL, incarnation TEXT NOT NULL, seq INTEGER NOT NULL,
  type TEXT NOT NULL, occurred_at_ms INTEGER NOT NULL, monotonic_ns INTEGER NOT NULL,
  boot_id TEXT NOT NULL, channel_id TEXT, payload_version INTEGER NOT NULL, device_id TEXT,
  payload TEXT NOT NULL, received_at_ms INTEGER NOT NULL,
  PRIMARY KEY (kiosk_id, incarnation, seq)) WITHOUT ROWID;
CREATE INDEX events_by_device ON events (kiosk_id, device_id) WHERE device_id IS NOT NULL;
CREATE TABLE streams (
  kiosk_id TEXT NOT NULL, incarnation TEXT NOT NULL, max_seq INTEGER NOT NULL,
  high_water INTEGER NOT NULL, first_batch_at_ms INTEGER NOT NULL,
  last_batch_at_ms INTEGER NOT NULL, PRIMARY KEY (kiosk_id, incarnation)) WITHOUT ROWID;
CREATE TABLE gaps (
  kiosk_id TEXT NOT NULL, incarnation TEXT NOT NULL, from_seq INTEGER NOT NULL,
  to_seq INTEGER NOT NULL, detected_at_ms INTEGER NOT NULL,
  PRIMARY KEY (kiosk_id, incarnation, from_seq)) WITHOUT ROWID;
CREATE TABLE dead_letters (
  kiosk_id TEXT NOT NULL, incarnation TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL,
  occurred_at_ms INTEGER NOT NULL, channel_id TEXT, payload_version INTEGER NOT NULL,
  payload BLOB NOT NULL, reason TEXT NOT NULL, received_at_ms INTEGER NOT NULL,
  PRIMARY KEY (kiosk_id, incarnation, seq)) WITHOUT ROWID;
CREATE TABLE profiles (
  profile_key TEXT PRIMARY KEY, name_sealed TEXT NOT NULL, phone_sealed TEXT NOT NULL,
  marketing_consent INTEGER NOT NULL, consent_text_version TEXT NOT NULL,
  first_signup_at_ms INTEGER NOT NULL, last_signup_at_ms INTEGER NOT NULL,
  signups INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE signups (
  kiosk_id TEXT NOT NULL, incarnation TEXT NOT NULL, seq INTEGER NOT NULL,
  profile_key TEXT NOT NULL, device_id TEXT, campaign TEXT NOT NULL, channel_id TEXT,
  occurred_at_ms INTEGER NOT NULL, marketing_consent INTEGER NOT NULL,
  PRIMARY KEY (kiosk_id, incarnation, seq)) WITHOUT ROWID;
CREATE INDEX signups_by_profile ON signups (profile_key);
CREATE TABLE device_links (
  kiosk_id TEXT NOT NULL, device_id TEXT NOT NULL, profile_key TEXT NOT NULL,
  linked_at_ms INTEGER NOT NULL, PRIMARY KEY (kiosk_id, device_id, profile_key)) WITHOUT ROWID;
CREATE INDEX device_links_by_profile ON device_links (profile_key);
CREATE TABLE vouchers (
  voucher_key TEXT PRIMARY KEY, signer TEXT NOT NULL, voucher_id TEXT NOT NULL,
  scope TEXT NOT NULL, voucher_store TEXT NOT NULL, gift TEXT NOT NULL,
  expires_at INTEGER NOT NULL, campaign TEXT, issued_incarnation TEXT, issued_seq INTEGER,
  issued_at_ms INTEGER, channel_id TEXT, redemptions INTEGER NOT NULL,
  first_kiosk_id TEXT, first_incarnation TEXT, first_seq INTEGER) WITHOUT ROWID;
CREATE TABLE redemptions (
  kiosk_id TEXT NOT NULL, incarnation TEXT NOT NULL, seq INTEGER NOT NULL,
  voucher_key TEXT NOT NULL, staff TEXT NOT NULL, source TEXT NOT NULL,
  occurred_at_ms INTEGER NOT NULL, PRIMARY KEY (kiosk_id, incarnation, seq)) WITHOUT ROWID;
CREATE INDEX redemptions_by_voucher ON redemptions (voucher_key);
CREATE TABLE voucher_conflicts (
  voucher_key TEXT NOT NULL, first_kiosk_id TEXT NOT NULL, first_incarnation TEXT NOT NULL,
  first_seq INTEGER NOT NULL, second_kiosk_id TEXT NOT NULL, second_incarnation TEXT NOT NULL,
  second_seq INTEGER NOT NULL, detected_at_ms INTEGER NOT NULL,
  PRIMARY KEY (second_kiosk_id, second_incarnation, second_seq)) WITHOUT ROWID;
CREATE TABLE enrollment_tokens (
  token_hash TEXT PRIMARY KEY, kiosk_id TEXT NOT NULL, created_at_ms INTEGER NOT NULL,
  expires_at_ms INTEGER NOT NULL, used_at_ms INTEGER) WITHOUT ROWID;
CREATE TABLE kiosks (
  kiosk_id TEXT PRIMARY KEY, cert_serial TEXT NOT NULL, device_public_key TEXT NOT NULL,
  enrolled_at_ms INTEGER NOT NULL, revoked INTEGER NOT NULL, revoked_at_ms INTEGER)
  WITHOUT ROWID;
)sql";

// Version 2: the config bundle's version and the digest of the content it was given for
// (StoreBackend::BundleVersionFor); one row.
constexpr std::string_view kSchemaV2 = R"sql(
CREATE TABLE config_bundle_version (
  singleton INTEGER PRIMARY KEY CHECK (singleton = 1), version INTEGER NOT NULL,
  content_digest TEXT NOT NULL, changed_at_ms INTEGER NOT NULL);
)sql";

constexpr Migration kMigrations[] = {{1, kSchemaV1},
                                     {2, kSchemaV2},
                                     {3, kAttributionIndexesSql},
                                     {4, kAudienceSchemaSqlite},
                                     {5, kErasureSchemaSql},
                                     {6, kVoucherSignupSql},
                                     {7, kJournalLastSeqSql},
                                     {8, kDeviceScanIndexMigrationSql},
                                     {9, kWithdrawalEventsSql},
                                     {10, kCertificateEndsSql},
                                     {11, kLastContactSql},
                                     {12, kRedeemedPositionsSql},
                                     {13, kIssuedCertificateEndSql},
                                     {14, kRenewedCertificateSqlite},
                                     {15, kClockOffsetSql},
                                     {16, kAdminAuditSchemaSqlite},
                                     {17, kRedeemedStoreVouchersSql},
                                     {18, kHonourCutoffSql},
                                     {19, kEventsRefusedSql}};

// Steps `statement` (bound) through every row, calling `row` for each.
template <class Row>
Result<void> ForEachRow(Statement& statement, Row row) {
  while (true) {
    auto next = statement.Step();
    if (!next) return next.error();
    if (!*next) return {};
    row(statement);
  }
}

Result<Statement> Query(Database& db, std::string_view sql) { return db.Prepare(sql); }

constexpr std::int64_t kCacheBytes = 64 * 1024 * 1024;

// Checkpoints from 4 MiB of WAL on (SQLite's own threshold); the writer restarts it at 16 MiB.
// The file keeps up to 20 MiB rather than being cut back at each restart and grown again, which
// cost one-kiosk ingest a fifth of its rate (ftruncate, then block allocation in every pwrite).
constexpr WalCheckpointPolicy kCheckpoints{.checkpoint_at_frames = 1000, .restart_at_frames = 4096};
constexpr std::int64_t kWalFileBytes = 20 * 1024 * 1024;

Error NoDeviceScans() {
  return Error(ErrorKind::kUnavailable,
               "this process keeps no device scan index: only profile-store serve ingests and "
               "reports");
}

}  // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::filesystem::path& path,
                                                       const HqIdentity& identity,
                                                       const Clock& clock,
                                                       DeviceScans device_scans) {
  // HQ's one connection does every read and write of a store that grows without bound: with
  // SQLite's default 2 MiB cache the indexes' random inserts re-read pages from the kernel.
  DatabaseOptions options;
  options.cache_bytes = kCacheBytes;
  options.wal_size_limit_bytes = kWalFileBytes;
  auto db = Database::Open(path, options);
  if (!db) return db.error().WithContext("profile store");
  auto owned = std::make_unique<Database>(std::move(*db));
  if (auto migrated = Migrate(*owned, kMigrations); !migrated) {
    return migrated.error().WithContext("profile store");
  }
  auto ingest = SqliteIngest::Prepare(*owned);
  if (!ingest) return ingest.error().WithContext("profile store");
  auto checkpointer = WalCheckpointer::Start(*owned, kCheckpoints, "profile store");
  if (!checkpointer) return checkpointer.error().WithContext("profile store");
  std::unique_ptr<DeviceScanIndex> index;
  if (device_scans == DeviceScans::kKept) {
    auto opened = DeviceScanIndex::Open(*owned);
    if (!opened) return opened.error().WithContext("profile store");
    index = std::move(*opened);
  }
  std::unique_ptr<SqliteStore> store(new SqliteStore(identity, clock, std::move(owned),
                                                     std::move(*ingest), std::move(index),
                                                     std::move(*checkpointer)));
  if (auto filled = store->BackfillWithdrawalEvents(); !filled) {
    return filled.error().WithContext("profile store");
  }
  return store;
}

SqliteStore::~SqliteStore() {
  std::lock_guard lock(mutex_);
  if (!device_scans_) return;
  if (auto closed = device_scans_->Close(*db_); !closed) {
    LogError("profile-store", closed.error().message(),
             " (the device scan index is rebuilt at the next start)");
  }
}

Result<DeviceScanIndex::Attachment> SqliteStore::AttachDeviceScans() {
  if (!device_scans_) return NoDeviceScans();
  return device_scans_->AttachTo(*db_);
}

Result<BatchAnswer> SqliteStore::CommitBatch(const EventBatch& batch,
                                             std::span<const PreparedEvent> prepared,
                                             std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  if (!device_scans_) return NoDeviceScans();
  std::vector<DeviceScan> scans;
  auto answer = ingest_.Commit(batch, prepared, now_ms, scans);
  if (answer) device_scans_->Add({batch.kiosk_id, batch.incarnation, std::move(scans)});
  return answer;
}

// ---- Enrollment and the registry ----

Result<void> SqliteStore::StoreEnrollmentToken(const std::string& token_hash,
                                               std::string_view kiosk_id, std::int64_t now_ms,
                                               std::int64_t expires_at_ms) {
  std::lock_guard lock(mutex_);
  auto insert = Query(*db_,
                      "INSERT INTO enrollment_tokens (token_hash, kiosk_id, created_at_ms, "
                      "expires_at_ms) VALUES (?1, ?2, ?3, ?4)");
  if (!insert) return insert.error();
  if (auto bound = BindAll(*insert, token_hash, kiosk_id, now_ms, expires_at_ms); !bound) {
    return bound.error();
  }
  return insert->Run();
}

Result<std::string> SqliteStore::TakeEnrollmentToken(const std::string& token_hash,
                                                     std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  auto take = Query(*db_,
                    "UPDATE enrollment_tokens SET used_at_ms = ?2 WHERE token_hash = ?1 AND "
                    "used_at_ms IS NULL AND expires_at_ms > ?2 RETURNING kiosk_id");
  if (!take) return take.error();
  if (auto bound = BindAll(*take, token_hash, now_ms); !bound) return bound.error();
  auto row = take->Step();
  if (!row) return row.error();
  if (*row) {
    std::string kiosk_id = take->ColumnText(0);
    if (auto done = take->Step(); !done) return done.error();
    return kiosk_id;
  }
  auto why =
      Query(*db_, "SELECT used_at_ms IS NOT NULL FROM enrollment_tokens WHERE token_hash = ?1");
  if (!why) return why.error();
  if (auto bound = BindAll(*why, token_hash); !bound) return bound.error();
  auto found = why->Step();
  if (!found) return found.error();
  if (!*found) return EnrollmentTokenUnknown();
  return why->ColumnInt(0) != 0 ? EnrollmentTokenUsed() : EnrollmentTokenExpired();
}

Result<void> SqliteStore::StoreKiosk(const KioskRegistration& registration, std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  // Never un-revokes: the WHERE leaves a revoked kiosk's row alone, and Changes() tells.
  auto upsert = Query(*db_,
                      "INSERT INTO kiosks (kiosk_id, cert_serial, device_public_key, "
                      "enrolled_at_ms, revoked, cert_not_after_ms) VALUES (?1, ?2, ?3, ?4, 0, ?5) "
                      "ON CONFLICT (kiosk_id) DO UPDATE SET cert_serial = excluded.cert_serial, "
                      "device_public_key = excluded.device_public_key, "
                      "enrolled_at_ms = excluded.enrolled_at_ms, "
                      "cert_not_after_ms = excluded.cert_not_after_ms, previous_cert_serial = NULL "
                      "WHERE kiosks.revoked = 0");
  if (!upsert) return upsert.error();
  auto bound =
      BindAll(*upsert, registration.kiosk_id, registration.cert_serial,
              HexEncode(registration.device_public_key), now_ms, registration.cert_not_after_ms);
  if (!bound) return bound.error();
  if (auto ran = upsert->Run(); !ran) return ran.error();
  if (db_->Changes() == 0) {
    return Error(ErrorKind::kConflict,
                 StrCat("kiosk ", registration.kiosk_id, " is revoked and cannot enroll again"));
  }
  return {};
}

Result<bool> SqliteStore::StoreRenewal(const KioskRenewal& renewal) {
  std::lock_guard lock(mutex_);
  auto renew =
      Query(*db_,
            "UPDATE kiosks SET previous_cert_serial = ?2, cert_serial = ?3, "
            "cert_not_after_ms = ?4 WHERE kiosk_id = ?1 AND revoked = 0 "
            "AND device_public_key = ?5 AND (cert_serial = ?2 OR previous_cert_serial = ?2)");
  if (!renew) return renew.error();
  auto bound = BindAll(*renew, renewal.kiosk_id, renewal.presented_serial, renewal.cert_serial,
                       renewal.cert_not_after_ms, HexEncode(renewal.device_public_key));
  if (!bound) return bound.error();
  if (auto ran = renew->Run(); !ran) return ran.error();
  return db_->Changes() != 0;
}

Result<void> SqliteStore::MarkKioskRevoked(std::string_view kiosk_id, std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  auto revoke = Query(*db_,
                      "UPDATE kiosks SET revoked = 1, revoked_at_ms = ?2 "
                      "WHERE kiosk_id = ?1 AND revoked = 0");
  if (!revoke) return revoke.error();
  if (auto bound = BindAll(*revoke, kiosk_id, now_ms); !bound) return bound.error();
  return revoke->Run();
}

Result<void> SqliteStore::StoreHonourCutoff(std::string_view kiosk_id, std::int64_t cutoff_ms) {
  std::lock_guard lock(mutex_);
  return sqlite_binding::Run(
      *db_, "UPDATE kiosks SET honour_received_before_ms = ?2 WHERE kiosk_id = ?1 AND revoked = 1",
      kiosk_id, cutoff_ms);
}

Result<void> SqliteStore::NoteEventsRefused(std::string_view kiosk_id, std::int64_t at_ms,
                                            std::int64_t until_ms) {
  std::lock_guard lock(mutex_);
  return sqlite_binding::Run(*db_,
                             "UPDATE kiosks SET events_refused_at_ms = ?2, "
                             "events_refused_until_ms = ?3 WHERE kiosk_id = ?1",
                             kiosk_id, at_ms, until_ms);
}

Result<void> SqliteStore::StoreContact(std::string_view kiosk_id, std::int64_t now_ms,
                                       std::int64_t if_not_after_ms,
                                       std::optional<std::int64_t> clock_offset_ms) {
  std::lock_guard lock(mutex_);
  auto note = Query(*db_,
                    "UPDATE kiosks SET last_contact_ms = ?2, "
                    "clock_offset_ms = COALESCE(?4, clock_offset_ms) "
                    "WHERE kiosk_id = ?1 AND COALESCE(last_contact_ms, 0) <= ?3");
  if (!note) return note.error();
  if (auto bound = BindAll(*note, kiosk_id, now_ms, if_not_after_ms, clock_offset_ms); !bound) {
    return bound.error();
  }
  return note->Run();
}

namespace {

constexpr std::string_view kKioskColumns =
    "SELECT kiosk_id, cert_serial, device_public_key, enrolled_at_ms, revoked, revoked_at_ms, "
    "last_contact_ms, cert_not_after_ms, previous_cert_serial, clock_offset_ms, "
    "honour_received_before_ms, events_refused_at_ms, events_refused_until_ms FROM kiosks";

KioskRecord ReadKiosk(const Statement& row) {
  KioskRecord record;
  record.kiosk_id = row.ColumnText(0);
  record.cert_serial = row.ColumnText(1);
  auto key = HexDecode(row.ColumnText(2));
  if (key) record.device_public_key = std::move(*key);
  record.enrolled_at_ms = row.ColumnInt(3);
  record.revoked = row.ColumnInt(4) != 0;
  if (!row.ColumnIsNull(5)) record.revoked_at_ms = row.ColumnInt(5);
  if (!row.ColumnIsNull(6)) record.last_contact_ms = row.ColumnInt(6);
  if (!row.ColumnIsNull(7)) record.cert_not_after_ms = row.ColumnInt(7);
  if (!row.ColumnIsNull(8)) record.previous_cert_serial = row.ColumnText(8);
  if (!row.ColumnIsNull(9)) record.clock_offset_ms = row.ColumnInt(9);
  if (!row.ColumnIsNull(10)) record.honour_received_before_ms = row.ColumnInt(10);
  if (!row.ColumnIsNull(11) && !row.ColumnIsNull(12)) {
    record.events_refused = KioskRecord::EventsRefused{row.ColumnInt(11), row.ColumnInt(12)};
  }
  return record;
}

}  // namespace

Result<std::optional<KioskRecord>> SqliteStore::FindKiosk(std::string_view kiosk_id) {
  std::lock_guard lock(mutex_);
  auto select = Query(*db_, StrCat(kKioskColumns, " WHERE kiosk_id = ?1"));
  if (!select) return select.error();
  if (auto bound = BindAll(*select, kiosk_id); !bound) return bound.error();
  std::optional<KioskRecord> found;
  if (auto read = ForEachRow(*select, [&found](const Statement& row) { found = ReadKiosk(row); });
      !read) {
    return read.error();
  }
  return found;
}

Result<std::vector<KioskRecord>> SqliteStore::Kiosks() {
  std::lock_guard lock(mutex_);
  auto select = Query(*db_, StrCat(kKioskColumns, " ORDER BY kiosk_id"));
  if (!select) return select.error();
  std::vector<KioskRecord> kiosks;
  if (auto read =
          ForEachRow(*select, [&](const Statement& row) { kiosks.push_back(ReadKiosk(row)); });
      !read) {
    return read.error();
  }
  return kiosks;
}

Result<std::map<std::string, HonouredVouchers>> SqliteStore::HonouredVouchersOfRevokedKiosks(
    std::int64_t expired_by_unix_s, std::size_t max_vouchers) {
  std::lock_guard lock(mutex_);
  // One statement, one snapshot. Each kiosk's issued vouchers through vouchers_by_issue, each
  // issue's event through the events' key. CROSS JOIN keeps that order: otherwise SQLite scans
  // every voucher for the ORDER BY.
  auto select = Query(
      *db_,
      "SELECT k.kiosk_id, k.device_public_key, v.voucher_id, v.voucher_store, v.scope, "
      "v.gift, v.expires_at FROM kiosks k "
      "CROSS JOIN vouchers v ON v.signer = k.kiosk_id AND v.issued_incarnation IS NOT NULL "
      "AND v.issued_seq IS NOT NULL "
      "CROSS JOIN events e ON e.kiosk_id = v.signer AND e.incarnation = v.issued_incarnation "
      "AND e.seq = v.issued_seq "
      "WHERE k.revoked = 1 AND k.honour_received_before_ms IS NOT NULL "
      "AND length(k.device_public_key) = 64 AND e.received_at_ms < k.honour_received_before_ms "
      "AND v.expires_at > ?1 ORDER BY v.expires_at DESC, v.voucher_key LIMIT ?2");
  if (!select) return select.error();
  const auto limit = static_cast<std::int64_t>(
      std::min<std::size_t>(max_vouchers, std::numeric_limits<std::int64_t>::max()));
  if (auto bound = BindAll(*select, expired_by_unix_s, limit); !bound) return bound.error();
  std::map<std::string, HonouredVouchers> kiosks;
  auto read = ForEachRow(*select, [&kiosks](const Statement& row) {
    auto key = HexDecode(row.ColumnText(1));
    if (!key) return;  // not a key: as KioskRecord reads it, none
    const std::string kiosk_id = row.ColumnText(0), voucher_id = row.ColumnText(2);
    HonouredVouchers& honoured = kiosks[kiosk_id];
    honoured.public_key = std::move(*key);
    honoured.vouchers[voucher_id] =
        HonouredVoucherDigest(kiosk_id, voucher_id, row.ColumnText(3), row.ColumnText(4),
                              row.ColumnText(5), row.ColumnInt(6));
  });
  if (!read) return read.error();
  return kiosks;
}

Result<std::vector<std::int64_t>> SqliteStore::VoucherIssueArrivals(
    std::string_view kiosk_id, std::int64_t expired_by_unix_s) {
  std::lock_guard lock(mutex_);
  auto select = Query(*db_,
                      "SELECT e.received_at_ms FROM vouchers v "
                      "CROSS JOIN events e ON e.kiosk_id = v.signer "
                      "AND e.incarnation = v.issued_incarnation AND e.seq = v.issued_seq "
                      "WHERE v.signer = ?1 AND v.expires_at > ?2 ORDER BY e.received_at_ms");
  if (!select) return select.error();
  if (auto bound = BindAll(*select, kiosk_id, expired_by_unix_s); !bound) return bound.error();
  std::vector<std::int64_t> arrivals;
  auto read = ForEachRow(
      *select, [&arrivals](const Statement& row) { arrivals.push_back(row.ColumnInt(0)); });
  if (!read) return read.error();
  return arrivals;
}

// ---- The config bundle's version ----

namespace {

// The stored (version, digest), if any.
Result<std::optional<std::pair<std::int64_t, std::string>>> ReadBundleVersion(Database& db) {
  auto select = Query(db, "SELECT version, content_digest FROM config_bundle_version");
  if (!select) return select.error();
  std::optional<std::pair<std::int64_t, std::string>> stored;
  if (auto read = ForEachRow(
          *select,
          [&stored](const Statement& row) { stored.emplace(row.ColumnInt(0), row.ColumnText(1)); });
      !read) {
    return read.error();
  }
  return stored;
}

}  // namespace

Result<std::int64_t> SqliteStore::StoreBundleDigest(std::string_view content_digest,
                                                    std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  auto stored = ReadBundleVersion(*db_);
  if (!stored) return stored.error();
  if (*stored && (*stored)->second == content_digest) return (*stored)->first;
  // One statement, so another process on the same file cannot interleave; the WHERE leaves a row
  // that already holds this digest alone (and RETURNING then yields nothing).
  auto upsert = Query(*db_,
                      "INSERT INTO config_bundle_version (singleton, version, content_digest, "
                      "changed_at_ms) VALUES (1, ?2, ?1, ?2) ON CONFLICT (singleton) DO UPDATE SET "
                      "version = MAX(version + 1, excluded.changed_at_ms), "
                      "content_digest = excluded.content_digest, "
                      "changed_at_ms = excluded.changed_at_ms "
                      "WHERE content_digest <> excluded.content_digest RETURNING version");
  if (!upsert) return upsert.error();
  if (auto bound = BindAll(*upsert, content_digest, now_ms); !bound) return bound.error();
  std::optional<std::int64_t> version;
  if (auto ran =
          ForEachRow(*upsert, [&version](const Statement& row) { version = row.ColumnInt(0); });
      !ran) {
    return ran.error();
  }
  if (version) return *version;
  auto again = ReadBundleVersion(*db_);
  if (!again) return again.error();
  if (!*again) return Error(ErrorKind::kInternal, "bundle version: the row is missing");
  return (*again)->first;
}

}  // namespace kiosk_edge
