#pragma once

// Redeeming a voucher at the counter (DESIGN.md section 2, flow 3; section 5): checked offline
// against the trust list, then recorded exactly once. The redemption event claims
// "redeem:<kiosk id>/<voucher id>" in the journal, so of any number of counters scanning the same
// voucher at the same moment exactly one commits; the others learn who did. Every refusal is
// recorded too, as a redemption_refused event.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "agent/journal.hpp"
#include "agent/voucher_check.hpp"
#include "common/clock.hpp"

namespace kiosk_edge {

// What redemption needs from the running agent. Everything outlives the calls.
struct RedemptionDesk {
  Journal* journal;
  TrustStore* trust;
  boost::asio::thread_pool* blocking_pool;  // journal reads
  const Clock* clock;
  std::string store_id;  // the store this counter is in
};

// How the code reached the counter.
enum class ScanSource { kCamera, kScanner, kTyped, kDevice };
std::string_view ToString(ScanSource source);  // "camera", "scanner", "typed", "device"
std::optional<ScanSource> ParseScanSource(std::string_view text);

struct RedemptionAttempt {
  std::string code;  // as scanned or typed; normalised here (NormalizeScannedCode)
  ScanSource source = ScanSource::kTyped;
  std::string staff_id;  // the logged-in clerk
};

// Who redeemed a voucher first, as far as this kiosk's journal still tells.
struct PriorRedemption {
  std::int64_t seq = 0;
  std::optional<std::int64_t> at_ms;  // unset when the event was shed after sync
  std::string kiosk_id, staff_id, source;
};

struct RedemptionOutcome {
  std::optional<VoucherRefusal> refusal;  // nullopt: redeemed, and the event is durable
  std::optional<Voucher> voucher;         // set whenever the voucher is genuine
  std::optional<PriorRedemption> prior;   // for kAlreadyRedeemed
  std::string detail;
  bool redeemed() const { return !refusal; }
};

// Checks and records one attempt. An error means the outcome could not be made durable (journal
// full, disk failure): the clerk must not hand over the gift, and may try again.
// `attempt` is taken by reference (GCC 12 and temporaries in co_await; see journal_await.hpp).
boost::asio::awaitable<Result<RedemptionOutcome>> Redeem(const RedemptionDesk& desk,
                                                         const RedemptionAttempt& attempt);

}  // namespace kiosk_edge
