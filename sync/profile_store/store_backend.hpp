#pragma once

// profile-store's storage (DESIGN.md section 7): the events of every kiosk, the profiles and
// voucher ledger derived from them, enrollment tokens and the kiosk registry. Two adapters with
// identical behaviour: SqliteStore (the embedded default) and PostgresStore (production; several
// stateless profile-store instances may share one database).
//
// Thread safety: every method may be called from any thread; calls block on I/O, so run them
// off the I/O thread. The HqIdentity and Clock given at creation must outlive the store.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "common/error.hpp"
#include "sync/profile_store/admin_audit.hpp"
#include "sync/profile_store/attribution_facts.hpp"
#include "sync/profile_store/audience_facts.hpp"
#include "sync/profile_store/event_rules.hpp"
#include "sync/profile_store/identity.hpp"
#include "sync/profile_store/store_types.hpp"
#include "sync/protocol/batch.hpp"
#include "sync/protocol/config_bundle.hpp"

namespace kiosk_edge {

// What enrollment registers for a kiosk.
struct KioskRegistration {
  std::string kiosk_id;
  std::string cert_serial;        // 1-128 printable ASCII characters
  std::string device_public_key;  // Ed25519, 32 bytes, or empty when not known
  // The end of validity (Unix ms) of the certificate issued, the only one HQ accepts from now on;
  // unset when not known.
  std::optional<std::int64_t> cert_not_after_ms;
};

// What a certificate renewal (POST /v1/sync/certificate) registers for an enrolled kiosk.
struct KioskRenewal {
  std::string kiosk_id;
  std::string presented_serial;   // of the certificate the kiosk renewed with (TLS)
  std::string device_public_key;  // Ed25519, 32 bytes: of the CSR, which must be the registered key
  std::string cert_serial;        // of the certificate issued; 1-128 printable ASCII characters
  std::int64_t cert_not_after_ms = 0;
};

class StoreBackend {
 public:
  virtual ~StoreBackend() = default;
  StoreBackend(const StoreBackend&) = delete;
  StoreBackend& operator=(const StoreBackend&) = delete;

  // ---- Ingest ----

  // Commits `batch` (as DecodeBatch returns it; ValidateBatch is applied again here) and the
  // stream's high-water mark in ONE transaction, and answers with the high-water mark and the
  // batch's rejected events. Idempotent on (kiosk_id, incarnation, seq): a replayed or
  // overlapping batch stores nothing twice and answers the same high-water mark. A batch starting
  // past high-water + 1 is stored and the gap recorded (see stream_state.hpp). Bad events go to
  // the dead-letter table (see event_rules.hpp) without blocking the rest. The caller checks that
  // the sender may speak for batch.kiosk_id. kInvalidArgument for an invalid batch; kUnavailable
  // when the database is unreachable or the transaction lost a race (retry later). With
  // `helpers`, a free thread of that pool takes part in preparing the events (PrepareEvents).
  Result<BatchAnswer> Ingest(const EventBatch& batch, boost::asio::thread_pool* helpers = nullptr);

  // ---- Enrollment and the kiosk registry ----

  // A fresh one-time token (32 characters of [A-Z2-7]) that lets `kiosk_id` enroll once before
  // now + `ttl`. Only a hash of it is stored.
  Result<std::string> CreateEnrollmentToken(std::string_view kiosk_id, std::chrono::seconds ttl);
  // Uses up `token` atomically (of two concurrent calls, one wins) and returns the kiosk id it
  // was issued for. kNotFound "enrollment token unknown", kConflict "enrollment token already
  // used", kInvalidArgument "enrollment token expired"; a failed call uses up nothing.
  Result<std::string> ConsumeEnrollmentToken(std::string_view token);
  // Records the kiosk's current certificate (replacing an earlier one, which stops being
  // accepted). kConflict when the kiosk is revoked: a revoked kiosk does not come back by
  // enrolling again.
  Result<void> RegisterKiosk(const KioskRegistration& registration);
  // Makes `renewal.cert_serial` the kiosk's current certificate. The one presented becomes the
  // previous one, accepted until it ends (a kiosk that lost the answer renews with it again; the
  // certificate that answer held is then superseded). kNotFound for a kiosk never registered;
  // kInvalidArgument when the key is not the kiosk's registered device key (a new key takes
  // enrolling again); kConflict when the kiosk is revoked, HQ has no device key for it, or the
  // presented certificate is neither its current nor its previous one.
  Result<void> RenewKioskCertificate(const KioskRenewal& renewal);
  // Marks the kiosk revoked (all its certificates). kNotFound for a kiosk never registered.
  Result<void> RevokeKiosk(std::string_view kiosk_id);
  // Has kiosks keep accepting the revoked kiosk's vouchers whose voucher_issued event HQ received
  // (events.received_at_ms, HQ's clock) before HonourCutoffFor: stores that cutoff, replacing an
  // earlier one, and returns it (HonouredVouchersOfRevokedKiosks lists them). Errors as
  // HonourCutoffFor's.
  Result<std::int64_t> HonourVouchersOf(std::string_view kiosk_id, std::int64_t received_before_ms);
  // The cutoff HonourVouchersOf would store, storing nothing: min(`received_before_ms`, the
  // kiosk's revocation time). kNotFound for a kiosk never registered; kConflict when it is not
  // revoked (kiosks accept its vouchers already) or HQ holds no device key of it (kiosks could not
  // check its vouchers).
  Result<std::int64_t> HonourCutoffFor(std::string_view kiosk_id, std::int64_t received_before_ms);
  // When HQ received (HQ's clock, Unix ms) the voucher_issued events of `kiosk_id`'s vouchers that
  // expire after `expired_by_unix_s`, earliest first: where an honour cutoff falls among them.
  virtual Result<std::vector<std::int64_t>> VoucherIssueArrivals(
      std::string_view kiosk_id, std::int64_t expired_by_unix_s) = 0;
  // False only when `cert_serial` is the registered current (or previous, renewed) certificate of
  // a kiosk that is not revoked: true for revoked kiosks, superseded certificates and unknown
  // kiosks alike.
  Result<bool> IsRevoked(std::string_view kiosk_id, std::string_view cert_serial);
  virtual Result<std::vector<KioskRecord>> Kiosks() = 0;
  // Notes that `kiosk_id` reached HQ now (its config pulls: kiosks send batches only when they
  // have events). Kept to within kContactResolution, so that a kiosk pulling every minute does
  // not write each time; nothing for a kiosk not in the registry.
  // With `clock_offset_ms`, the kiosk's clock minus HQ's (KioskRecord::clock_offset_ms), noted
  // with the contact.
  Result<void> NoteContact(std::string_view kiosk_id,
                           std::optional<std::int64_t> clock_offset_ms = std::nullopt);
  static constexpr std::chrono::minutes kContactResolution{2};
  // Notes that an instance refused a batch of `kiosk_id` at `at_ms` because the kiosk had sent
  // its events of the day, and will until `until_ms` (HQ's clock, Unix ms), in place of the last
  // such note; nothing for a kiosk not in the registry. For kiosk health on every instance
  // (KioskRecord::events_refused).
  virtual Result<void> NoteEventsRefused(std::string_view kiosk_id, std::int64_t at_ms,
                                         std::int64_t until_ms) = 0;

  // ---- The config bundle's version ----

  // The version of the config bundle whose content (all but the version) has the digest
  // `content_digest` (64 lower-case hex digits, bundle_maker.hpp). When the stored digest is the
  // same, the stored version; otherwise a new version, max(stored + 1, now in ms) (so versions
  // keep rising even if the table is lost), stored with the digest. Atomic: profile-store
  // instances sharing the database agree, and of two racing calls with the same new content, one
  // stores it and both answer its version. Survives restarts.
  Result<std::int64_t> BundleVersionFor(std::string_view content_digest);

  // ---- Queries ----

  // One read of the database: kUnavailable (or the kind of its error) when it cannot be read
  // now, or, on PostgreSQL, when the server would refuse writes (a standby: the session is made
  // again at the next call). For GET /healthz; a lost PostgreSQL connection is made again first,
  // as for any call.
  virtual Result<void> CheckReachable() = 0;
  virtual Result<std::optional<KioskStatus>> KioskStatusOf(std::string_view kiosk_id) = 0;
  // Where HQ's copy of the kiosk's latest incarnation (KioskStatus's) ends, for every config pull
  // (kStreamEndHeader): one row read; StreamEnd{} when HQ holds none of its events.
  virtual Result<StreamEnd> StreamEndOf(std::string_view kiosk_id) = 0;
  virtual Result<std::vector<KioskStatus>> KioskStatuses() = 0;
  virtual Result<StoreCounts> Counts() = 0;
  // The config bundle's `redeemed` (sync/protocol/config_bundle.hpp), `since` unset: the
  // vouchers (of both scopes) first redeemed at ledger positions after..after + max_positions
  // (after 0: from the start) and expiring after `expired_by_unix_s` (expired ones are refused
  // anyway), sorted by key, `through` the highest position stored in that range (0: none) and
  // `more` when the ledger goes further; and the ledger's end; all read together. Ingest gives each
  // voucher's first redemption the next position, visible in the order given, so a kiosk holding
  // the list through N misses nothing by asking for what came after N.
  virtual Result<RedeemedPage> RedeemedVouchersAfter(std::int64_t after,
                                                     std::int64_t expired_by_unix_s,
                                                     std::int64_t max_positions) = 0;
  // The voucher at ledger position `position`, if any: a kiosk's RedeemedPosition is HQ's
  // only while it names the voucher there.
  virtual Result<std::optional<std::string>> RedeemedVoucherAt(std::int64_t position) = 0;
  virtual Result<std::vector<VoucherConflict>> Conflicts() = 0;
  virtual Result<std::vector<DeadLetter>> DeadLetters(std::string_view kiosk_id) = 0;
  // The profile a stored signup event was merged into.
  virtual Result<std::optional<std::string>> ProfileOfSignup(const EventId& signup) = 0;
  virtual Result<std::optional<ProfileSummary>> Profile(std::string_view profile_key) = 0;

  // ---- Attribution (attribution_facts.hpp; docs/attribution.md) ----

  // Every channel the kiosks defined: the latest channel_defined event of each id (by
  // occurred_at), in no particular order.
  virtual Result<std::vector<ChannelDefinition>> DefinedChannels() = 0;
  // The facts of `request`'s window, read in one consistent snapshot.
  virtual Result<AttributionFacts> LoadAttributionFacts(const AttributionFactsRequest& request) = 0;

  // ---- Erasure and revoked vouchers (erasure_schema.hpp; docs/attribution.md, "Erasure") ----
  // In sqlite_erasure.cpp / postgres_erasure.cpp.

  // Erases the subject with profile key `profile_key` (52 characters of [A-Z2-7]; the caller
  // checks) in one transaction: keeps a tombstone (so ingest never re-creates it), lists its
  // signup and consent_withdrawn events as erased events, scrubs their stored payloads
  // (sync/protocol/erasure.hpp) and device ids, keeps its signup rows without the profile key,
  // device or consent (they still count as signups), and deletes its device links, consent
  // withdrawals, withdrawal_events rows and its profile. Idempotent. True when HQ
  // held a profile for it (false also for a subject HQ has not heard of yet: the tombstone then
  // keeps its events, when they arrive, from creating one).
  virtual Result<bool> EraseSubject(std::string_view profile_key) = 0;
  // "<kiosk id>/<incarnation>/<seq>" of every erased event of `kiosk_id`, sorted: its config
  // bundle's erased_events (each kiosk scrubs only its own journal).
  virtual Result<std::vector<std::string>> ErasedEventsOf(std::string_view kiosk_id) = 0;
  // How many erased events HQ holds, of every kiosk. Erased events are never deleted, so the count
  // changes whenever the list does: it stands for the list in the bundle's version.
  virtual Result<std::int64_t> ErasedEventCount() = 0;
  // Revokes the voucher "<kiosk id>/<voucher id>" (the caller checks the form). Idempotent; true
  // when it was not revoked before.
  virtual Result<bool> RevokeVoucher(std::string_view voucher_key) = 0;
  // The revoked voucher keys, sorted, but those whose issue HQ holds with an expiry at or before
  // `expired_by_unix_s`: the config bundle's revoked_vouchers (an expired voucher is refused
  // anyway). A voucher whose issue has not reached HQ stays listed.
  virtual Result<std::vector<std::string>> RevokedVouchers(std::int64_t expired_by_unix_s) = 0;
  // The config bundle's honoured_vouchers, read in one snapshot: for each revoked kiosk with a
  // cutoff (HonourVouchersOf) and a device key, that key and the vouchers it signed whose issue HQ
  // holds, received before the cutoff, expiring after `expired_by_unix_s`, each with the
  // HonouredVoucherDigest of what its issue told HQ. Kiosks with none are left out. At most
  // `max_vouchers` vouchers in all: those expiring last.
  virtual Result<std::map<std::string, HonouredVouchers>> HonouredVouchersOfRevokedKiosks(
      std::int64_t expired_by_unix_s, std::size_t max_vouchers) = 0;

  // ---- Audiences and consent (audience_facts.hpp; docs/attribution.md, "Audiences") ----

  // The window's signups of profiles whose marketing consent stands, ordered by profile key, then
  // signup time (then event identity). In sqlite_audience.cpp / postgres_audience.cpp.
  virtual Result<std::vector<AudienceCandidate>> LoadAudienceCandidates(
      const AudienceFactsRequest& request) = 0;
  // Appends `record` (its id is ignored) to the audit of exports.
  virtual Result<void> RecordAudienceExport(const AudienceExportRecord& record) = 0;
  // The latest `limit` exports, newest first.
  virtual Result<std::vector<AudienceExportRecord>> AudienceExports(int limit) = 0;
  // Appends `record` (its id is ignored) to the audit of admin actions (admin_audit.hpp).
  virtual Result<void> RecordAdminAction(const AdminActionRecord& record) = 0;
  // The latest `limit` admin actions, newest first.
  virtual Result<std::vector<AdminActionRecord>> AdminActions(int limit) = 0;
  // HQ's withdrawal of marketing consent for the shopper with profile key `profile_key` (of
  // their phone, HqIdentity::ProfileKey; the caller checks), as of now: the profile leaves every
  // audience at once, until a signup that occurs later gives consent again; a withdrawal for a
  // shopper HQ does not know yet applies to their earlier signups arriving later. Answers
  // whether HQ has that profile.
  struct ConsentWithdrawn {
    bool profile_known = false;
    std::int64_t withdrawn_at_ms = 0;
  };
  Result<ConsentWithdrawn> WithdrawConsent(std::string_view profile_key);
  // HQ's identity, which opens the sealed contact of consenting shoppers for an export.
  const HqIdentity& identity() const { return identity_; }

 protected:
  StoreBackend(const HqIdentity& identity, const Clock& clock)
      : identity_(identity), clock_(clock) {}

  std::int64_t NowMs() const;

  // Runs WriteBatch in one transaction of the backend's.
  virtual Result<BatchAnswer> CommitBatch(const EventBatch& batch,
                                          std::span<const PreparedEvent> prepared,
                                          std::int64_t now_ms) = 0;
  virtual Result<void> StoreEnrollmentToken(const std::string& token_hash,
                                            std::string_view kiosk_id, std::int64_t now_ms,
                                            std::int64_t expires_at_ms) = 0;
  // Marks the token used if it is unused and unexpired, atomically; the kiosk id. Errors as for
  // ConsumeEnrollmentToken.
  virtual Result<std::string> TakeEnrollmentToken(const std::string& token_hash,
                                                  std::int64_t now_ms) = 0;
  virtual Result<void> StoreKiosk(const KioskRegistration& registration, std::int64_t now_ms) = 0;
  // The renewal as RenewKioskCertificate describes it, in one statement; false when no kiosk
  // matched (revoked, another device key, or the presented certificate superseded meanwhile).
  virtual Result<bool> StoreRenewal(const KioskRenewal& renewal) = 0;
  virtual Result<void> MarkKioskRevoked(std::string_view kiosk_id, std::int64_t now_ms) = 0;
  // Sets the revoked kiosk's honour_received_before_ms to `cutoff_ms`, in one statement.
  virtual Result<void> StoreHonourCutoff(std::string_view kiosk_id, std::int64_t cutoff_ms) = 0;
  virtual Result<std::optional<KioskRecord>> FindKiosk(std::string_view kiosk_id) = 0;
  // Sets the kiosk's last contact to `now_ms`, and its clock offset when given, if the contact is
  // unset or `if_not_after_ms` or earlier.
  virtual Result<void> StoreContact(std::string_view kiosk_id, std::int64_t now_ms,
                                    std::int64_t if_not_after_ms,
                                    std::optional<std::int64_t> clock_offset_ms) = 0;
  // BundleVersionFor with `content_digest` checked, in one transaction of the backend's.
  virtual Result<std::int64_t> StoreBundleDigest(std::string_view content_digest,
                                                 std::int64_t now_ms) = 0;
  // WithdrawConsent's storage, in one transaction: whether the profile exists.
  virtual Result<bool> StoreConsentWithdrawal(const std::string& profile_key,
                                              std::int64_t withdrawn_at_ms) = 0;

 private:
  const HqIdentity& identity_;
  const Clock& clock_;
};

// The errors TakeEnrollmentToken reports, shared by the backends.
Error EnrollmentTokenUnknown();
Error EnrollmentTokenUsed();
Error EnrollmentTokenExpired();

}  // namespace kiosk_edge
