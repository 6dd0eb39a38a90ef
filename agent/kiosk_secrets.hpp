#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "common/crypto.hpp"
#include "common/error.hpp"

namespace kiosk_edge {

// Key material a kiosk needs to run offline. Never logged.
//
// Before enrollment every key is local to the kiosk: codes it prints verify only on itself, and
// personal data is sealed for a demo HQ key pair kept beside the journal. With a configured or
// enrolled HQ public key, data is sealed for HQ and no private key is kept on the kiosk. Once HQ's
// config bundle arrives (hq_config_keeper.hpp), HQ's channel keys sign new codes and HQ's sealing
// key replaces hq_public_key; channel_key stays as a verifying-only key.
struct KioskSecrets {
  char channel_key_id = 'A';
  std::string channel_key;      // HMAC key for channel codes (32 bytes)
  std::string presence_key;     // HMAC key for the rotating kiosk-screen code (32 bytes)
  std::string blind_index_key;  // HMAC key for phone-number blind indexes (32 bytes)
  std::string csrf_key;         // HMAC key for signup-form tokens (32 bytes)
  std::string hq_public_key;    // X25519 public key that personal data is sealed for
  bool hq_key_is_demo = false;  // true: the matching private key is in the state folder
  // Ed25519 device key: signs this kiosk's vouchers (and, with sync, identifies it to HQ). Kept
  // as PKCS#8 PEM in `state_dir`/device-key.pem, mode 0600, generated at first start.
  Ed25519KeyPair device_key;
};

// Reads `state_dir`/kiosk-secrets.json and device-key.pem (mode 0600), creating each with fresh
// random keys on first start. `configured_hq_public_key_hex` (64 hex digits) replaces the demo HQ
// key when set.
Result<KioskSecrets> LoadOrCreateKioskSecrets(
    const std::filesystem::path& state_dir,
    const std::optional<std::string>& configured_hq_public_key_hex);

// The demo HQ private key kept by LoadOrCreateKioskSecrets (for the local demo and tests).
Result<std::string> LoadDemoHqPrivateKey(const std::filesystem::path& state_dir);

}  // namespace kiosk_edge
