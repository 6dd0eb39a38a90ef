#pragma once

// profile-store's keys and certificates, made at first start in its state folder (all 0600):
//   ca.pem, ca-key.pem          the CA that signs kiosk client certificates (kiosks trust it
//                               for HQ's server certificate too); ECDSA P-256, so that browsers
//                               can open HQ's pages. A CA made before (Ed25519) is kept, since
//                               enrolled kiosks trust it, with a warning at each start.
//   server.pem, server-key.pem  HQ's HTTPS certificate (P-256), for the configured names
//   hq-keys.json                HQ's X25519 private key (opens what kiosks seal) and its
//                               blind-index key
//   channel-keys.json           the fleet's channel-code keys (hq_channel_keys.hpp)
// Keys are never logged.

#include <filesystem>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/error.hpp"
#include "common/tls_certs.hpp"
#include "sync/profile_store/hq_channel_keys.hpp"

namespace kiosk_edge {

struct HqState {
  CertificateAuthority ca;
  std::string server_certificate_pem;
  std::string server_private_key_pem;
  std::string pii_private_key;  // X25519, 32 bytes
  std::string pii_public_key;   // what kiosks seal for
  std::string index_key;        // 32 bytes
  // As at start; a running server re-reads them for every bundle (rotation is another process).
  HqChannelKeys channel_keys;
};

// Reads the files above, creating the missing ones (`clock` dates new channel keys). The server
// certificate is made anew when `server_names` changed since it was made.
Result<HqState> LoadOrCreateHqState(const std::filesystem::path& state_dir,
                                    const std::vector<std::string>& server_names,
                                    const Clock& clock = SystemClock());

}  // namespace kiosk_edge
