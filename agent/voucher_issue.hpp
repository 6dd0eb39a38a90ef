#pragma once

// Issuing the signup gift voucher (DESIGN.md section 2, flow 1).

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <optional>
#include <string>

#include "agent/journal.hpp"
#include "agent/voucher_token.hpp"
#include "common/clock.hpp"

namespace kiosk_edge {

// [vouchers] in the agent's config.
struct VoucherPolicy {
  std::string gift = "Welcome gift";          // what the clerk hands over (1..64 bytes of UTF-8)
  std::chrono::days validity{30};             // from issue to expiry
  VoucherScope scope = VoucherScope::kStore;  // where it may be redeemed
};

struct VoucherIssuer {
  Journal* journal;
  const Clock* clock;
  VoucherPolicy policy;
  std::string kiosk_id;
  std::string store_id;
  std::string device_private_key;  // Ed25519: signs every token this kiosk issues
};

struct IssuedVoucher {
  Voucher voucher;
  std::string token;
};

// Signs a new voucher for the signup that claimed `signup_claim` and records it as a durable
// voucher_issued event (channel and campaign kept for attribution). At most one voucher exists
// per signup: the event claims "voucher-for:<signup_claim>", so a second call fails with
// kConflict and issues nothing. Arguments are references (GCC 12; see journal_await.hpp).
boost::asio::awaitable<Result<IssuedVoucher>> IssueSignupVoucher(
    const VoucherIssuer& issuer, const std::string& signup_claim, const std::string& campaign,
    const std::optional<std::string>& channel_id);

}  // namespace kiosk_edge
