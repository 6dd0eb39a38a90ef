// PostgresSession: setup, and the ingest transaction in PostgreSQL's SQL.

#include <optional>
#include <utility>
#include <variant>

#include "common/crypto.hpp"
#include "common/strings.hpp"
#include "sync/profile_store/ingest_transaction.hpp"
#include "sync/profile_store/postgres_session.hpp"
#include "sync/profile_store/scanner_key.hpp"

namespace kiosk_edge {
namespace {

constexpr std::pair<const char*, std::string_view> kStatements[] = {
    {"create_stream",
     "INSERT INTO streams (kiosk_id, incarnation, max_seq, high_water, first_batch_at_ms, "
     "last_batch_at_ms) VALUES ($1, $2, 0, 0, $3, $3) ON CONFLICT DO NOTHING"},
    {"lock_stream",
     "SELECT max_seq FROM streams WHERE kiosk_id = $1 AND incarnation = $2 FOR UPDATE"},
    {"select_gaps",
     "SELECT from_seq, to_seq, detected_at_ms FROM gaps WHERE kiosk_id = $1 AND "
     "incarnation = $2 ORDER BY from_seq"},
    {"insert_dead_letter",
     "INSERT INTO dead_letters (kiosk_id, incarnation, seq, type, occurred_at_ms, channel_id, "
     "payload_version, payload, reason, received_at_ms) "
     "VALUES ($1, $2, $3, $4, $5, $6, $7, $8::bytea, $9, $10)"},
    // ProfileMerges, one row per profile key. Sealed contact and consent follow the latest
    // signup by occurred_at.
    {"merge_profiles",
     "INSERT INTO profiles AS p (profile_key, name_sealed, phone_sealed, marketing_consent, "
     "consent_text_version, first_signup_at_ms, last_signup_at_ms, signups) "
     "SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::boolean[], $5::text[], "
     "$6::bigint[], $7::bigint[], $8::bigint[]) "
     "ON CONFLICT (profile_key) DO UPDATE SET "
     "name_sealed = CASE WHEN excluded.last_signup_at_ms >= p.last_signup_at_ms "
     "THEN excluded.name_sealed ELSE p.name_sealed END, "
     "phone_sealed = CASE WHEN excluded.last_signup_at_ms >= p.last_signup_at_ms "
     "THEN excluded.phone_sealed ELSE p.phone_sealed END, "
     "marketing_consent = CASE WHEN excluded.last_signup_at_ms >= p.last_signup_at_ms "
     "THEN excluded.marketing_consent ELSE p.marketing_consent END, "
     "consent_text_version = CASE WHEN excluded.last_signup_at_ms >= p.last_signup_at_ms "
     "THEN excluded.consent_text_version ELSE p.consent_text_version END, "
     "first_signup_at_ms = LEAST(p.first_signup_at_ms, excluded.first_signup_at_ms), "
     "last_signup_at_ms = GREATEST(p.last_signup_at_ms, excluded.last_signup_at_ms), "
     "signups = p.signups + excluded.signups"},
    {"insert_signups",
     "INSERT INTO signups (kiosk_id, incarnation, seq, profile_key, device_id, campaign, "
     "channel_id, occurred_at_ms, marketing_consent) "
     "SELECT $1::text, $2::text, * FROM unnest($3::bigint[], $4::text[], $5::text[], $6::text[], "
     "$7::text[], $8::bigint[], $9::boolean[])"},
    // Each profile's latest withdrawal of marketing consent (kSettleConsent applies it).
    {"record_withdrawals",
     "INSERT INTO consent_withdrawals AS w (profile_key, withdrawn_at_ms) "
     "SELECT * FROM unnest($1::text[], $2::bigint[]) ON CONFLICT (profile_key) DO UPDATE SET "
     "withdrawn_at_ms = GREATEST(w.withdrawn_at_ms, excluded.withdrawn_at_ms)"},
    {"link_devices",
     "INSERT INTO device_links AS d (kiosk_id, device_id, profile_key, linked_at_ms) "
     "SELECT $1::text, * FROM unnest($2::text[], $3::text[], $4::bigint[]) "
     "ON CONFLICT (kiosk_id, device_id, profile_key) DO UPDATE SET "
     "linked_at_ms = LEAST(d.linked_at_ms, excluded.linked_at_ms)"},
    // The first issue of each voucher key: fills a stub a redemption may have made, and corrects
    // what the redeeming kiosk reported of it by what its signer says (scope, expiry, store,
    // gift). An issue that corrects the expiry hands back the ledger position (negated:
    // number_redeemed gives a new one after it, in this transaction). An entry issued before keeps
    // its first issue.
    // signup_seq: the stream's latest earlier signup with the same campaign and channel (the
    // signups of this batch are already in).
    {"vouchers_issued",
     "INSERT INTO vouchers AS v (voucher_key, signer, voucher_id, scope, voucher_store, gift, "
     "expires_at, campaign, issued_incarnation, issued_seq, issued_at_ms, channel_id, "
     "redemptions, signup_seq) "
     "SELECT u.voucher_key, $1::text, u.voucher_id, u.scope, u.voucher_store, u.gift, "
     "u.expires_at, u.campaign, $2::text, u.seq, u.occurred_at_ms, u.channel_id, 0, "
     "(SELECT s.seq FROM signups s WHERE s.kiosk_id = $1::text AND s.incarnation = $2::text "
     "AND s.seq < u.seq AND s.campaign = u.campaign "
     "AND s.channel_id IS NOT DISTINCT FROM u.channel_id ORDER BY s.seq DESC LIMIT 1) "
     "FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[], "
     "$9::text[], $10::bigint[], $11::bigint[], $12::text[]) AS u(voucher_key, voucher_id, "
     "scope, voucher_store, gift, expires_at, campaign, seq, occurred_at_ms, channel_id) "
     "ON CONFLICT (voucher_key) DO UPDATE SET redeemed_pos = CASE WHEN v.expires_at = "
     "excluded.expires_at THEN v.redeemed_pos ELSE -v.redeemed_pos END, "
     "scope = excluded.scope, expires_at = excluded.expires_at, "
     "voucher_store = excluded.voucher_store, gift = excluded.gift, campaign = excluded.campaign, "
     "issued_incarnation = excluded.issued_incarnation, issued_seq = excluded.issued_seq, "
     "issued_at_ms = excluded.issued_at_ms, channel_id = excluded.channel_id, "
     "signup_seq = excluded.signup_seq WHERE v.issued_seq IS NULL"},
    {"voucher_stub",
     "INSERT INTO vouchers (voucher_key, signer, voucher_id, scope, voucher_store, gift, "
     "expires_at, redemptions) VALUES ($1, $2, $3, $4, $5, $6, $7, 0) "
     "ON CONFLICT (voucher_key) DO NOTHING"},
    // The UPDATE's row lock serialises redemptions of one voucher across instances: a second
    // one waits for the first to commit, then sees its count and first redemption.
    {"count_redemption",
     "UPDATE vouchers SET redemptions = redemptions + 1, "
     "first_kiosk_id = COALESCE(first_kiosk_id, $2), "
     "first_incarnation = COALESCE(first_incarnation, $3), first_seq = COALESCE(first_seq, $4) "
     "WHERE voucher_key = $1 RETURNING first_kiosk_id, first_incarnation, first_seq"},
    // Ledger positions (NumberRedeemed) are given under a lock held to commit, so that they become
    // visible in increasing order. $1: the keys, sorted and unique. Only a batch with a voucher to
    // number takes the lock: the rows that need one are this transaction's, locked by its earlier
    // steps. Both statements are gated by that test, written as one index look-up per key (a scalar
    // subquery, which PostgreSQL does not turn into a join): their plans are cached while
    // `vouchers` is small, and a plan that scanned the table at every batch cost PostgreSQL 2 ms
    // per batch (the bench, before autovacuum analysed the table). So a batch with nothing to
    // number reads only its own keys.
    {"lock_redeemed_positions",
     "SELECT pg_advisory_xact_lock(hashtextextended("
     "'kiosk-edge redeemed positions ' || current_schema(), 0)) WHERE EXISTS (SELECT 1 FROM "
     "unnest($1::text[]) AS k(key) WHERE (SELECT x.redemptions > 0 AND (x.redeemed_pos IS NULL "
     "OR x.redeemed_pos < 0) FROM vouchers x WHERE x.voucher_key = k.key))"},
    // Each key that needs a position takes the next in key order (bytewise, as the column
    // compares), the order SQLite numbers them in one by one, past every position given, those
    // handed back included: the keys are numbered once, by a window over the batch's keys, with
    // the same look-up per key as above. (Counting, for each row, the keys before it made the
    // statement quadratic in the batch: 0.9 s for a batch of 500 first redemptions once
    // `vouchers` held 50,000 rows.)
    {"number_redeemed",
     "WITH need AS (SELECT k.key, row_number() OVER (ORDER BY k.key COLLATE \"C\") AS n "
     "FROM unnest($1::text[]) AS k(key) WHERE (SELECT x.redemptions > 0 AND (x.redeemed_pos "
     "IS NULL OR x.redeemed_pos < 0) FROM vouchers x WHERE x.voucher_key = k.key)) "
     "UPDATE vouchers AS v SET redeemed_pos = GREATEST((SELECT COALESCE(MAX(redeemed_pos), 0) "
     "FROM vouchers WHERE redeemed_pos IS NOT NULL), -(SELECT COALESCE(MIN(redeemed_pos), 0) "
     "FROM vouchers WHERE redeemed_pos IS NOT NULL)) + need.n FROM need "
     "WHERE v.voucher_key = need.key"},
    {"insert_redemption",
     "INSERT INTO redemptions (kiosk_id, incarnation, seq, voucher_key, staff, source, "
     "occurred_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)"},
    {"insert_conflict",
     "INSERT INTO voucher_conflicts (voucher_key, first_kiosk_id, first_incarnation, first_seq, "
     "second_kiosk_id, second_incarnation, second_seq, detected_at_ms) "
     "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"},
    {"update_stream",
     "UPDATE streams SET max_seq = $3, high_water = $4, last_batch_at_ms = $5, "
     "journal_last_seq = COALESCE($6, journal_last_seq), https_not_after_ms = $7, "
     "client_cert_not_after_ms = $8 WHERE kiosk_id = $1 AND incarnation = $2"},
    {"delete_gaps", "DELETE FROM gaps WHERE kiosk_id = $1 AND incarnation = $2"},
    {"insert_gap",
     "INSERT INTO gaps (kiosk_id, incarnation, from_seq, to_seq, detected_at_ms) "
     "VALUES ($1, $2, $3, $4, $5)"},
    {"select_rejected",
     "SELECT seq, reason FROM dead_letters WHERE kiosk_id = $1 AND incarnation = $2 "
     "AND seq BETWEEN $3 AND $4 ORDER BY seq"},
    // Erasure (erasure_schema.hpp): a shared advisory lock per key, which EraseSubject takes
    // exclusively, then the tombstones among the keys.
    {"lock_subjects",
     "SELECT pg_advisory_xact_lock_shared(hashtextextended(k, 0)) "
     "FROM (SELECT DISTINCT k FROM unnest($1::text[]) AS k ORDER BY k) AS keys"},
    {"select_tombstones",
     "SELECT profile_key FROM erased_subjects WHERE profile_key = ANY($1::text[]) "
     "ORDER BY profile_key"},
    {"insert_erased_events",
     "INSERT INTO erased_events (kiosk_id, incarnation, seq, erased_at_ms) "
     "SELECT $1::text, $2::text, seq, $4::bigint FROM unnest($3::bigint[]) AS seq "
     "ON CONFLICT DO NOTHING"},
    {"select_erased_events",
     "SELECT seq FROM erased_events WHERE kiosk_id = $1 AND incarnation = $2 "
     "AND seq BETWEEN $3 AND $4 ORDER BY seq"},
    {"insert_withdrawal_events",
     "INSERT INTO withdrawal_events (kiosk_id, incarnation, seq, profile_key) "
     "SELECT $1::text, $2::text, * FROM unnest($3::bigint[], $4::text[])"},
};

// Ends the marketing consent of the batch's profiles that withdrew it at or after their latest
// signup. Planned at each call (not prepared): a plan cached while profiles was small read every
// profile at each batch (2 ms per batch at 20,000 profiles) until autovacuum analysed the table.
constexpr std::string_view kSettleConsent =
    "UPDATE profiles p SET marketing_consent = false FROM (SELECT w.profile_key, "
    "w.withdrawn_at_ms FROM unnest($1::text[]) AS k JOIN consent_withdrawals w "
    "ON w.profile_key = k) w WHERE p.profile_key = w.profile_key "
    "AND p.marketing_consent AND w.withdrawn_at_ms >= p.last_signup_at_ms";

constexpr std::string_view kCopyEvents =
    "COPY events (kiosk_id, incarnation, seq, type, occurred_at_ms, monotonic_ns, boot_id, "
    "channel_id, payload_version, device_id, payload, received_at_ms, scan_flags, scanner_key) "
    "FROM STDIN";

// A scan's attribution figures (events.scan_flags, migration 7): 1 = attributable, 2 = a
// verified presence code; NULL for other events.
std::optional<std::int64_t> ScanFlags(const PreparedEvent& prepared) {
  const auto* scan = std::get_if<ScanFacts>(&prepared.facts);
  if (scan == nullptr) return std::nullopt;
  return (scan->attributable ? 1 : 0) + (scan->verified_presence ? 2 : 0);
}

// A scan's (kiosk, device) key (scanner_key.hpp); NULL for other events and scans without one.
std::optional<std::int64_t> ScannerKeyOf(const EventBatch& batch, const PreparedEvent& prepared) {
  if (!std::holds_alternative<ScanFacts>(prepared.facts) || !prepared.device_id) {
    return std::nullopt;
  }
  return ScannerKey(batch.kiosk_id, *prepared.device_id);
}

// The steps that answer nothing are queued and sent with the next step that needs an answer,
// in one pipeline: a batch of any mix takes four round trips (BEGIN and the stream lock; the
// events' COPY, two; everything else and COMMIT), plus one when it holds redemptions.
class PgIngestTransaction final : public IngestTransaction {
 public:
  explicit PgIngestTransaction(PgConnection& connection) : c_(connection) {}
  PgIngestTransaction(const PgIngestTransaction&) = delete;
  PgIngestTransaction& operator=(const PgIngestTransaction&) = delete;
  ~PgIngestTransaction() override {
    if (open_ && !c_.Broken()) (void)c_.Exec("ROLLBACK");
  }

  void Begin() {
    Queue(PgCommand::Sql("BEGIN"));
    open_ = true;
  }

  Result<LockedStream> LockStream(const EventBatch& batch,
                                  std::span<const std::string> profile_keys,
                                  std::int64_t now_ms) override {
    const PgParams key = Params(batch.kiosk_id, batch.incarnation);
    Queue(PgCommand::Prepared("create_stream", Params(batch.kiosk_id, batch.incarnation, now_ms)));
    Queue(PgCommand::Prepared("lock_stream", key));
    Queue(PgCommand::Prepared("select_gaps", key));
    if (!profile_keys.empty()) {
      PgArray keys;
      for (const std::string& profile_key : profile_keys) keys.Add(profile_key);
      Queue(PgCommand::Prepared("lock_subjects", Params(keys)));
      Queue(PgCommand::Prepared("select_tombstones", Params(keys)));
    }
    auto results = Flush();
    if (!results) return results.error();
    const std::size_t stream = results->size() - (profile_keys.empty() ? 2 : 4);
    const PgResult& row = (*results)[stream];
    const PgResult& gaps = (*results)[stream + 1];
    if (row.rows() != 1) return Error(ErrorKind::kInternal, "stream row vanished");
    LockedStream locked;
    locked.state.max_seq = row.Int(0, 0);
    for (int i = 0; i < gaps.rows(); ++i) {
      locked.state.gaps.push_back(SeqGap{gaps.Int(i, 0), gaps.Int(i, 1), gaps.Int(i, 2)});
    }
    if (!profile_keys.empty()) {
      const PgResult& erased = results->back();
      for (int i = 0; i < erased.rows(); ++i) locked.erased_subjects.push_back(erased.Text(i, 0));
    }
    return locked;
  }

  Result<void> RecordErasedEvents(const EventBatch& batch, std::span<const std::int64_t> seqs,
                                  std::int64_t now_ms) override {
    PgArray array;
    for (std::int64_t seq : seqs) array.Add(seq);
    Queue(PgCommand::Prepared("insert_erased_events",
                              Params(batch.kiosk_id, batch.incarnation, array, now_ms)));
    return {};
  }

  // COPY, which cannot run in a pipeline, costs PostgreSQL less than any INSERT.
  Result<void> InsertEvents(const EventBatch& batch, std::span<const PreparedEvent* const> accepted,
                            std::int64_t now_ms) override {
    if (auto flushed = Flush(); !flushed) return flushed.error();
    PgCopyRows rows;
    rows.Reserve(accepted.size() * 400);
    for (const PreparedEvent* prepared : accepted) {
      const WireEvent& e = *prepared->event;
      rows.Field(batch.kiosk_id)
          .Field(batch.incarnation)
          .Field(e.seq)
          .Field(e.type)
          .Field(e.occurred_at_ms)
          .Field(e.monotonic_ns)
          .Field(e.boot_id)
          .Field(e.channel_id)
          .Field(std::int64_t{e.payload_version})
          .Field(prepared->device_id)
          .Field(std::string_view(e.payload_json))
          .Field(now_ms)
          .Field(ScanFlags(*prepared))
          .Field(ScannerKeyOf(batch, *prepared))
          .EndRow();
    }
    return c_.CopyIn(kCopyEvents, rows.text());
  }

  Result<void> InsertDeadLetters(const EventBatch& batch,
                                 std::span<const PreparedEvent* const> rejected,
                                 std::int64_t now_ms) override {
    for (const PreparedEvent* prepared : rejected) {
      const WireEvent& e = *prepared->event;
      // bytea: the payload exactly as received, whatever it holds.
      Queue(PgCommand::Prepared(
          "insert_dead_letter",
          Params(batch.kiosk_id, batch.incarnation, e.seq, e.type, e.occurred_at_ms, e.channel_id,
                 e.payload_version, StrCat("\\x", HexEncode(e.payload_json)), *prepared->rejection,
                 now_ms)));
    }
    return {};
  }

  Result<void> MergeProfiles(std::span<const ProfileMerge> merges) override {
    PgArray keys, names, phones, marketing, versions, firsts, lasts, counts;
    for (const ProfileMerge& merge : merges) {
      const auto& latest = std::get<SignupFacts>(merge.latest->facts);
      keys.Add(*merge.profile_key);
      names.Add(latest.name_sealed);
      phones.Add(latest.phone_sealed);
      marketing.Add(latest.marketing_consent);
      versions.Add(latest.consent_text_version);
      firsts.Add(merge.first_signup_at_ms);
      lasts.Add(merge.last_signup_at_ms);
      counts.Add(merge.signups);
    }
    Queue(PgCommand::Prepared(
        "merge_profiles", Params(keys, names, phones, marketing, versions, firsts, lasts, counts)));
    return {};
  }

  Result<void> SettleConsent(std::span<const ConsentWithdrawal> withdrawals,
                             std::span<const std::string* const> profile_keys) override {
    if (!withdrawals.empty()) {
      PgArray keys, times;
      for (const ConsentWithdrawal& withdrawal : withdrawals) {
        keys.Add(*withdrawal.profile_key);
        times.Add(withdrawal.withdrawn_at_ms);
      }
      Queue(PgCommand::Prepared("record_withdrawals", Params(keys, times)));
    }
    PgArray keys;
    for (const std::string* key : profile_keys) keys.Add(*key);
    Queue(PgCommand::Sql(std::string(kSettleConsent), Params(keys)));
    return {};
  }

  Result<void> RecordWithdrawalEvents(const EventBatch& batch,
                                      std::span<const PreparedEvent* const> withdrawn) override {
    PgArray seqs, keys;
    for (const PreparedEvent* withdrawal : withdrawn) {
      seqs.Add(withdrawal->event->seq);
      keys.Add(std::get<ConsentWithdrawnFacts>(withdrawal->facts).profile_key);
    }
    Queue(PgCommand::Prepared("insert_withdrawal_events",
                              Params(batch.kiosk_id, batch.incarnation, seqs, keys)));
    return {};
  }

  Result<void> InsertSignups(const EventBatch& batch,
                             std::span<const PreparedEvent* const> signups) override {
    PgArray seqs, keys, devices, campaigns, channels, times, marketing;
    for (const PreparedEvent* signup : signups) {
      const auto& facts = std::get<SignupFacts>(signup->facts);
      seqs.Add(signup->event->seq);
      keys.Add(facts.profile_key);
      devices.Add(signup->device_id);
      campaigns.Add(facts.campaign);
      channels.Add(signup->event->channel_id);
      times.Add(signup->event->occurred_at_ms);
      marketing.Add(facts.marketing_consent);
    }
    Queue(PgCommand::Prepared(
        "insert_signups", Params(batch.kiosk_id, batch.incarnation, seqs, keys, devices, campaigns,
                                 channels, times, marketing)));
    return {};
  }

  Result<void> LinkDevices(const EventBatch& batch, std::span<const DeviceLink> links) override {
    PgArray devices, keys, times;
    for (const DeviceLink& link : links) {
      devices.Add(*link.device_id);
      keys.Add(*link.profile_key);
      times.Add(link.linked_at_ms);
    }
    Queue(PgCommand::Prepared("link_devices", Params(batch.kiosk_id, devices, keys, times)));
    return {};
  }

  Result<void> RecordVouchersIssued(const EventBatch& batch,
                                    std::span<const PreparedEvent* const> issued) override {
    PgArray keys, ids, scopes, stores, gifts, expiries, campaigns, seqs, times, channels;
    for (const PreparedEvent* voucher : issued) {
      const auto& facts = std::get<VoucherIssuedFacts>(voucher->facts);
      keys.Add(facts.voucher_key);
      ids.Add(facts.voucher_id);
      scopes.Add(facts.scope);
      stores.Add(facts.voucher_store);
      gifts.Add(facts.gift);
      expiries.Add(facts.expires_at);
      campaigns.Add(facts.campaign);
      seqs.Add(voucher->event->seq);
      times.Add(voucher->event->occurred_at_ms);
      channels.Add(voucher->event->channel_id);
    }
    Queue(PgCommand::Prepared("vouchers_issued",
                              Params(batch.kiosk_id, batch.incarnation, keys, ids, scopes, stores,
                                     gifts, expiries, campaigns, seqs, times, channels)));
    return {};
  }

  // One after the other in one pipeline: each redemption's count sees the ones before it.
  Result<std::vector<std::optional<EventId>>> RecordRedemptions(
      const EventBatch& batch, std::span<const PreparedEvent* const> redemptions) override {
    for (const PreparedEvent* redemption : redemptions) {
      const auto& facts = std::get<RedemptionFacts>(redemption->facts);
      const std::int64_t seq = redemption->event->seq;
      Queue(PgCommand::Prepared(
          "voucher_stub", Params(facts.voucher_key, facts.signer, facts.voucher_id, facts.scope,
                                 facts.voucher_store, facts.gift, facts.expires_at)));
      Queue(PgCommand::Prepared("count_redemption",
                                Params(facts.voucher_key, batch.kiosk_id, batch.incarnation, seq)));
      Queue(PgCommand::Prepared(
          "insert_redemption",
          Params(batch.kiosk_id, batch.incarnation, seq, facts.voucher_key, facts.staff,
                 facts.source, redemption->event->occurred_at_ms)));
    }
    auto results = Flush();
    if (!results) return results.error();
    const std::size_t base = results->size() - 3 * redemptions.size();
    std::vector<std::optional<EventId>> firsts;
    for (std::size_t i = 0; i < redemptions.size(); ++i) {
      const PgResult& counted = (*results)[base + 3 * i + 1];
      if (counted.rows() != 1) return Error(ErrorKind::kInternal, "voucher ledger row vanished");
      EventId first{counted.Text(0, 0), counted.Text(0, 1), counted.Int(0, 2)};
      const bool is_this =
          first == EventId{batch.kiosk_id, batch.incarnation, redemptions[i]->event->seq};
      firsts.push_back(is_this ? std::nullopt : std::optional<EventId>(std::move(first)));
    }
    return firsts;
  }

  // Deferred to the commit. The lock comes after every voucher row this transaction locks, so
  // holding it never waits for another row: no deadlock.
  Result<void> NumberRedeemed(std::span<const std::string_view> voucher_keys) override {
    PgArray keys;
    for (std::string_view key : voucher_keys) keys.Add(key);
    Queue(PgCommand::Prepared("lock_redeemed_positions", Params(keys)));
    Queue(PgCommand::Prepared("number_redeemed", Params(keys)));
    return {};
  }

  Result<void> InsertConflict(const std::string& voucher_key, const EventId& first,
                              const EventId& second, std::int64_t now_ms) override {
    Queue(PgCommand::Prepared("insert_conflict",
                              Params(voucher_key, first.kiosk_id, first.incarnation, first.seq,
                                     second.kiosk_id, second.incarnation, second.seq, now_ms)));
    return {};
  }

  Result<void> SaveStream(const EventBatch& batch, const StreamState& before,
                          const StreamState& after, std::int64_t now_ms) override {
    Queue(PgCommand::Prepared(
        "update_stream", Params(batch.kiosk_id, batch.incarnation, after.max_seq, HighWater(after),
                                now_ms, batch.journal_last_seq, batch.https_not_after_ms,
                                batch.client_certificate_not_after_ms)));
    if (before.gaps == after.gaps) return {};
    Queue(PgCommand::Prepared("delete_gaps", Params(batch.kiosk_id, batch.incarnation)));
    for (const SeqGap& gap : after.gaps) {
      Queue(PgCommand::Prepared(
          "insert_gap",
          Params(batch.kiosk_id, batch.incarnation, gap.from_seq, gap.to_seq, gap.detected_at_ms)));
    }
    return {};
  }

  Result<Listing> CommitListingRejected(const EventBatch& batch) override {
    const PgParams range =
        Params(batch.kiosk_id, batch.incarnation, batch.first_seq, batch.last_seq);
    Queue(PgCommand::Prepared("select_rejected", range));
    Queue(PgCommand::Prepared("select_erased_events", range));
    Queue(PgCommand::Sql("COMMIT"));
    auto results = Flush();
    if (!results) return results.error();
    open_ = false;
    const PgResult& rows = (*results)[results->size() - 3];
    const PgResult& erased = (*results)[results->size() - 2];
    Listing listing;
    for (int i = 0; i < rows.rows(); ++i) {
      listing.rejected.push_back(RejectedEvent{rows.Int(i, 0), rows.Text(i, 1)});
    }
    for (int i = 0; i < erased.rows(); ++i) listing.erased.push_back(erased.Int(i, 0));
    return listing;
  }

 private:
  void Queue(PgCommand command) { pending_.push_back(std::move(command)); }

  // Runs the queued steps in one round trip; their results, in order.
  Result<std::vector<PgResult>> Flush() {
    if (pending_.empty()) return std::vector<PgResult>();
    auto results = c_.RunPipeline(pending_);
    pending_.clear();
    return results;
  }

  PgConnection& c_;
  std::vector<PgCommand> pending_;
  bool open_ = false;
};

}  // namespace

Result<std::unique_ptr<PostgresSession>> PostgresSession::Start(PgConnection connection,
                                                                const std::string& schema) {
  std::unique_ptr<PostgresSession> session(new PostgresSession(std::move(connection), schema));
  if (auto set_up = session->Setup(); !set_up) return set_up.error();
  return session;
}

Result<void> PostgresSession::Setup() {
  if (auto path = connection_.Exec(StrCat("SET search_path TO ", QuoteIdentifier(schema_)));
      !path) {
    return path.error();
  }
  for (const auto& [name, sql] : kStatements) {
    if (auto prepared = connection_.Prepare(name, sql); !prepared) return prepared.error();
  }
  return {};
}

Result<void> PostgresSession::EnsureConnected() {
  if (!connection_.Lost()) return {};
  if (auto reset = connection_.Reset(); !reset) return reset.error();
  return Setup();
}

Result<BatchAnswer> PostgresSession::Ingest(const EventBatch& batch,
                                            std::span<const PreparedEvent> prepared,
                                            std::int64_t now_ms) {
  constexpr int kAttempts = 5;
  for (int attempt = 1;; ++attempt) {
    PgIngestTransaction transaction(connection_);  // rolls back unless committed
    transaction.Begin();
    Result<BatchAnswer> answer = WriteBatch(transaction, batch, prepared, now_ms);
    if (answer || attempt == kAttempts || !IsRetryable(connection_.last_sqlstate())) {
      return answer;
    }
  }
}

}  // namespace kiosk_edge
