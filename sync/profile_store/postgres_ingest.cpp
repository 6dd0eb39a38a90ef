// PostgresSession: setup, and the ingest transaction in PostgreSQL's SQL.

#include <utility>

#include "common/crypto.hpp"
#include "common/strings.hpp"
#include "sync/profile_store/ingest_transaction.hpp"
#include "sync/profile_store/postgres_session.hpp"

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
    // Sealed contact and consent follow the latest signup by occurred_at.
    {"upsert_profile",
     "INSERT INTO profiles AS p (profile_key, name_sealed, phone_sealed, marketing_consent, "
     "consent_text_version, first_signup_at_ms, last_signup_at_ms, signups) "
     "VALUES ($1, $2, $3, $4, $5, $6, $6, 1) ON CONFLICT (profile_key) DO UPDATE SET "
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
     "signups = p.signups + 1"},
    {"insert_signup",
     "INSERT INTO signups (kiosk_id, incarnation, seq, profile_key, device_id, campaign, "
     "channel_id, occurred_at_ms, marketing_consent) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"},
    {"link_device",
     "INSERT INTO device_links AS d (kiosk_id, device_id, profile_key, linked_at_ms) "
     "VALUES ($1, $2, $3, $4) ON CONFLICT (kiosk_id, device_id, profile_key) DO UPDATE SET "
     "linked_at_ms = LEAST(d.linked_at_ms, excluded.linked_at_ms)"},
    {"voucher_issued",
     "INSERT INTO vouchers AS v (voucher_key, signer, voucher_id, scope, voucher_store, gift, "
     "expires_at, campaign, issued_incarnation, issued_seq, issued_at_ms, channel_id, "
     "redemptions) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 0) "
     "ON CONFLICT (voucher_key) DO UPDATE SET campaign = excluded.campaign, "
     "issued_incarnation = excluded.issued_incarnation, issued_seq = excluded.issued_seq, "
     "issued_at_ms = excluded.issued_at_ms, channel_id = excluded.channel_id "
     "WHERE v.issued_seq IS NULL"},
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
    {"insert_redemption",
     "INSERT INTO redemptions (kiosk_id, incarnation, seq, voucher_key, staff, source, "
     "occurred_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)"},
    {"insert_conflict",
     "INSERT INTO voucher_conflicts (voucher_key, first_kiosk_id, first_incarnation, first_seq, "
     "second_kiosk_id, second_incarnation, second_seq, detected_at_ms) "
     "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"},
    {"update_stream",
     "UPDATE streams SET max_seq = $3, high_water = $4, last_batch_at_ms = $5 "
     "WHERE kiosk_id = $1 AND incarnation = $2"},
    {"delete_gaps", "DELETE FROM gaps WHERE kiosk_id = $1 AND incarnation = $2"},
    {"insert_gap",
     "INSERT INTO gaps (kiosk_id, incarnation, from_seq, to_seq, detected_at_ms) "
     "VALUES ($1, $2, $3, $4, $5)"},
    {"select_rejected",
     "SELECT seq, reason FROM dead_letters WHERE kiosk_id = $1 AND incarnation = $2 "
     "AND seq BETWEEN $3 AND $4 ORDER BY seq"},
};

constexpr std::string_view kCopyEvents =
    "COPY events (kiosk_id, incarnation, seq, type, occurred_at_ms, monotonic_ns, boot_id, "
    "channel_id, payload_version, device_id, payload, received_at_ms) FROM STDIN";

class PgIngestTransaction final : public IngestTransaction {
 public:
  explicit PgIngestTransaction(PgConnection& connection) : c_(connection) {}
  PgIngestTransaction(const PgIngestTransaction&) = delete;
  PgIngestTransaction& operator=(const PgIngestTransaction&) = delete;
  ~PgIngestTransaction() override {
    if (open_ && !c_.Broken()) (void)c_.Exec("ROLLBACK");
  }

  Result<void> Begin() {
    if (auto begun = c_.Exec("BEGIN"); !begun) return begun.error();
    open_ = true;
    return {};
  }

  Result<StreamState> LockStream(const EventBatch& batch, std::int64_t now_ms) override {
    const PgParams key = Params(batch.kiosk_id, batch.incarnation);
    if (auto made = c_.Run("create_stream", Params(batch.kiosk_id, batch.incarnation, now_ms));
        !made) {
      return made.error();
    }
    auto row = c_.Run("lock_stream", key);
    if (!row) return row.error();
    if (row->rows() != 1) return Error(ErrorKind::kInternal, "stream row vanished");
    StreamState state;
    state.max_seq = row->Int(0, 0);
    auto gaps = c_.Run("select_gaps", key);
    if (!gaps) return gaps.error();
    for (int i = 0; i < gaps->rows(); ++i) {
      state.gaps.push_back(SeqGap{gaps->Int(i, 0), gaps->Int(i, 1), gaps->Int(i, 2)});
    }
    return state;
  }

  Result<void> InsertEvents(const EventBatch& batch, std::span<const PreparedEvent* const> accepted,
                            std::int64_t now_ms) override {
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
      auto stored =
          c_.Run("insert_dead_letter",
                 Params(batch.kiosk_id, batch.incarnation, e.seq, e.type, e.occurred_at_ms,
                        e.channel_id, e.payload_version, StrCat("\\x", HexEncode(e.payload_json)),
                        *prepared->rejection, now_ms));
      if (!stored) return stored.error();
    }
    return {};
  }

  Result<void> RecordSignup(const EventId& id, const PreparedEvent& prepared,
                            const SignupFacts& facts) override {
    const WireEvent& e = *prepared.event;
    auto profile = c_.Run("upsert_profile", Params(facts.profile_key, facts.name_sealed,
                                                   facts.phone_sealed, facts.marketing_consent,
                                                   facts.consent_text_version, e.occurred_at_ms));
    if (!profile) return profile.error();
    auto signup =
        c_.Run("insert_signup",
               Params(id.kiosk_id, id.incarnation, id.seq, facts.profile_key, prepared.device_id,
                      facts.campaign, e.channel_id, e.occurred_at_ms, facts.marketing_consent));
    if (!signup) return signup.error();
    if (!prepared.device_id) return {};
    auto link = c_.Run("link_device", Params(id.kiosk_id, *prepared.device_id, facts.profile_key,
                                             e.occurred_at_ms));
    if (!link) return link.error();
    return {};
  }

  Result<void> RecordVoucherIssued(const EventId& id, const PreparedEvent& prepared,
                                   const VoucherIssuedFacts& facts) override {
    const WireEvent& e = *prepared.event;
    auto issued = c_.Run("voucher_issued",
                         Params(facts.voucher_key, id.kiosk_id, facts.voucher_id, facts.scope,
                                facts.voucher_store, facts.gift, facts.expires_at, facts.campaign,
                                id.incarnation, id.seq, e.occurred_at_ms, e.channel_id));
    if (!issued) return issued.error();
    return {};
  }

  Result<std::optional<EventId>> RecordRedemption(const EventId& id, const PreparedEvent& prepared,
                                                  const RedemptionFacts& facts) override {
    auto stub = c_.Run("voucher_stub",
                       Params(facts.voucher_key, facts.signer, facts.voucher_id, facts.scope,
                              facts.voucher_store, facts.gift, facts.expires_at));
    if (!stub) return stub.error();
    auto counted =
        c_.Run("count_redemption", Params(facts.voucher_key, id.kiosk_id, id.incarnation, id.seq));
    if (!counted) return counted.error();
    if (counted->rows() != 1) return Error(ErrorKind::kInternal, "voucher ledger row vanished");
    EventId first{counted->Text(0, 0), counted->Text(0, 1), counted->Int(0, 2)};
    auto stored = c_.Run("insert_redemption",
                         Params(id.kiosk_id, id.incarnation, id.seq, facts.voucher_key, facts.staff,
                                facts.source, prepared.event->occurred_at_ms));
    if (!stored) return stored.error();
    if (first == id) return std::optional<EventId>();
    return std::optional<EventId>(std::move(first));
  }

  Result<void> InsertConflict(const std::string& voucher_key, const EventId& first,
                              const EventId& second, std::int64_t now_ms) override {
    auto stored =
        c_.Run("insert_conflict", Params(voucher_key, first.kiosk_id, first.incarnation, first.seq,
                                         second.kiosk_id, second.incarnation, second.seq, now_ms));
    if (!stored) return stored.error();
    return {};
  }

  Result<void> SaveStream(const EventBatch& batch, const StreamState& before,
                          const StreamState& after, std::int64_t now_ms) override {
    auto updated = c_.Run("update_stream", Params(batch.kiosk_id, batch.incarnation, after.max_seq,
                                                  HighWater(after), now_ms));
    if (!updated) return updated.error();
    if (before.gaps == after.gaps) return {};
    auto deleted = c_.Run("delete_gaps", Params(batch.kiosk_id, batch.incarnation));
    if (!deleted) return deleted.error();
    for (const SeqGap& gap : after.gaps) {
      auto inserted = c_.Run("insert_gap", Params(batch.kiosk_id, batch.incarnation, gap.from_seq,
                                                  gap.to_seq, gap.detected_at_ms));
      if (!inserted) return inserted.error();
    }
    return {};
  }

  Result<std::vector<RejectedEvent>> RejectedInBatch(const EventBatch& batch) override {
    auto rows = c_.Run("select_rejected",
                       Params(batch.kiosk_id, batch.incarnation, batch.first_seq, batch.last_seq));
    if (!rows) return rows.error();
    std::vector<RejectedEvent> rejected;
    for (int i = 0; i < rows->rows(); ++i) {
      rejected.push_back(RejectedEvent{rows->Int(i, 0), rows->Text(i, 1)});
    }
    return rejected;
  }

  Result<void> Commit() override {
    open_ = false;
    return c_.Exec("COMMIT");
  }

 private:
  PgConnection& c_;
  bool open_ = false;
};

}  // namespace

Result<std::unique_ptr<PostgresSession>> PostgresSession::Connect(const std::string& conninfo,
                                                                  const std::string& schema) {
  auto connection = PgConnection::Connect(conninfo);
  if (!connection) return connection.error();
  std::unique_ptr<PostgresSession> session(new PostgresSession(std::move(*connection), schema));
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
  if (!connection_.Broken()) return {};
  if (auto reset = connection_.Reset(); !reset) return reset.error();
  return Setup();
}

Result<BatchAnswer> PostgresSession::Ingest(const EventBatch& batch,
                                            std::span<const PreparedEvent> prepared,
                                            std::int64_t now_ms) {
  constexpr int kAttempts = 5;
  for (int attempt = 1;; ++attempt) {
    PgIngestTransaction transaction(connection_);  // rolls back unless committed
    Result<BatchAnswer> answer = [&]() -> Result<BatchAnswer> {
      if (auto begun = transaction.Begin(); !begun) return begun.error();
      return WriteBatch(transaction, batch, prepared, now_ms);
    }();
    if (answer || attempt == kAttempts || !IsRetryable(connection_.last_sqlstate())) {
      return answer;
    }
  }
}

}  // namespace kiosk_edge
