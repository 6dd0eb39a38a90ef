#pragma once

// Deciding offline whether a scanned voucher may be redeemed here (DESIGN.md section 5), short of
// the "already redeemed" check, which the journal's claim makes atomic (see redemption.hpp).

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "agent/voucher_token.hpp"
#include "sync/protocol/honoured_vouchers.hpp"

namespace kiosk_edge {

// Which kiosks may sign vouchers, and what has been revoked. This kiosk's own key until sync
// brings HQ's list (issue 5).
struct TrustList {
  std::map<std::string, std::string, std::less<>> kiosk_keys;  // kiosk id -> Ed25519 public key
  std::set<std::string, std::less<>> revoked_kiosks;    // their vouchers are refused (stolen kiosk)
  std::set<std::string, std::less<>> revoked_vouchers;  // "<kiosk id>/<voucher id>"
  // Revoked kiosk id -> its vouchers that HQ still honours (ConfigBundle::honoured_vouchers):
  // checked with that kiosk's device key, and accepted as if it were trusted when the token's
  // content has the digest HQ sent.
  std::map<std::string, HonouredVouchers> honoured;
  // Vouchers HQ knows were redeemed (at any kiosk, of either scope), same form: refused here as
  // already redeemed. What slips through while offline HQ reports as a conflict.
  std::set<std::string, std::less<>> redeemed_elsewhere;
};

// Why a voucher is refused, in the order the checks run.
enum class VoucherRefusal {
  kNotAVoucher,      // not a well-formed token, or its signature does not verify (forged)
  kUnknownSigner,    // well formed, but signed in the name of a kiosk not on the trust list
  kRevoked,          // the signing kiosk (unless HQ honours this voucher) or this voucher was
                     // revoked
  kExpired,          // now >= expires_at
  kWrongStore,       // store-scoped and issued by another store
  kAlreadyRedeemed,  // HQ's redeemed set; otherwise the journal claim decides
};
// "not_a_voucher", "unknown_signer", "revoked", "expired", "wrong_store", "already_redeemed":
// the reason as recorded in redemption_refused events.
std::string_view ToString(VoucherRefusal refusal);

struct VoucherCheck {
  std::optional<Voucher> voucher;         // set whenever the token was well formed
  std::optional<VoucherRefusal> refusal;  // nullopt: genuine and redeemable here
  std::string detail;                     // why, for the record ("truncated", "bad signature")
};

// Checks `token` (exactly as given: trim and upper-case scanner input first) against `trust`,
// for a counter in `this_store` at `now_unix_s`. Pure; thread-safe.
VoucherCheck CheckVoucher(std::string_view token, const TrustList& trust,
                          std::string_view this_store, std::int64_t now_unix_s);

// The trust list in force, replaced whole when sync brings a new one. Thread-safe.
class TrustStore {
 public:
  explicit TrustStore(TrustList initial)
      : current_(std::make_shared<const TrustList>(std::move(initial))) {}
  std::shared_ptr<const TrustList> Current() const {
    std::lock_guard lock(mutex_);
    return current_;
  }
  void Replace(TrustList next) {
    auto replacement = std::make_shared<const TrustList>(std::move(next));
    std::lock_guard lock(mutex_);
    current_ = std::move(replacement);
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const TrustList> current_;
};

// The scanner's text as a token: surrounding whitespace (a keyboard-wedge scanner ends with
// Enter or Tab) removed and letters upper-cased (a scanner typing with Caps Lock on).
std::string NormalizeScannedCode(std::string_view text);

}  // namespace kiosk_edge
