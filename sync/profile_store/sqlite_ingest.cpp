#include "sync/profile_store/sqlite_ingest.hpp"

#include <optional>

#include "common/strings.hpp"
#include "sync/profile_store/ingest_transaction.hpp"
#include "sync/profile_store/sqlite_binding.hpp"

namespace kiosk_edge {

struct SqliteIngest::Statements {
  Statement create_stream, select_stream, select_gaps, insert_event, insert_dead_letter,
      upsert_profile, insert_signup, link_device, voucher_issued, voucher_stub, count_redemption,
      insert_redemption, insert_conflict, update_stream, delete_gaps, insert_gap, select_rejected,
      record_withdrawal, settle_consent, select_tombstone, insert_erased_event,
      select_erased_events, insert_withdrawal_event, number_redeemed;
};

namespace {

constexpr std::string_view kSql[] = {
    // create_stream
    "INSERT INTO streams (kiosk_id, incarnation, max_seq, high_water, first_batch_at_ms, "
    "last_batch_at_ms) VALUES (?1, ?2, 0, 0, ?3, ?3) ON CONFLICT DO NOTHING",
    // select_stream
    "SELECT max_seq FROM streams WHERE kiosk_id = ?1 AND incarnation = ?2",
    // select_gaps
    "SELECT from_seq, to_seq, detected_at_ms FROM gaps WHERE kiosk_id = ?1 AND incarnation = ?2 "
    "ORDER BY from_seq",
    // insert_event
    "INSERT INTO events (kiosk_id, incarnation, seq, type, occurred_at_ms, monotonic_ns, boot_id, "
    "channel_id, payload_version, device_id, payload, received_at_ms) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    // insert_dead_letter
    "INSERT INTO dead_letters (kiosk_id, incarnation, seq, type, occurred_at_ms, channel_id, "
    "payload_version, payload, reason, received_at_ms) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    // upsert_profile: a ProfileMerge. Sealed contact and consent follow the latest signup by
    // occurred_at.
    "INSERT INTO profiles (profile_key, name_sealed, phone_sealed, marketing_consent, "
    "consent_text_version, first_signup_at_ms, last_signup_at_ms, signups) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (profile_key) DO UPDATE SET "
    "name_sealed = CASE WHEN excluded.last_signup_at_ms >= profiles.last_signup_at_ms "
    "THEN excluded.name_sealed ELSE profiles.name_sealed END, "
    "phone_sealed = CASE WHEN excluded.last_signup_at_ms >= profiles.last_signup_at_ms "
    "THEN excluded.phone_sealed ELSE profiles.phone_sealed END, "
    "marketing_consent = CASE WHEN excluded.last_signup_at_ms >= profiles.last_signup_at_ms "
    "THEN excluded.marketing_consent ELSE profiles.marketing_consent END, "
    "consent_text_version = CASE WHEN excluded.last_signup_at_ms >= profiles.last_signup_at_ms "
    "THEN excluded.consent_text_version ELSE profiles.consent_text_version END, "
    "first_signup_at_ms = MIN(profiles.first_signup_at_ms, excluded.first_signup_at_ms), "
    "last_signup_at_ms = MAX(profiles.last_signup_at_ms, excluded.last_signup_at_ms), "
    "signups = profiles.signups + excluded.signups",
    // insert_signup
    "INSERT INTO signups (kiosk_id, incarnation, seq, profile_key, device_id, campaign, "
    "channel_id, occurred_at_ms, marketing_consent) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    // link_device
    "INSERT INTO device_links (kiosk_id, device_id, profile_key, linked_at_ms) "
    "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (kiosk_id, device_id, profile_key) DO UPDATE SET "
    "linked_at_ms = MIN(device_links.linked_at_ms, excluded.linked_at_ms)",
    // voucher_issued: fills a stub a redemption may have made, and corrects what the redeeming
    // kiosk reported of it by what its signer says (scope, expiry, store, gift). An issue that
    // corrects the expiry hands back the ledger position (negated: number_redeemed gives a new one
    // after it, in this transaction). The first issue wins.
    // signup_seq: the stream's latest earlier signup with the same campaign and channel.
    "INSERT INTO vouchers (voucher_key, signer, voucher_id, scope, voucher_store, gift, "
    "expires_at, campaign, issued_incarnation, issued_seq, issued_at_ms, channel_id, "
    "redemptions, signup_seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 0, "
    "(SELECT s.seq FROM signups s WHERE s.kiosk_id = ?2 AND s.incarnation = ?9 AND s.seq < ?10 "
    "AND s.campaign = ?8 AND s.channel_id IS ?12 ORDER BY s.seq DESC LIMIT 1)) "
    "ON CONFLICT (voucher_key) DO UPDATE SET redeemed_pos = CASE WHEN vouchers.expires_at = "
    "excluded.expires_at THEN vouchers.redeemed_pos ELSE -vouchers.redeemed_pos END, "
    "scope = excluded.scope, expires_at = excluded.expires_at, "
    "voucher_store = excluded.voucher_store, gift = excluded.gift, campaign = excluded.campaign, "
    "issued_incarnation = excluded.issued_incarnation, issued_seq = excluded.issued_seq, "
    "issued_at_ms = excluded.issued_at_ms, channel_id = excluded.channel_id, "
    "signup_seq = excluded.signup_seq WHERE vouchers.issued_seq IS NULL",
    // voucher_stub
    "INSERT INTO vouchers (voucher_key, signer, voucher_id, scope, voucher_store, gift, "
    "expires_at, redemptions) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0) "
    "ON CONFLICT (voucher_key) DO NOTHING",
    // count_redemption
    "UPDATE vouchers SET redemptions = redemptions + 1, "
    "first_kiosk_id = COALESCE(first_kiosk_id, ?2), "
    "first_incarnation = COALESCE(first_incarnation, ?3), first_seq = COALESCE(first_seq, ?4) "
    "WHERE voucher_key = ?1 RETURNING first_kiosk_id, first_incarnation, first_seq",
    // insert_redemption
    "INSERT INTO redemptions (kiosk_id, incarnation, seq, voucher_key, staff, source, "
    "occurred_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    // insert_conflict
    "INSERT INTO voucher_conflicts (voucher_key, first_kiosk_id, first_incarnation, first_seq, "
    "second_kiosk_id, second_incarnation, second_seq, detected_at_ms) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    // update_stream
    "UPDATE streams SET max_seq = ?3, high_water = ?4, last_batch_at_ms = ?5, "
    "journal_last_seq = COALESCE(?6, journal_last_seq), https_not_after_ms = ?7, "
    "client_cert_not_after_ms = ?8 WHERE kiosk_id = ?1 AND incarnation = ?2",
    // delete_gaps
    "DELETE FROM gaps WHERE kiosk_id = ?1 AND incarnation = ?2",
    // insert_gap
    "INSERT INTO gaps (kiosk_id, incarnation, from_seq, to_seq, detected_at_ms) "
    "VALUES (?1, ?2, ?3, ?4, ?5)",
    // select_rejected
    "SELECT seq, reason FROM dead_letters WHERE kiosk_id = ?1 AND incarnation = ?2 "
    "AND seq BETWEEN ?3 AND ?4 ORDER BY seq",
    // record_withdrawal: each profile's latest withdrawal of marketing consent.
    "INSERT INTO consent_withdrawals (profile_key, withdrawn_at_ms) VALUES (?1, ?2) "
    "ON CONFLICT (profile_key) DO UPDATE SET withdrawn_at_ms = "
    "MAX(consent_withdrawals.withdrawn_at_ms, excluded.withdrawn_at_ms)",
    // settle_consent: a withdrawal at or after the latest signup ends marketing consent.
    "UPDATE profiles SET marketing_consent = 0 WHERE profile_key = ?1 AND marketing_consent = 1 "
    "AND EXISTS (SELECT 1 FROM consent_withdrawals w WHERE w.profile_key = ?1 "
    "AND w.withdrawn_at_ms >= profiles.last_signup_at_ms)",
    // select_tombstone
    "SELECT 1 FROM erased_subjects WHERE profile_key = ?1",
    // insert_erased_event
    "INSERT INTO erased_events (kiosk_id, incarnation, seq, erased_at_ms) "
    "VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
    // select_erased_events
    "SELECT seq FROM erased_events WHERE kiosk_id = ?1 AND incarnation = ?2 "
    "AND seq BETWEEN ?3 AND ?4 ORDER BY seq",
    // insert_withdrawal_event
    "INSERT INTO withdrawal_events (kiosk_id, incarnation, seq, profile_key) "
    "VALUES (?1, ?2, ?3, ?4)",
    // number_redeemed: the next ledger position, if the voucher is a redeemed voucher without one
    // or with one handed back (one writer at a time: positions follow commit order). Past every
    // position given, the one handed back included (it may have been the last).
    "UPDATE vouchers SET redeemed_pos = MAX((SELECT COALESCE(MAX(redeemed_pos), 0) FROM vouchers "
    "WHERE redeemed_pos IS NOT NULL), -(SELECT COALESCE(MIN(redeemed_pos), 0) FROM vouchers "
    "WHERE redeemed_pos IS NOT NULL)) + 1 WHERE voucher_key = ?1 AND redemptions > 0 "
    "AND (redeemed_pos IS NULL OR redeemed_pos < 0)",
};

static_assert(std::size(kSql) == 24, "one SQL text per member of Statements, in order");

using sqlite_binding::BindAll;

// IngestTransaction::SettleConsent's storage, inside the caller's transaction.
Result<void> SettleConsentWith(SqliteIngest::Statements& s,
                               std::span<const ConsentWithdrawal> withdrawals,
                               std::span<const std::string* const> profile_keys) {
  for (const ConsentWithdrawal& withdrawal : withdrawals) {
    auto bound = BindAll(s.record_withdrawal, *withdrawal.profile_key, withdrawal.withdrawn_at_ms);
    if (!bound) return bound.error();
    if (auto ran = s.record_withdrawal.Run(); !ran) return ran.error();
  }
  for (const std::string* key : profile_keys) {
    if (auto bound = BindAll(s.settle_consent, *key); !bound) return bound.error();
    if (auto ran = s.settle_consent.Run(); !ran) return ran.error();
  }
  return {};
}

class SqliteIngestTransaction final : public IngestTransaction {
 public:
  SqliteIngestTransaction(SqliteIngest::Statements& statements, Transaction transaction,
                          std::vector<DeviceScan>& device_scans)
      : s_(statements), transaction_(std::move(transaction)), device_scans_(device_scans) {}

  Result<LockedStream> LockStream(const EventBatch& batch,
                                  std::span<const std::string> profile_keys,
                                  std::int64_t now_ms) override {
    // BEGIN IMMEDIATE already holds SQLite's one write lock: nobody else can ingest meanwhile.
    if (auto made = BindAll(s_.create_stream, batch.kiosk_id, batch.incarnation, now_ms); !made) {
      return made.error();
    }
    if (auto made = s_.create_stream.Run(); !made) return made.error();
    StreamState state;
    if (auto bound = BindAll(s_.select_stream, batch.kiosk_id, batch.incarnation); !bound) {
      return bound.error();
    }
    auto row = s_.select_stream.ReadOne(
        [&state](const Statement& stream) { state.max_seq = stream.ColumnInt(0); });
    if (!row) return row.error();
    if (!*row) return Error(ErrorKind::kInternal, "stream row vanished");
    if (auto bound = BindAll(s_.select_gaps, batch.kiosk_id, batch.incarnation); !bound) {
      return bound.error();
    }
    while (true) {
      auto gap = s_.select_gaps.Step();
      if (!gap) return gap.error();
      if (!*gap) break;
      state.gaps.push_back(SeqGap{s_.select_gaps.ColumnInt(0), s_.select_gaps.ColumnInt(1),
                                  s_.select_gaps.ColumnInt(2)});
    }
    LockedStream locked{std::move(state), {}};
    // BEGIN IMMEDIATE holds the write lock: no erasure commits before this transaction ends.
    for (const std::string& key : profile_keys) {
      if (auto bound = BindAll(s_.select_tombstone, key); !bound) return bound.error();
      auto tombstone = s_.select_tombstone.ReadOne([](const Statement&) {});
      if (!tombstone) return tombstone.error();
      if (*tombstone) locked.erased_subjects.push_back(key);
    }
    return locked;
  }

  Result<void> RecordErasedEvents(const EventBatch& batch, std::span<const std::int64_t> seqs,
                                  std::int64_t now_ms) override {
    for (std::int64_t seq : seqs) {
      auto bound = BindAll(s_.insert_erased_event, batch.kiosk_id, batch.incarnation, seq, now_ms);
      if (!bound) return bound.error();
      if (auto ran = s_.insert_erased_event.Run(); !ran) return ran.error();
    }
    return {};
  }

  Result<void> InsertEvents(const EventBatch& batch, std::span<const PreparedEvent* const> accepted,
                            std::int64_t now_ms) override {
    for (const PreparedEvent* prepared : accepted) {
      const WireEvent& e = *prepared->event;
      auto bound =
          BindAll(s_.insert_event, batch.kiosk_id, batch.incarnation, e.seq, e.type,
                  e.occurred_at_ms, e.monotonic_ns, e.boot_id, e.channel_id,
                  std::int64_t{e.payload_version}, prepared->device_id, e.payload_json, now_ms);
      if (!bound) return bound.error();
      if (auto ran = s_.insert_event.Run(); !ran) return ran.error();
      const auto* scan = std::get_if<ScanFacts>(&prepared->facts);
      if (scan != nullptr && prepared->device_id) {
        device_scans_.push_back(DeviceScan{*prepared->device_id, e.seq, e.occurred_at_ms,
                                           e.channel_id, scan->attributable});
      }
    }
    return {};
  }

  Result<void> InsertDeadLetters(const EventBatch& batch,
                                 std::span<const PreparedEvent* const> rejected,
                                 std::int64_t now_ms) override {
    for (const PreparedEvent* prepared : rejected) {
      const WireEvent& e = *prepared->event;
      auto bound = BindAll(s_.insert_dead_letter, batch.kiosk_id, batch.incarnation, e.seq, e.type,
                           e.occurred_at_ms, e.channel_id, std::int64_t{e.payload_version},
                           e.payload_json, *prepared->rejection, now_ms);
      if (!bound) return bound.error();
      if (auto ran = s_.insert_dead_letter.Run(); !ran) return ran.error();
    }
    return {};
  }

  Result<void> MergeProfiles(std::span<const ProfileMerge> merges) override {
    for (const ProfileMerge& merge : merges) {
      const auto& latest = std::get<SignupFacts>(merge.latest->facts);
      const std::int64_t marketing = latest.marketing_consent ? 1 : 0;
      auto bound = BindAll(s_.upsert_profile, *merge.profile_key, latest.name_sealed,
                           latest.phone_sealed, marketing, latest.consent_text_version,
                           merge.first_signup_at_ms, merge.last_signup_at_ms, merge.signups);
      if (!bound) return bound.error();
      if (auto ran = s_.upsert_profile.Run(); !ran) return ran.error();
    }
    return {};
  }

  Result<void> SettleConsent(std::span<const ConsentWithdrawal> withdrawals,
                             std::span<const std::string* const> profile_keys) override {
    return SettleConsentWith(s_, withdrawals, profile_keys);
  }

  Result<void> RecordWithdrawalEvents(const EventBatch& batch,
                                      std::span<const PreparedEvent* const> withdrawn) override {
    for (const PreparedEvent* withdrawal : withdrawn) {
      auto bound = BindAll(s_.insert_withdrawal_event, batch.kiosk_id, batch.incarnation,
                           withdrawal->event->seq,
                           std::get<ConsentWithdrawnFacts>(withdrawal->facts).profile_key);
      if (!bound) return bound.error();
      if (auto ran = s_.insert_withdrawal_event.Run(); !ran) return ran.error();
    }
    return {};
  }

  Result<void> InsertSignups(const EventBatch& batch,
                             std::span<const PreparedEvent* const> signups) override {
    for (const PreparedEvent* signup : signups) {
      const WireEvent& e = *signup->event;
      const auto& facts = std::get<SignupFacts>(signup->facts);
      const std::int64_t marketing = facts.marketing_consent ? 1 : 0;
      auto bound =
          BindAll(s_.insert_signup, batch.kiosk_id, batch.incarnation, e.seq, facts.profile_key,
                  signup->device_id, facts.campaign, e.channel_id, e.occurred_at_ms, marketing);
      if (!bound) return bound.error();
      if (auto ran = s_.insert_signup.Run(); !ran) return ran.error();
    }
    return {};
  }

  Result<void> LinkDevices(const EventBatch& batch, std::span<const DeviceLink> links) override {
    for (const DeviceLink& link : links) {
      auto bound = BindAll(s_.link_device, batch.kiosk_id, *link.device_id, *link.profile_key,
                           link.linked_at_ms);
      if (!bound) return bound.error();
      if (auto ran = s_.link_device.Run(); !ran) return ran.error();
    }
    return {};
  }

  Result<void> RecordVouchersIssued(const EventBatch& batch,
                                    std::span<const PreparedEvent* const> issued) override {
    for (const PreparedEvent* voucher : issued) {
      const WireEvent& e = *voucher->event;
      const auto& facts = std::get<VoucherIssuedFacts>(voucher->facts);
      auto bound =
          BindAll(s_.voucher_issued, facts.voucher_key, batch.kiosk_id, facts.voucher_id,
                  facts.scope, facts.voucher_store, facts.gift, facts.expires_at, facts.campaign,
                  batch.incarnation, e.seq, e.occurred_at_ms, e.channel_id);
      if (!bound) return bound.error();
      if (auto ran = s_.voucher_issued.Run(); !ran) return ran.error();
    }
    return {};
  }

  Result<std::vector<std::optional<EventId>>> RecordRedemptions(
      const EventBatch& batch, std::span<const PreparedEvent* const> redemptions) override {
    std::vector<std::optional<EventId>> firsts;
    for (const PreparedEvent* redemption : redemptions) {
      auto first =
          RecordRedemption(EventId{batch.kiosk_id, batch.incarnation, redemption->event->seq},
                           *redemption, std::get<RedemptionFacts>(redemption->facts));
      if (!first) return first.error();
      firsts.push_back(std::move(*first));
    }
    return firsts;
  }

  Result<void> InsertConflict(const std::string& voucher_key, const EventId& first,
                              const EventId& second, std::int64_t now_ms) override {
    auto bound = BindAll(s_.insert_conflict, voucher_key, first.kiosk_id, first.incarnation,
                         first.seq, second.kiosk_id, second.incarnation, second.seq, now_ms);
    if (!bound) return bound.error();
    return s_.insert_conflict.Run();
  }

  Result<void> SaveStream(const EventBatch& batch, const StreamState& before,
                          const StreamState& after, std::int64_t now_ms) override {
    auto bound = BindAll(s_.update_stream, batch.kiosk_id, batch.incarnation, after.max_seq,
                         HighWater(after), now_ms, batch.journal_last_seq, batch.https_not_after_ms,
                         batch.client_certificate_not_after_ms);
    if (!bound) return bound.error();
    if (auto ran = s_.update_stream.Run(); !ran) return ran.error();
    if (before.gaps == after.gaps) return {};
    bound = BindAll(s_.delete_gaps, batch.kiosk_id, batch.incarnation);
    if (!bound) return bound.error();
    if (auto ran = s_.delete_gaps.Run(); !ran) return ran.error();
    for (const SeqGap& gap : after.gaps) {
      bound = BindAll(s_.insert_gap, batch.kiosk_id, batch.incarnation, gap.from_seq, gap.to_seq,
                      gap.detected_at_ms);
      if (!bound) return bound.error();
      if (auto ran = s_.insert_gap.Run(); !ran) return ran.error();
    }
    return {};
  }

  Result<void> NumberRedeemed(std::span<const std::string_view> voucher_keys) override {
    for (std::string_view key : voucher_keys) {
      auto bound = BindAll(s_.number_redeemed, key);
      if (!bound) return bound.error();
      if (auto ran = s_.number_redeemed.Run(); !ran) return ran.error();
    }
    return {};
  }

  Result<Listing> CommitListingRejected(const EventBatch& batch) override {
    auto bound = BindAll(s_.select_rejected, batch.kiosk_id, batch.incarnation, batch.first_seq,
                         batch.last_seq);
    if (!bound) return bound.error();
    Listing listing;
    while (true) {
      auto row = s_.select_rejected.Step();
      if (!row) return row.error();
      if (!*row) break;
      listing.rejected.push_back(
          RejectedEvent{s_.select_rejected.ColumnInt(0), s_.select_rejected.ColumnText(1)});
    }
    bound = BindAll(s_.select_erased_events, batch.kiosk_id, batch.incarnation, batch.first_seq,
                    batch.last_seq);
    if (!bound) return bound.error();
    while (true) {
      auto row = s_.select_erased_events.Step();
      if (!row) return row.error();
      if (!*row) break;
      listing.erased.push_back(s_.select_erased_events.ColumnInt(0));
    }
    if (auto committed = transaction_.Commit(); !committed) return committed.error();
    return listing;
  }

 private:
  // One redemption: the stub entry if the voucher is unknown, the count, the row.
  Result<std::optional<EventId>> RecordRedemption(const EventId& id, const PreparedEvent& prepared,
                                                  const RedemptionFacts& facts) {
    auto bound = BindAll(s_.voucher_stub, facts.voucher_key, facts.signer, facts.voucher_id,
                         facts.scope, facts.voucher_store, facts.gift, facts.expires_at);
    if (!bound) return bound.error();
    if (auto ran = s_.voucher_stub.Run(); !ran) return ran.error();
    bound = BindAll(s_.count_redemption, facts.voucher_key, id.kiosk_id, id.incarnation, id.seq);
    if (!bound) return bound.error();
    auto row = s_.count_redemption.Step();
    if (!row) return row.error();
    if (!*row) return Error(ErrorKind::kInternal, "voucher ledger row vanished");
    EventId first{s_.count_redemption.ColumnText(0), s_.count_redemption.ColumnText(1),
                  s_.count_redemption.ColumnInt(2)};
    if (auto done = s_.count_redemption.Step(); !done) return done.error();
    bound = BindAll(s_.insert_redemption, id.kiosk_id, id.incarnation, id.seq, facts.voucher_key,
                    facts.staff, facts.source, prepared.event->occurred_at_ms);
    if (!bound) return bound.error();
    if (auto ran = s_.insert_redemption.Run(); !ran) return ran.error();
    if (first == id) return std::optional<EventId>();
    return std::optional<EventId>(std::move(first));
  }

  SqliteIngest::Statements& s_;
  Transaction transaction_;
  std::vector<DeviceScan>& device_scans_;  // the stored scans with a device, for the caller
};

}  // namespace

SqliteIngest::SqliteIngest(Database& db, std::unique_ptr<Statements> statements)
    : db_(&db), statements_(std::move(statements)) {}
SqliteIngest::SqliteIngest(SqliteIngest&&) noexcept = default;
SqliteIngest& SqliteIngest::operator=(SqliteIngest&&) noexcept = default;
SqliteIngest::~SqliteIngest() = default;

Result<SqliteIngest> SqliteIngest::Prepare(Database& db) {
  std::vector<Statement> prepared;
  for (std::string_view sql : kSql) {
    auto statement = db.Prepare(sql);
    if (!statement) return statement.error();
    prepared.push_back(std::move(*statement));
  }
  auto at = prepared.begin();
  const auto next = [&at] { return std::move(*at++); };
  auto statements = std::unique_ptr<Statements>(
      new Statements{next(), next(), next(), next(), next(), next(), next(), next(),
                     next(), next(), next(), next(), next(), next(), next(), next(),
                     next(), next(), next(), next(), next(), next(), next(), next()});
  return SqliteIngest(db, std::move(statements));
}

Result<BatchAnswer> SqliteIngest::Commit(const EventBatch& batch,
                                         std::span<const PreparedEvent> prepared,
                                         std::int64_t now_ms,
                                         std::vector<DeviceScan>& device_scans) {
  auto transaction = Transaction::Begin(*db_);
  if (!transaction) return transaction.error();
  SqliteIngestTransaction writer(*statements_, std::move(*transaction), device_scans);
  return WriteBatch(writer, batch, prepared, now_ms);
}

Result<void> SqliteIngest::WithdrawConsent(const std::string& profile_key,
                                           std::int64_t withdrawn_at_ms) {
  auto transaction = Transaction::Begin(*db_);
  if (!transaction) return transaction.error();
  const ConsentWithdrawal withdrawal{&profile_key, withdrawn_at_ms};
  const std::string* keys[] = {&profile_key};
  if (auto settled = SettleConsentWith(*statements_, std::span(&withdrawal, 1), keys); !settled) {
    return settled.error();
  }
  return transaction->Commit();
}

}  // namespace kiosk_edge
