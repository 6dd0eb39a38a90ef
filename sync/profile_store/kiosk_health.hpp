#pragma once

// The fleet's sync health as HQ sees it, for GET /v1/kiosks/health and the dashboard: one entry
// per kiosk that is enrolled or has ever sent a batch, sorted by kiosk id.
//
// JSON: {"generated_at": "2027-03-03T09:12:44.120Z" (RFC 3339, UTC, ms only when not 0),
//        "kiosks": [{"kiosk_id": "kiosk-a", "enrolled": true, "revoked": false,
//                    "revoked_at": "2027-03-01T10:00:00Z" | null,
//                    "honours_vouchers_received_before": "2027-02-28T18:00:00Z" | null,
//                    "incarnation": "inc-1" | null, "high_water": 21, "max_seq": 21,
//                    "last_sync_at": "2027-03-02T18:00:00Z" | null,
//                    "seconds_since_sync": 3600 | null,
//                    "gaps": [{"from_seq": 4, "to_seq": 6, "detected_at": "..."}],
//                    "missing_events": 3, "dead_letters": 0, "voucher_conflicts": 1,
//                    "backlog": 0 | null,
//                    "events_refused_until": "2027-03-04T08:00:00Z" | null,
//                    "https_certificate_not_after": "2027-05-01T00:00:00Z" | null,
//                    "https_certificate_seconds_left": 5064435 | null,
//                    "client_certificate_not_after": "2029-06-05T10:00:00Z" | null,
//                    "client_certificate_seconds_left": 71282835 | null,
//                    "last_contact_at": "2027-03-03T09:11:02Z" | null,
//                    "seconds_since_contact": 102 | null,
//                    "clock_offset_seconds": -2 | null,
//                    "attention": ["3 events missing", "no contact with HQ for 3 h"]}]}
//
// honours_vouchers_received_before: for a revoked kiosk, the time `profile-store honour-vouchers`
// named: kiosks accept its vouchers whose issue HQ received before it; null: none of them.
//
// events_refused_until: while HQ refuses the kiosk's batches because it sent its events of the
// day ([server] kiosk_events_per_day), until when, as the instance that refused last said; null
// otherwise, and once HQ stored a batch of the kiosk after that refusal (another instance, or
// that one restarted, counts afresh).
//
// clock_offset_seconds: the kiosk's clock minus HQ's at its latest noted config pull (null when
// it never reported its clock), by which it dates events and checks voucher expiry.
//
// last_sync_at is when HQ stored the kiosk's latest batch (HQ's clock). missing_events counts the
// seqs inside the open gaps of the kiosk's current incarnation. backlog: the events the kiosk
// held and had not uploaded as its latest batch left (the journal's newest seq it reported, minus
// high_water); null for kiosks that do not report it. Events captured since that batch, while the
// kiosk cannot reach HQ, are not counted: HQ cannot know of them (kioskctl status on the kiosk
// can). https_certificate_not_after: the end of validity of the certificate the kiosk served
// phones with ([https]) as its latest batch left (null when it reported none);
// client_certificate_not_after: of the client certificate that batch came with (the kiosk renews
// it 60 days before its end, sync/protocol/certificate_renewal.hpp; past its end it can no longer
// sync). Each *_seconds_left counts down to its end
// from generated_at (negative once it has passed), null with it. last_contact_at: the latest of
// its latest batch and its config pulls (to within StoreBackend::kContactResolution); kiosks pull
// every minute while they reach HQ, so a kiosk with nothing to send still shows it is alive.
// attention: why the kiosk needs someone to look at it, for people (KioskAttention); empty when
// nothing does.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "sync/profile_store/store_backend.hpp"

namespace kiosk_edge {

struct KioskHealth {
  std::string kiosk_id;
  bool enrolled = false;  // in HQ's registry (a kiosk may sync from before the registry)
  bool revoked = false;
  std::optional<std::int64_t> revoked_at_ms;
  // Revoked kiosks: its vouchers whose issue HQ received before this are honoured (KioskRecord).
  std::optional<std::int64_t> honour_received_before_ms;
  // The latest refusal of its batches past its events of the day (KioskRecord).
  std::optional<KioskRecord::EventsRefused> events_refused;
  std::int64_t enrolled_at_ms = 0;              // 0 when not enrolled
  std::optional<std::int64_t> last_contact_ms;  // its latest batch or config pull
  // Its clock minus HQ's at its latest noted config pull; nothing when it never reported it.
  std::optional<std::int64_t> clock_offset_ms;
  // The end of its client certificate: of the one HQ issued last (the only one HQ accepts), or,
  // for a kiosk enrolled before HQ kept that, as its latest batch reported.
  std::optional<std::int64_t> client_certificate_not_after_ms;
  std::optional<KioskStatus> stream;  // nothing until the kiosk's first batch
};

// When a kiosk needs attention. [kiosk_health] in profile-store's config.
struct KioskHealthRules {
  // A kiosk that is not revoked and has not reached HQ (nor, if it never has, enrolled) for
  // longer than this is silent: off, cut off from HQ, or stuck.
  std::chrono::minutes silent_after{60};
};

// The registry and the streams of `store`, merged by kiosk id. Blocks on the database; errors are
// the store's.
Result<std::vector<KioskHealth>> ReadKioskHealth(StoreBackend& store);

// Why `kiosk` needs attention at `now_ms`, one reason each, for people: events missing in gaps,
// dead letters, voucher conflicts, and (unless revoked) batches refused past its events of the
// day, silence, a clock kClockOffsetWarning or
// more off HQ's, and a certificate that has ended or ends within kPhonesCertificateWarning /
// kClientCertificateWarning. Empty when none.
std::vector<std::string> KioskAttention(const KioskHealth& kiosk, std::int64_t now_ms,
                                        const KioskHealthRules& rules);

// The JSON above; `now_ms` (HQ's clock) stamps generated_at and the ages.
std::string KioskHealthJson(const std::vector<KioskHealth>& kiosks, std::int64_t now_ms,
                            const KioskHealthRules& rules);

// The same for `profile-store kiosks`: a header line, then one tab-separated line per kiosk:
//   kiosk  registry  honours_vouchers_received_before  last_contact  last_batch  high_water
//   backlog  missing_events  dead_letters  voucher_conflicts  phones_certificate_ends
//   sync_certificate_ends  attention
// registry: enrolled, revoked or "not enrolled"; times as in the JSON, "-" for none; backlog "-"
// when not reported; attention: "ok", or the reasons "; "-joined.
std::string KioskHealthTable(const std::vector<KioskHealth>& kiosks, std::int64_t now_ms,
                             const KioskHealthRules& rules);

}  // namespace kiosk_edge
