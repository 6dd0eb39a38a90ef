#pragma once

// How HQ keys a shopper's profile (DESIGN.md section 7). Kiosks seal the phone number for HQ
// (common/pii_seal.hpp) and each keeps a blind index of it under its own key, which cannot match
// across kiosks. HQ opens the sealed phone in memory only, and keys the profile by its own blind
// index: HMAC-SHA256 of the E.164 number under HQ's index key, never a plain hash (the space of
// mobile numbers is small enough to enumerate). The profile key is also the HQ subject id that
// erasure requests name. Nothing here stores or logs the number.

#include <string>
#include <string_view>

#include "common/error.hpp"
#include "common/pii_seal.hpp"

namespace kiosk_edge {

// The seal context kiosks use for the signup's phone (agent/shopper_signup.cpp).
inline constexpr std::string_view kSignupPhoneContext = "signup.phone";
inline constexpr std::string_view kSignupNameContext = "signup.name";

class HqIdentity {
 public:
  // `pii_private_key`: HQ's X25519 private key (32 bytes), whose public half kiosks seal for.
  // `index_key`: HQ's blind-index key, at least 32 bytes. Both are secrets: never log them.
  static Result<HqIdentity> Create(std::string pii_private_key, std::string index_key);

  HqIdentity(HqIdentity&&) noexcept = default;
  HqIdentity& operator=(HqIdentity&&) noexcept = default;
  HqIdentity(const HqIdentity&) = delete;
  HqIdentity& operator=(const HqIdentity&) = delete;

  // The profile key of an E.164 number ("+8613812345678"): 52 characters of [A-Z2-7].
  std::string ProfileKey(std::string_view e164) const;
  // Opens a sealed phone ("S1.", context "signup.phone") and returns its profile key; the number
  // itself is wiped before returning. Thread-safe: concurrent ingests call it at once.
  // kInvalidArgument when it does not open under HQ's key or is not an E.164 number (+, then 7-15
  // digits, the first not 0).
  Result<std::string> ProfileKeyOfSealedPhone(std::string_view sealed_phone) const;

  // Opens a value a kiosk sealed for HQ under `context` (kSignupPhoneContext, kSignupNameContext):
  // personal data in plaintext, for an export the shopper consented to. The caller keeps it in
  // memory only and never logs it. Errors as SealedOpener::Open's.
  Result<std::string> OpenSealed(std::string_view sealed, std::string_view context) const {
    return opener_.Open(sealed, context);
  }

  // X25519 public key (32 bytes): what the config bundle tells kiosks to seal for.
  const std::string& public_key() const { return opener_.public_key(); }

 private:
  HqIdentity(SealedOpener opener, BlindIndexer indexer)
      : opener_(std::move(opener)), indexer_(std::move(indexer)) {}

  SealedOpener opener_;  // holds the private key, loaded once
  BlindIndexer indexer_;
};

// True for "+" and 7-15 digits, the first not 0.
bool IsE164(std::string_view text);

}  // namespace kiosk_edge
