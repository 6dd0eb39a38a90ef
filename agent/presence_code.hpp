#pragma once

// Presence codes (DESIGN.md section 5): the code on the kiosk's own screen, the URL
// `BASE/K/<token>`, rotates every step (30 s by default). A scan of a fresh code shows the shopper
// stood at this kiosk just now; a stale, photographed, forged or foreign code is still a scan, but
// recorded as "presence unverified".
//
//   token = KIOSK "." STEP "." MAC
//   KIOSK = the kiosk id upper-cased: 1..64 of [A-Z0-9-]
//   STEP  = floor(unix_time / step_seconds), in decimal without leading zeros
//   MAC   = Base32(first 10 bytes of HMAC-SHA256(secret, "kiosk-edge presence v1\0" KIOSK "."
//   STEP))
//
// Like channel tokens, the URL is upper case so its QR code can use alphanumeric mode.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace kiosk_edge {

inline constexpr std::size_t kMaxKioskIdLength = 64;
inline constexpr std::size_t kMinPresenceSecretSize = 32;
inline constexpr std::chrono::seconds kDefaultPresenceStep{30};

// What a scanned presence token says. Every token gets a verdict: the scan is recorded either way.
struct PresenceVerdict {
  // The token has the grammar above. When false, nothing below is meaningful.
  bool well_formed = false;
  // The MAC verifies under this kiosk's presence secret for the kiosk and step the token names.
  bool mac_valid = false;
  // mac_valid, the token names this kiosk, and its step is the current one or the one before
  // (the code was on screen at most one step ago; the phone may take a few seconds to open it).
  bool fresh = false;
  // The kiosk the token claims to come from (upper case) and its step, whenever well_formed.
  // Unverified unless mac_valid: record them as claims.
  std::string kiosk_id_upper;
  std::int64_t step = 0;
};

// Issues and checks the presence codes of one kiosk. Immutable after Create; thread-safe.
class PresenceCodec {
 public:
  // `kiosk_id`: 1..64 of [a-z0-9-] (upper case accepted too); `secret`: at least 32 bytes of key
  // material, never logged; `step`: 1 s .. 1 day. kInvalidArgument otherwise.
  static Result<PresenceCodec> Create(std::string_view kiosk_id, std::string secret,
                                      std::chrono::seconds step = kDefaultPresenceStep);

  // The token to show on screen at `now`. kInvalidArgument for a time before 1970 (a kiosk clock
  // that broken cannot vouch for anything).
  Result<std::string> Issue(std::chrono::system_clock::time_point now) const;

  // Judges a scanned token at `now`. Never fails: malformed input gives well_formed = false.
  // Lower-case input is accepted by upper-casing it first (some phones lower-case URLs).
  PresenceVerdict Check(std::string_view token, std::chrono::system_clock::time_point now) const;

  // When the code shown at `now` is replaced: the start of the next step.
  std::chrono::system_clock::time_point NextRotation(
      std::chrono::system_clock::time_point now) const;

  // floor(unix_time(now) / step), rounding down before 1970 too.
  std::int64_t StepAt(std::chrono::system_clock::time_point now) const;

  const std::string& kiosk_id_upper() const { return kiosk_id_upper_; }
  std::chrono::seconds step() const { return step_; }

 private:
  PresenceCodec(std::string kiosk_id_upper, std::string secret, std::chrono::seconds step)
      : kiosk_id_upper_(std::move(kiosk_id_upper)), secret_(std::move(secret)), step_(step) {}

  std::string Mac(std::string_view kiosk_upper, std::string_view step_text) const;

  std::string kiosk_id_upper_;
  std::string secret_;
  std::chrono::seconds step_;
};

}  // namespace kiosk_edge
