#pragma once

// What HQ makes of each event of a batch before storing it: accepted with the facts the derived
// tables need (profiles, device links, the voucher ledger), or rejected with a reason for the
// dead-letter table. Pure and backend independent; runs outside the storage transaction (it opens
// sealed phones, which costs CPU).
//
// Rules (a rejection never blocks the rest of the batch):
// - the payload must be a JSON object without NUL characters (HQ's databases cannot store one);
// - known types must have a known payload version (all version 1 today): scan, signup,
//   voucher_issued, redemption, redemption_refused, channel_defined, channel_retired,
//   consent_withdrawn. Other types are stored as they are, for forward compatibility;
// - scan: "code" ("channel" or "presence") and "valid" (bool); "device" links it to a device;
// - signup: "phone" sealed for HQ that opens to an E.164 number, "name" sealed ("S1."),
//   "campaign" (1-64 bytes), "consent" {"service": bool, "marketing": bool,
//   "text_version": string}; "device" (optional) links the device to the profile;
// - voucher_issued: "voucher" (16 hex), "scope" ("store"/"fleet"), "expires_at" (Unix s),
//   "campaign", "gift", "voucher_store"; the signer is the sending kiosk;
// - redemption: "voucher", "signer" (kiosk id), "scope", "expires_at", "voucher_store",
//   "gift"; "staff" and "source" as given;
// - consent_withdrawn: "phone" sealed for HQ that opens to an E.164 number (as in signup) and
//   "purpose": "marketing"; the shopper's marketing consent ends at its occurred_at.

#include <boost/asio/thread_pool.hpp>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "sync/profile_store/identity.hpp"
#include "sync/protocol/batch.hpp"

namespace kiosk_edge {

// What the attribution report counts of a scan (PostgreSQL stores both as events.scan_flags).
struct ScanFacts {
  bool attributable = false;       // "valid": true, with a channel
  bool verified_presence = false;  // "code": "presence" with "presence": "verified"
};

struct SignupFacts {
  std::string profile_key;  // HQ's blind index of the opened phone
  std::string name_sealed;  // as the kiosk sealed them: personal data stays encrypted at rest
  std::string phone_sealed;
  std::string campaign;
  bool marketing_consent = false;
  std::string consent_text_version;
};

struct VoucherIssuedFacts {
  std::string voucher_key;  // "<signer kiosk>/<voucher id>"
  std::string voucher_id;
  std::string scope;  // "store" or "fleet"
  std::string voucher_store;
  std::string campaign;
  std::string gift;
  std::int64_t expires_at = 0;  // Unix s
};

struct RedemptionFacts {
  std::string voucher_key;
  std::string signer;
  std::string voucher_id;
  std::string scope;
  std::string voucher_store;
  std::string gift;
  std::int64_t expires_at = 0;
  std::string staff;
  std::string source;
};

// The shopper (profile key) who withdrew marketing consent; the time is the event's occurred_at.
struct ConsentWithdrawnFacts {
  std::string profile_key;
};

struct PreparedEvent {
  const WireEvent* event = nullptr;      // into the batch it was prepared from
  std::optional<std::string> rejection;  // set: goes to the dead-letter table with this reason
  std::optional<std::string> device_id;  // the first-party device of a scan or signup
  std::variant<std::monostate, ScanFacts, SignupFacts, VoucherIssuedFacts, RedemptionFacts,
               ConsentWithdrawnFacts>
      facts;
};

// One PreparedEvent per event of `batch`, in the same order. `batch` must outlive the result.
// With `helpers`, a free thread of that pool prepares part of the events (ForEachIndex); the
// result is the same either way.
std::vector<PreparedEvent> PrepareEvents(const EventBatch& batch, const HqIdentity& identity,
                                         boost::asio::thread_pool* helpers = nullptr);

}  // namespace kiosk_edge
