#include "sync/profile_store/postgres_store.hpp"

#include <algorithm>
#include <limits>

#include "common/crypto.hpp"
#include "common/log.hpp"
#include "common/strings.hpp"
#include "sync/profile_store/postgres_lease.hpp"

namespace kiosk_edge {
namespace {

// profile-store acknowledges a batch once PostgreSQL has committed it. With these server settings
// off, a crash of the database's machine can lose or corrupt committed rows; a session cannot
// turn them back on, so the store says so at start.
void WarnOfUndurableServer(PgConnection& connection) {
  auto off = connection.Query(
      "SELECT name FROM pg_settings WHERE name IN ('fsync', 'full_page_writes') "
      "AND setting = 'off' ORDER BY name");
  if (!off) {
    LogWarning("profile-store",
               "cannot read PostgreSQL's durability settings: ", off.error().message());
    return;
  }
  for (int row = 0; row < off->rows(); ++row) {
    LogWarning("profile-store", "PostgreSQL runs with ", off->View(row, 0),
               " = off: a crash of the database's machine can lose events that profile-store "
               "has acknowledged to kiosks");
  }
}

}  // namespace

Result<std::unique_ptr<PostgresStore>> PostgresStore::Open(const PostgresStoreOptions& options,
                                                           const HqIdentity& identity,
                                                           const Clock& clock) {
  if (options.connections < 1 || options.connections > 64) {
    return Error(ErrorKind::kConfig, "postgres: connections must be 1-64");
  }
  if (!IsSchemaName(options.schema)) {
    return Error(ErrorKind::kConfig, "postgres schema name must be [a-z_][a-z0-9_]{0,62}");
  }
  // The connection that migrates becomes the first session: each connection costs PostgreSQL a
  // backend process, which the one-shot commands notice.
  auto first = PgConnection::Connect(options.conninfo);
  if (!first) return first.error().WithContext("profile store");
  if (auto migrated = MigratePostgres(*first, options.schema); !migrated) {
    return migrated.error().WithContext("profile store");
  }
  WarnOfUndurableServer(*first);
  std::vector<std::unique_ptr<PostgresSession>> sessions;
  for (int i = 0; i < options.connections; ++i) {
    auto connection = i == 0 ? std::move(first) : PgConnection::Connect(options.conninfo);
    if (!connection) return connection.error().WithContext("profile store");
    auto session = PostgresSession::Start(std::move(*connection), options.schema);
    if (!session) return session.error().WithContext("profile store");
    sessions.push_back(std::move(*session));
  }
  std::unique_ptr<PostgresStore> store(
      new PostgresStore(identity, clock, std::move(sessions), options.call_timeout));
  if (auto filled = store->BackfillWithdrawalEvents(); !filled) {
    return filled.error().WithContext("profile store");
  }
  for (const auto& session : store->idle_) {
    if (auto bounded = session->connection().SetCallTimeout(options.call_timeout); !bounded) {
      return bounded.error().WithContext("profile store");
    }
  }
  return store;
}

PostgresStore::PostgresStore(const HqIdentity& identity, const Clock& clock,
                             std::vector<std::unique_ptr<PostgresSession>> sessions,
                             std::chrono::milliseconds wait_limit)
    : StoreBackend(identity, clock), wait_limit_(wait_limit), idle_(std::move(sessions)) {}

PostgresStore::~PostgresStore() = default;

PostgresStore::Lease::~Lease() {
  if (session_ == nullptr) return;
  {
    std::lock_guard lock(store_->mutex_);
    store_->idle_.push_back(std::move(session_));
  }
  store_->returned_.notify_one();
}

Result<PostgresStore::Lease> PostgresStore::Acquire() {
  std::unique_ptr<PostgresSession> session;
  {
    std::unique_lock lock(mutex_);
    const auto free = [this] { return !idle_.empty(); };
    if (wait_limit_.count() == 0) {
      returned_.wait(lock, free);
    } else if (!returned_.wait_for(lock, wait_limit_, free)) {
      return Error(ErrorKind::kUnavailable,
                   StrCat("profile store: postgres: no connection free within ",
                          wait_limit_.count(), " ms"));
    }
    session = std::move(idle_.back());
    idle_.pop_back();
  }
  Lease lease(*this, std::move(session));
  if (auto connected = lease->EnsureConnected(); !connected) {
    return connected.error().WithContext("profile store");
  }
  return lease;
}

std::optional<PostgresStore::Lease> PostgresStore::TryAcquire() {
  std::unique_ptr<PostgresSession> session;
  {
    std::lock_guard lock(mutex_);
    if (idle_.empty()) return std::nullopt;
    session = std::move(idle_.back());
    idle_.pop_back();
  }
  Lease lease(*this, std::move(session));
  if (!lease->EnsureConnected()) return std::nullopt;
  return lease;
}

Result<BatchAnswer> PostgresStore::CommitBatch(const EventBatch& batch,
                                               std::span<const PreparedEvent> prepared,
                                               std::int64_t now_ms) {
  auto session = Acquire();
  if (!session) return session.error();
  return (*session)->Ingest(batch, prepared, now_ms);
}

// ---- Enrollment and the registry ----

Result<void> PostgresStore::StoreEnrollmentToken(const std::string& token_hash,
                                                 std::string_view kiosk_id, std::int64_t now_ms,
                                                 std::int64_t expires_at_ms) {
  auto session = Acquire();
  if (!session) return session.error();
  auto inserted = (*session)->connection().Query(
      "INSERT INTO enrollment_tokens (token_hash, kiosk_id, created_at_ms, expires_at_ms) "
      "VALUES ($1, $2, $3, $4)",
      Params(token_hash, kiosk_id, now_ms, expires_at_ms));
  if (!inserted) return inserted.error();
  return {};
}

Result<std::string> PostgresStore::TakeEnrollmentToken(const std::string& token_hash,
                                                       std::int64_t now_ms) {
  auto session = Acquire();
  if (!session) return session.error();
  PgConnection& connection = (*session)->connection();
  // One statement: of two concurrent takers, the second waits on the row lock, re-checks
  // used_at_ms and updates nothing.
  auto taken = connection.Query(
      "UPDATE enrollment_tokens SET used_at_ms = $2 WHERE token_hash = $1 AND "
      "used_at_ms IS NULL AND expires_at_ms > $2 RETURNING kiosk_id",
      Params(token_hash, now_ms));
  if (!taken) return taken.error();
  if (taken->rows() == 1) return taken->Text(0, 0);
  auto why =
      connection.Query("SELECT used_at_ms IS NOT NULL FROM enrollment_tokens WHERE token_hash = $1",
                       Params(token_hash));
  if (!why) return why.error();
  if (why->rows() == 0) return EnrollmentTokenUnknown();
  return why->Bool(0, 0) ? EnrollmentTokenUsed() : EnrollmentTokenExpired();
}

Result<void> PostgresStore::StoreKiosk(const KioskRegistration& registration, std::int64_t now_ms) {
  auto session = Acquire();
  if (!session) return session.error();
  // Never un-revokes: the WHERE leaves a revoked kiosk's row alone, and the count tells.
  auto stored = (*session)->connection().Query(
      "INSERT INTO kiosks AS k (kiosk_id, cert_serial, device_public_key, enrolled_at_ms, "
      "revoked, cert_not_after_ms) VALUES ($1, $2, $3, $4, false, $5) ON CONFLICT (kiosk_id) "
      "DO UPDATE SET cert_serial = excluded.cert_serial, "
      "device_public_key = excluded.device_public_key, enrolled_at_ms = excluded.enrolled_at_ms, "
      "cert_not_after_ms = excluded.cert_not_after_ms, previous_cert_serial = NULL "
      "WHERE NOT k.revoked",
      Params(registration.kiosk_id, registration.cert_serial,
             HexEncode(registration.device_public_key), now_ms, registration.cert_not_after_ms));
  if (!stored) return stored.error();
  if (stored->Affected() == 0) {
    return Error(ErrorKind::kConflict,
                 StrCat("kiosk ", registration.kiosk_id, " is revoked and cannot enroll again"));
  }
  return {};
}

Result<bool> PostgresStore::StoreRenewal(const KioskRenewal& renewal) {
  auto session = Acquire();
  if (!session) return session.error();
  auto renewed = (*session)->connection().Query(
      "UPDATE kiosks SET previous_cert_serial = $2, cert_serial = $3, cert_not_after_ms = $4 "
      "WHERE kiosk_id = $1 AND NOT revoked AND device_public_key = $5 "
      "AND (cert_serial = $2 OR previous_cert_serial = $2)",
      Params(renewal.kiosk_id, renewal.presented_serial, renewal.cert_serial,
             renewal.cert_not_after_ms, HexEncode(renewal.device_public_key)));
  if (!renewed) return renewed.error();
  return renewed->Affected() != 0;
}

Result<void> PostgresStore::MarkKioskRevoked(std::string_view kiosk_id, std::int64_t now_ms) {
  auto session = Acquire();
  if (!session) return session.error();
  auto revoked = (*session)->connection().Query(
      "UPDATE kiosks SET revoked = true, revoked_at_ms = $2 WHERE kiosk_id = $1 AND NOT revoked",
      Params(kiosk_id, now_ms));
  if (!revoked) return revoked.error();
  return {};
}

Result<void> PostgresStore::StoreHonourCutoff(std::string_view kiosk_id, std::int64_t cutoff_ms) {
  auto session = Acquire();
  if (!session) return session.error();
  auto stored = (*session)->connection().Query(
      "UPDATE kiosks SET honour_received_before_ms = $2 WHERE kiosk_id = $1 AND revoked",
      Params(kiosk_id, cutoff_ms));
  if (!stored) return stored.error();
  return {};
}

Result<void> PostgresStore::NoteEventsRefused(std::string_view kiosk_id, std::int64_t at_ms,
                                              std::int64_t until_ms) {
  auto session = Acquire();
  if (!session) return session.error();
  auto stored = (*session)->connection().Query(
      "UPDATE kiosks SET events_refused_at_ms = $2, events_refused_until_ms = $3 "
      "WHERE kiosk_id = $1",
      Params(kiosk_id, at_ms, until_ms));
  if (!stored) return stored.error();
  return {};
}

Result<void> PostgresStore::StoreContact(std::string_view kiosk_id, std::int64_t now_ms,
                                         std::int64_t if_not_after_ms,
                                         std::optional<std::int64_t> clock_offset_ms) {
  auto session = Acquire();
  if (!session) return session.error();
  auto noted = (*session)->connection().Query(
      "UPDATE kiosks SET last_contact_ms = $2, "
      "clock_offset_ms = COALESCE($4::bigint, clock_offset_ms) "
      "WHERE kiosk_id = $1 AND COALESCE(last_contact_ms, 0) <= $3",
      Params(kiosk_id, now_ms, if_not_after_ms, clock_offset_ms));
  if (!noted) return noted.error();
  return {};
}

namespace {

constexpr std::string_view kKioskColumns =
    "SELECT kiosk_id, cert_serial, device_public_key, enrolled_at_ms, revoked, revoked_at_ms, "
    "last_contact_ms, cert_not_after_ms, previous_cert_serial, clock_offset_ms, "
    "honour_received_before_ms, events_refused_at_ms, events_refused_until_ms FROM kiosks";

KioskRecord ReadKiosk(const PgResult& rows, int row) {
  KioskRecord record;
  record.kiosk_id = rows.Text(row, 0);
  record.cert_serial = rows.Text(row, 1);
  auto key = HexDecode(rows.Text(row, 2));
  if (key) record.device_public_key = std::move(*key);
  record.enrolled_at_ms = rows.Int(row, 3);
  record.revoked = rows.Bool(row, 4);
  if (!rows.IsNull(row, 5)) record.revoked_at_ms = rows.Int(row, 5);
  if (!rows.IsNull(row, 6)) record.last_contact_ms = rows.Int(row, 6);
  if (!rows.IsNull(row, 7)) record.cert_not_after_ms = rows.Int(row, 7);
  if (!rows.IsNull(row, 8)) record.previous_cert_serial = rows.Text(row, 8);
  if (!rows.IsNull(row, 9)) record.clock_offset_ms = rows.Int(row, 9);
  if (!rows.IsNull(row, 10)) record.honour_received_before_ms = rows.Int(row, 10);
  if (!rows.IsNull(row, 11) && !rows.IsNull(row, 12)) {
    record.events_refused = KioskRecord::EventsRefused{rows.Int(row, 11), rows.Int(row, 12)};
  }
  return record;
}

}  // namespace

Result<std::optional<KioskRecord>> PostgresStore::FindKiosk(std::string_view kiosk_id) {
  auto session = Acquire();
  if (!session) return session.error();
  auto rows = (*session)->connection().Query(StrCat(kKioskColumns, " WHERE kiosk_id = $1"),
                                             Params(kiosk_id));
  if (!rows) return rows.error();
  if (rows->rows() == 0) return std::optional<KioskRecord>();
  return std::optional<KioskRecord>(ReadKiosk(*rows, 0));
}

Result<std::vector<KioskRecord>> PostgresStore::Kiosks() {
  auto session = Acquire();
  if (!session) return session.error();
  auto rows = (*session)->connection().Query(StrCat(kKioskColumns, " ORDER BY kiosk_id"));
  if (!rows) return rows.error();
  std::vector<KioskRecord> kiosks;
  for (int i = 0; i < rows->rows(); ++i) kiosks.push_back(ReadKiosk(*rows, i));
  return kiosks;
}

Result<std::map<std::string, HonouredVouchers>> PostgresStore::HonouredVouchersOfRevokedKiosks(
    std::int64_t expired_by_unix_s, std::size_t max_vouchers) {
  auto session = Acquire();
  if (!session) return session.error();
  // One statement, one snapshot. Each kiosk's issued vouchers through vouchers_by_issue, each
  // issue's event through the events' key.
  const auto limit = static_cast<std::int64_t>(
      std::min<std::size_t>(max_vouchers, std::numeric_limits<std::int64_t>::max()));
  auto rows = (*session)->connection().Query(
      "SELECT k.kiosk_id, k.device_public_key, v.voucher_id, v.voucher_store, v.scope, "
      "v.gift, v.expires_at FROM kiosks k "
      "JOIN vouchers v ON v.signer = k.kiosk_id AND v.issued_incarnation IS NOT NULL "
      "AND v.issued_seq IS NOT NULL "
      "JOIN events e ON e.kiosk_id = v.signer AND e.incarnation = v.issued_incarnation "
      "AND e.seq = v.issued_seq "
      "WHERE k.revoked AND k.honour_received_before_ms IS NOT NULL "
      "AND length(k.device_public_key) = 64 AND e.received_at_ms < k.honour_received_before_ms "
      "AND v.expires_at > $1 ORDER BY v.expires_at DESC, v.voucher_key COLLATE \"C\" LIMIT $2",
      Params(expired_by_unix_s, limit));
  if (!rows) return rows.error();
  std::map<std::string, HonouredVouchers> kiosks;
  for (int i = 0; i < rows->rows(); ++i) {
    auto key = HexDecode(rows->Text(i, 1));
    if (!key) continue;  // not a key: as KioskRecord reads it, none
    const std::string kiosk_id = rows->Text(i, 0), voucher_id = rows->Text(i, 2);
    HonouredVouchers& honoured = kiosks[kiosk_id];
    honoured.public_key = std::move(*key);
    honoured.vouchers[voucher_id] =
        HonouredVoucherDigest(kiosk_id, voucher_id, rows->Text(i, 3), rows->Text(i, 4),
                              rows->Text(i, 5), rows->Int(i, 6));
  }
  return kiosks;
}

Result<std::vector<std::int64_t>> PostgresStore::VoucherIssueArrivals(
    std::string_view kiosk_id, std::int64_t expired_by_unix_s) {
  auto session = Acquire();
  if (!session) return session.error();
  auto rows = (*session)->connection().Query(
      "SELECT e.received_at_ms FROM vouchers v "
      "JOIN events e ON e.kiosk_id = v.signer AND e.incarnation = v.issued_incarnation "
      "AND e.seq = v.issued_seq "
      "WHERE v.signer = $1 AND v.expires_at > $2 ORDER BY e.received_at_ms",
      Params(kiosk_id, expired_by_unix_s));
  if (!rows) return rows.error();
  std::vector<std::int64_t> arrivals;
  for (int i = 0; i < rows->rows(); ++i) arrivals.push_back(rows->Int(i, 0));
  return arrivals;
}

// ---- The config bundle's version ----

Result<std::int64_t> PostgresStore::StoreBundleDigest(std::string_view content_digest,
                                                      std::int64_t now_ms) {
  auto session = Acquire();
  if (!session) return session.error();
  PgConnection& connection = (*session)->connection();
  auto stored =
      connection.Query("SELECT version FROM config_bundle_version WHERE content_digest = $1",
                       Params(content_digest));
  if (!stored) return stored.error();
  if (stored->rows() == 1) return stored->Int(0, 0);
  // Of instances racing with the same new content, the first updates the row; the others wait on
  // its lock, re-check the WHERE against the committed row, update nothing and return no row.
  auto changed = connection.Query(
      "INSERT INTO config_bundle_version AS b (singleton, version, content_digest, "
      "changed_at_ms) VALUES (1, $2, $1, $2) ON CONFLICT (singleton) DO UPDATE SET "
      "version = GREATEST(b.version + 1, excluded.changed_at_ms), "
      "content_digest = excluded.content_digest, changed_at_ms = excluded.changed_at_ms "
      "WHERE b.content_digest <> excluded.content_digest RETURNING version",
      Params(content_digest, now_ms));
  if (!changed) return changed.error();
  if (changed->rows() == 1) return changed->Int(0, 0);
  auto current = connection.Query("SELECT version FROM config_bundle_version");
  if (!current) return current.error();
  if (current->rows() != 1) {
    return Error(ErrorKind::kInternal, "bundle version: the row is missing");
  }
  return current->Int(0, 0);
}

}  // namespace kiosk_edge
