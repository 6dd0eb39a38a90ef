// PostgresStore's schema and its migrations.

#include <algorithm>
#include <utility>

#include "common/strings.hpp"
#include "sync/profile_store/admin_audit.hpp"
#include "sync/profile_store/attribution_schema.hpp"
#include "sync/profile_store/audience_schema.hpp"
#include "sync/profile_store/erasure_schema.hpp"
#include "sync/profile_store/honoured_vouchers_schema.hpp"
#include "sync/profile_store/kiosk_health_schema.hpp"
#include "sync/profile_store/postgres_session.hpp"
#include "sync/profile_store/redeemed_ledger_schema.hpp"

namespace kiosk_edge {
namespace {

// Version 1: the same tables as SqliteStore's (sqlite_store.cpp), with PostgreSQL's types. The
// events table is keyed by the event's identity and keeps type, time, channel and payload (jsonb;
// json since version 10) in columns for the attribution queries. Personal data exists only as the
// sealed blobs kiosks sent.
constexpr std::string_view kSchemaV1 = R"sql(
CREATE TABLE events (
  kiosk_id TEXT NOT NULL, incarnation TEXT NOT NULL, seq BIGINT NOT NULL,
  type TEXT NOT NULL, occurred_at_ms BIGINT NOT NULL, monotonic_ns BIGINT NOT NULL,
  boot_id TEXT NOT NULL, channel_id TEXT, payload_version INTEGER NOT NULL, device_id TEXT,
  payload JSONB NOT NULL, received_at_ms BIGINT NOT NULL,
  PRIMARY KEY (kiosk_id, incarnation, seq));
CREATE INDEX events_by_device ON events (kiosk_id, device_id) WHERE device_id IS NOT NULL;
CREATE TABLE streams (
  kiosk_id TEXT NOT NULL, incarnation TEXT NOT NULL, max_seq BIGINT NOT NULL,
  high_water BIGINT NOT NULL, first_batch_at_ms BIGINT NOT NULL,
  last_batch_at_ms BIGINT NOT NULL, PRIMARY KEY (kiosk_id, incarnation));
CREATE TABLE gaps (
  kiosk_id TEXT NOT NULL, incarnation TEXT NOT NULL, from_seq BIGINT NOT NULL,
  to_seq BIGINT NOT NULL, detected_at_ms BIGINT NOT NULL,
  PRIMARY KEY (kiosk_id, incarnation, from_seq));
CREATE TABLE dead_letters (
  kiosk_id TEXT NOT NULL, incarnation TEXT NOT NULL, seq BIGINT NOT NULL, type TEXT NOT NULL,
  occurred_at_ms BIGINT NOT NULL, channel_id TEXT, payload_version INTEGER NOT NULL,
  payload BYTEA NOT NULL, reason TEXT NOT NULL, received_at_ms BIGINT NOT NULL,
  PRIMARY KEY (kiosk_id, incarnation, seq));
CREATE TABLE profiles (
  profile_key TEXT PRIMARY KEY, name_sealed TEXT NOT NULL, phone_sealed TEXT NOT NULL,
  marketing_consent BOOLEAN NOT NULL, consent_text_version TEXT NOT NULL,
  first_signup_at_ms BIGINT NOT NULL, last_signup_at_ms BIGINT NOT NULL,
  signups BIGINT NOT NULL);
CREATE TABLE signups (
  kiosk_id TEXT NOT NULL, incarnation TEXT NOT NULL, seq BIGINT NOT NULL,
  profile_key TEXT NOT NULL, device_id TEXT, campaign TEXT NOT NULL, channel_id TEXT,
  occurred_at_ms BIGINT NOT NULL, marketing_consent BOOLEAN NOT NULL,
  PRIMARY KEY (kiosk_id, incarnation, seq));
CREATE INDEX signups_by_profile ON signups (profile_key);
CREATE TABLE device_links (
  kiosk_id TEXT NOT NULL, device_id TEXT NOT NULL, profile_key TEXT NOT NULL,
  linked_at_ms BIGINT NOT NULL, PRIMARY KEY (kiosk_id, device_id, profile_key));
CREATE INDEX device_links_by_profile ON device_links (profile_key);
CREATE TABLE vouchers (
  voucher_key TEXT PRIMARY KEY, signer TEXT NOT NULL, voucher_id TEXT NOT NULL,
  scope TEXT NOT NULL, voucher_store TEXT NOT NULL, gift TEXT NOT NULL,
  expires_at BIGINT NOT NULL, campaign TEXT, issued_incarnation TEXT, issued_seq BIGINT,
  issued_at_ms BIGINT, channel_id TEXT, redemptions BIGINT NOT NULL,
  first_kiosk_id TEXT, first_incarnation TEXT, first_seq BIGINT);
CREATE TABLE redemptions (
  kiosk_id TEXT NOT NULL, incarnation TEXT NOT NULL, seq BIGINT NOT NULL,
  voucher_key TEXT NOT NULL, staff TEXT NOT NULL, source TEXT NOT NULL,
  occurred_at_ms BIGINT NOT NULL, PRIMARY KEY (kiosk_id, incarnation, seq));
CREATE INDEX redemptions_by_voucher ON redemptions (voucher_key);
CREATE TABLE voucher_conflicts (
  voucher_key TEXT NOT NULL, first_kiosk_id TEXT NOT NULL, first_incarnation TEXT NOT NULL,
  first_seq BIGINT NOT NULL, second_kiosk_id TEXT NOT NULL, second_incarnation TEXT NOT NULL,
  second_seq BIGINT NOT NULL, detected_at_ms BIGINT NOT NULL,
  PRIMARY KEY (second_kiosk_id, second_incarnation, second_seq));
CREATE TABLE enrollment_tokens (
  token_hash TEXT PRIMARY KEY, kiosk_id TEXT NOT NULL, created_at_ms BIGINT NOT NULL,
  expires_at_ms BIGINT NOT NULL, used_at_ms BIGINT);
CREATE TABLE kiosks (
  kiosk_id TEXT PRIMARY KEY, cert_serial TEXT NOT NULL, device_public_key TEXT NOT NULL,
  enrolled_at_ms BIGINT NOT NULL, revoked BOOLEAN NOT NULL, revoked_at_ms BIGINT);
)sql";

// Version 2: the config bundle's version and the digest of the content it was given for
// (StoreBackend::BundleVersionFor); one row, shared by every instance.
constexpr std::string_view kSchemaV2 = R"sql(
CREATE TABLE config_bundle_version (
  singleton INTEGER PRIMARY KEY CHECK (singleton = 1), version BIGINT NOT NULL,
  content_digest TEXT NOT NULL, changed_at_ms BIGINT NOT NULL);
)sql";

// Version 10: events.payload becomes json, which stores the text it is given (after checking it
// is JSON), instead of jsonb, which parses it into its binary form: 6-8% of PostgreSQL's CPU per
// stored event, and nothing reads the payload as jsonb any more (migration 9). Rewrites the
// events table once, holding ingest for its duration (minutes at 10 million events; kiosks retry).
constexpr std::string_view kSchemaV10 = R"sql(
ALTER TABLE events ALTER COLUMN payload TYPE json USING payload::json;
)sql";

// Version 12: every text column compares bytewise (COLLATE "C"), whatever locale the database was
// created with. They hold ids, keys and codes, never prose for people to sort, and orders then
// match SQLite's BINARY. Under a locale such as en_US.UTF-8 every B-tree comparison of the events'
// key called strcoll (docs/benchmarks.md). One ALTER TABLE per table, so each table's indexes are
// rebuilt once; the rows are not rewritten. Later migrations declare COLLATE "C" on every text
// column they add (postgres_schema_test checks).
constexpr std::string_view kSchemaV12 = R"sql(
DO $$
DECLARE t record;
BEGIN
  FOR t IN
    SELECT table_name,
           string_agg(format('ALTER COLUMN %I TYPE text COLLATE "C"', column_name), ', ') AS alters
    FROM information_schema.columns
    WHERE table_schema = current_schema() AND data_type = 'text'
      AND collation_name IS DISTINCT FROM 'C'
    GROUP BY table_name
  LOOP
    EXECUTE format('ALTER TABLE %I %s', t.table_name, t.alters);
  END LOOP;
END $$;
)sql";

constexpr std::pair<int, std::string_view> kMigrations[] = {{1, kSchemaV1},
                                                            {2, kSchemaV2},
                                                            {3, kAttributionIndexesSql},
                                                            {4, kAudienceSchemaPostgres},
                                                            {5, kErasureSchemaSql},
                                                            {6, kVoucherSignupSql},
                                                            {7, kScanFactsPostgresSql},
                                                            {8, kJournalLastSeqSql},
                                                            {9, kScanFactsFromIngestSql},
                                                            {10, kSchemaV10},
                                                            {11, kWithdrawalEventsSql},
                                                            {12, kSchemaV12},
                                                            {13, kCertificateEndsSql},
                                                            {14, kLastContactSql},
                                                            {15, kRedeemedPositionsSql},
                                                            {16, kIssuedCertificateEndSql},
                                                            {17, kRenewedCertificatePostgres},
                                                            {18, kClockOffsetSql},
                                                            {19, kAdminAuditSchemaPostgres},
                                                            {20, kRedeemedStoreVouchersSql},
                                                            {21, kHonourCutoffSql},
                                                            {22, kEventsRefusedSql}};

Result<void> MigrateLocked(PgConnection& connection, const std::string& schema) {
  const std::string quoted = QuoteIdentifier(schema);
  if (auto made = connection.Exec(StrCat("CREATE SCHEMA IF NOT EXISTS ", quoted, "; ",
                                         "SET search_path TO ", quoted, "; ",
                                         "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                         "version INTEGER PRIMARY KEY, applied_at_ms BIGINT)"));
      !made) {
    return made.error();
  }
  auto current = connection.Query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  if (!current) return current.error();
  const std::int64_t version = current->Int(0, 0);
  const int newest = std::end(kMigrations)[-1].first;
  if (version > newest) {
    return Error(ErrorKind::kCorrupt,
                 StrCat("postgres schema ", schema, " is at version ", version,
                        ", newer than this program understands (", newest, ")"));
  }
  for (const auto& [number, sql] : kMigrations) {
    if (number <= version) continue;
    if (auto applied = connection.Exec(StrCat(
            "BEGIN; ", sql, "; INSERT INTO schema_migrations (version, applied_at_ms) VALUES (",
            number, ", (extract(epoch from now()) * 1000)::bigint); COMMIT"));
        !applied) {
      (void)connection.Exec("ROLLBACK");
      return applied.error().WithContext(StrCat("migration ", number));
    }
  }
  return {};
}

}  // namespace

bool IsSchemaName(std::string_view name) {
  return !name.empty() && name.size() <= 63 && !(name[0] >= '0' && name[0] <= '9') &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
         });
}

Result<void> MigratePostgres(PgConnection& connection, const std::string& schema) {
  if (!IsSchemaName(schema)) {
    return Error(ErrorKind::kConfig, "postgres schema name must be [a-z_][a-z0-9_]{0,62}");
  }
  // A lock_timeout of the database or the role would fail the start of an instance whenever
  // another one is migrating, or a migration waiting for the tables it alters.
  if (auto locked = connection.Exec(
          StrCat("SET lock_timeout = 0; SELECT pg_advisory_lock(", kMigrationLockKey, ")"));
      !locked) {
    return locked.error();
  }
  auto migrated = MigrateLocked(connection, schema);
  auto unlocked = connection.Exec(
      StrCat("SELECT pg_advisory_unlock(", kMigrationLockKey, "); RESET lock_timeout"));
  if (!migrated) return migrated.error().WithContext("postgres migrate");
  // The connection goes on serving the store: it must not keep other instances waiting.
  if (!unlocked) return unlocked.error().WithContext("postgres migrate: unlock");
  return {};
}

}  // namespace kiosk_edge
