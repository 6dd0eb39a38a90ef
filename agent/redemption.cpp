#include "agent/redemption.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "agent/journal_await.hpp"
#include "common/blocking.hpp"
#include "common/json_fields.hpp"
#include "common/log.hpp"
#include "common/strings.hpp"

namespace kiosk_edge {
namespace {

using boost::asio::awaitable;

constexpr std::string_view kSources[] = {"camera", "scanner", "typed", "device"};

std::string RedeemClaim(const Voucher& voucher) {
  return StrCat("redeem:", voucher.kiosk_id, "/", voucher.id);
}

boost::json::object VoucherFields(const Voucher& voucher) {
  return {{"voucher", voucher.id},
          {"signer", voucher.kiosk_id},
          {"voucher_store", voucher.store_id},
          {"scope", ToString(voucher.scope)},
          {"gift", voucher.gift},
          {"expires_at", voucher.expires_at}};
}

// The redemption that holds `claim`, read from the journal (on the blocking pool).
Result<std::optional<PriorRedemption>> FindPrior(Journal& journal, const std::string& claim) {
  auto seq = journal.FindClaim(claim);
  if (!seq) return seq.error();
  if (!*seq) return std::optional<PriorRedemption>();
  PriorRedemption prior;
  prior.seq = **seq;
  auto events = journal.ReadAfter(prior.seq - 1, 1);
  if (!events) return events.error();
  if (!events->empty() && events->front().seq == prior.seq) {
    const JournalEvent& event = events->front();
    prior.at_ms = event.occurred_at_ms;
    prior.kiosk_id = event.kiosk_id;
    boost::system::error_code error;
    const auto payload = boost::json::parse(event.payload_json, error);
    if (!error && payload.is_object()) {
      prior.staff_id = JsonString(payload.as_object(), "staff");
      prior.source = JsonString(payload.as_object(), "source");
    }
  }
  return std::optional<PriorRedemption>(std::move(prior));
}

// Sets `outcome.prior` from this kiosk's journal, when it redeemed the voucher itself.
awaitable<void> FindPriorHere(const RedemptionDesk& desk, RedemptionOutcome& outcome) {
  const auto lookup = [journal = desk.journal, claim = RedeemClaim(*outcome.voucher)] {
    return FindPrior(*journal, claim);
  };
  auto prior = co_await RunBlocking(*desk.blocking_pool, lookup);
  if (prior && *prior) {
    outcome.prior = std::move(**prior);
  } else if (!prior) {
    LogWarning("counter", "cannot read the earlier redemption: ", prior.error().message());
  }
}

// Records a refusal. A refusal that cannot be recorded is still a refusal: log and go on.
awaitable<void> RecordRefusal(const RedemptionDesk& desk, const RedemptionAttempt& attempt,
                              const RedemptionOutcome& outcome) {
  boost::json::object payload =
      outcome.voucher ? VoucherFields(*outcome.voucher) : boost::json::object();
  payload["reason"] = ToString(*outcome.refusal);
  payload["detail"] = outcome.detail;
  payload["source"] = ToString(attempt.source);
  payload["staff"] = attempt.staff_id;
  if (outcome.prior) payload["prior_seq"] = outcome.prior->seq;
  // The scanned text itself is not kept: a stray code may hold anything, personal data included.
  payload["code_length"] = attempt.code.size();
  EventDraft refused{"redemption_refused", std::nullopt, 1, boost::json::serialize(payload), {}};
  auto seq = co_await AppendDurably(*desk.journal, refused);
  if (!seq) LogWarning("counter", "refusal not recorded: ", seq.error().message());
}

}  // namespace

std::string_view ToString(ScanSource source) { return kSources[static_cast<int>(source)]; }

std::optional<ScanSource> ParseScanSource(std::string_view text) {
  for (int i = 0; i < 4; ++i) {
    if (kSources[i] == text) return static_cast<ScanSource>(i);
  }
  return std::nullopt;
}

awaitable<Result<RedemptionOutcome>> Redeem(const RedemptionDesk& desk,
                                            const RedemptionAttempt& attempt) {
  const std::string code = NormalizeScannedCode(attempt.code);
  const std::int64_t now_s =
      std::chrono::duration_cast<std::chrono::seconds>(desk.clock->WallNow().time_since_epoch())
          .count();
  VoucherCheck check = CheckVoucher(code, *desk.trust->Current(), desk.store_id, now_s);
  RedemptionOutcome outcome{check.refusal, std::move(check.voucher), std::nullopt,
                            std::move(check.detail)};
  if (outcome.refusal) {
    // On HQ's list of redeemed vouchers, which holds this kiosk's own redemptions too.
    if (outcome.refusal == VoucherRefusal::kAlreadyRedeemed) co_await FindPriorHere(desk, outcome);
    co_await RecordRefusal(desk, attempt, outcome);
    co_return outcome;
  }

  const Voucher& voucher = *outcome.voucher;
  boost::json::object payload = VoucherFields(voucher);
  payload["source"] = ToString(attempt.source);
  payload["staff"] = attempt.staff_id;
  EventDraft redemption{"redemption", std::nullopt, 1, boost::json::serialize(payload),
                        RedeemClaim(voucher)};
  auto seq = co_await AppendDurably(*desk.journal, redemption);
  if (seq) co_return outcome;
  if (seq.error().kind() != ErrorKind::kConflict) co_return seq.error();

  outcome.refusal = VoucherRefusal::kAlreadyRedeemed;
  co_await FindPriorHere(desk, outcome);
  co_await RecordRefusal(desk, attempt, outcome);
  co_return outcome;
}

}  // namespace kiosk_edge
