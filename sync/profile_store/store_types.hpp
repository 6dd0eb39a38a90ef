#pragma once

// What profile-store's storage answers with. Plain values; no backend types.

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sync/protocol/config_bundle.hpp"

namespace kiosk_edge {

// An event's identity everywhere (DESIGN.md section 4).
struct EventId {
  std::string kiosk_id;
  std::string incarnation;
  std::int64_t seq = 0;

  friend bool operator==(const EventId&, const EventId&) = default;
};

// Seqs from_seq..to_seq (inclusive) of one kiosk incarnation that HQ has not received although
// it holds later ones. Detected when a batch starts past the stored high-water mark + 1; shrinks
// or disappears when the missing events arrive.
// One page of the redeemed vouchers (StoreBackend::RedeemedVouchersAfter).
struct RedeemedPage {
  RedeemedVouchers vouchers;    // `since` unset; `more` when the ledger goes past its `through`
  RedeemedPosition ledger_end;  // the ledger's highest position and the voucher there

  friend bool operator==(const RedeemedPage&, const RedeemedPage&) = default;
};

// RedeemedVouchersAfter's `max_positions` for every position there is: one page.
inline constexpr std::int64_t kWholeLedger = std::numeric_limits<std::int64_t>::max();

// The last position of a page of `max_positions` after `after` (>= 0), without overflow.
inline std::int64_t PositionsEnd(std::int64_t after, std::int64_t max_positions) {
  return max_positions > kWholeLedger - after ? kWholeLedger : after + max_positions;
}

struct SeqGap {
  std::int64_t from_seq = 0;
  std::int64_t to_seq = 0;
  std::int64_t detected_at_ms = 0;

  friend bool operator==(const SeqGap&, const SeqGap&) = default;
};

// One kiosk as HQ sees it, for the server's status page and the tests.
struct KioskStatus {
  std::string kiosk_id;
  std::string incarnation;  // the incarnation that sent the latest batch
  // Of that incarnation: every seq 1..high_water is stored (as an event or a dead letter).
  std::int64_t high_water = 0;
  std::int64_t max_seq = 0;  // the highest seq stored for it; > high_water only with gaps
  std::int64_t last_batch_at_ms = 0;
  std::vector<SeqGap> gaps;       // that incarnation's open gaps, lowest first
  std::int64_t dead_letters = 0;  // this kiosk's rejected events, every incarnation
  std::int64_t conflicts = 0;     // voucher conflicts with a redemption at this kiosk
  // The newest seq in the kiosk's journal as its latest batch left (kJournalLastSeqHeader);
  // nothing from kiosks that do not send it.
  std::optional<std::int64_t> journal_last_seq;
  // The end of validity (Unix ms) of the certificate the kiosk served phones with as its latest
  // batch left (kHttpsNotAfterHeader); nothing when it reported none.
  std::optional<std::int64_t> https_not_after_ms;
  // The end of validity (Unix ms) of the client certificate its latest batch came with.
  std::optional<std::int64_t> client_certificate_not_after_ms;
};

struct StoreCounts {
  std::int64_t events = 0;  // stored events (dead letters not included)
  std::map<std::string, std::int64_t> events_by_type;
  std::int64_t dead_letters = 0;
  std::int64_t profiles = 0;
  std::int64_t signups = 0;
  std::int64_t redemptions = 0;
  std::int64_t conflicts = 0;
};

// A voucher redeemed more than once: `first` holds the ledger entry, `second` redeemed it again
// (another kiosk, or the same one after its journal was recreated). Both redemptions are kept.
struct VoucherConflict {
  std::string voucher_key;  // "<signer kiosk>/<voucher id>"
  EventId first;
  EventId second;
  std::int64_t detected_at_ms = 0;
};

struct DeadLetter {
  EventId event;
  std::string type;
  std::string reason;
  std::int64_t received_at_ms = 0;
};

// A shopper as HQ knows them. Personal data stays sealed (never in this struct).
struct ProfileSummary {
  std::string profile_key;  // HQ's blind index of the phone: the HQ subject id
  std::int64_t signups = 0;
  std::vector<std::string> kiosks;  // where they signed up, sorted
  std::int64_t first_signup_at_ms = 0;
  std::int64_t last_signup_at_ms = 0;
  bool marketing_consent = false;  // as given at the latest signup
  std::int64_t linked_devices = 0;
  // Scans, at any time, from the devices its signups came from: the earlier scans of the phone
  // that later signed up.
  std::int64_t linked_scans = 0;
};

// A kiosk's enrollment, kept by HQ's registry.
struct KioskRecord {
  std::string kiosk_id;
  std::string cert_serial;  // of its current client certificate (as the CA wrote it)
  // Of the certificate its current one renewed, still accepted until it ends (the kiosk may not
  // have received the renewal's answer); empty when none: enrolling clears it.
  std::string previous_cert_serial;
  std::string device_public_key;  // Ed25519, 32 raw bytes; empty when not given
  std::int64_t enrolled_at_ms = 0;
  bool revoked = false;
  std::optional<std::int64_t> revoked_at_ms;
  // Revoked kiosks only: kiosks keep accepting its vouchers whose issue HQ received before this
  // (HQ's clock, Unix ms; StoreBackend::HonourVouchersOf); nothing: none of them.
  std::optional<std::int64_t> honour_received_before_ms;
  // The latest refusal of its batches past its events of the day, by any instance
  // (StoreBackend::NoteEventsRefused); nothing: never.
  struct EventsRefused {
    std::int64_t at_ms = 0;
    std::int64_t until_ms = 0;  // what that instance said
  };
  std::optional<EventsRefused> events_refused;
  // When it last pulled the config bundle (StoreBackend::NoteContact); nothing before the first.
  std::optional<std::int64_t> last_contact_ms;
  // Its clock minus HQ's at that contact, as the pull reported it (kKioskClockHeader); nothing
  // when it never did.
  std::optional<std::int64_t> clock_offset_ms;
  // The end of validity (Unix ms) of its current client certificate; nothing for a kiosk enrolled
  // before HQ kept it.
  std::optional<std::int64_t> cert_not_after_ms;
};

}  // namespace kiosk_edge
