#pragma once

// A kiosk's enrollment with HQ (`kioskctl enroll`), kept in its state folder (all 0600):
//   hq.json             {"url": "https://hq.example.com:8443", "hq_public_key": "<hex>"}
//   hq-ca.pem           HQ's CA: verifies HQ's server certificate
//   hq-client-cert.pem  this kiosk's client certificate, for its device key (device-key.pem)
// kiosk-agent syncs with HQ when these files exist.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "common/error.hpp"

namespace kiosk_edge {

struct HqEnrollment {
  std::filesystem::path state_dir;  // where the files above are
  std::string url;                  // https://HOST:PORT
  std::string host;                 // from url
  std::uint16_t port = 443;
  std::string hq_public_key;  // X25519, 32 bytes: what personal data is sealed for
  std::string ca_pem;
  std::string client_certificate_pem;
  std::string device_key_pem;  // key material
};

// kInvalidArgument unless `url` is https://HOST[:PORT] with nothing after it.
Result<HqEnrollment> ParseHqUrl(std::string_view url);

// The kiosk's enrollment, or nullopt when it has not enrolled (no hq.json).
Result<std::optional<HqEnrollment>> LoadHqEnrollment(const std::filesystem::path& state_dir);

// `kioskctl enroll`: makes a CSR for the device key (creating the kiosk's keys on a new kiosk),
// sends it with `token` to HQ over HTTPS (HQ verified against `ca_pem`), and keeps the answer.
// Returns the kiosk id. Blocks while it talks to HQ.
// `configured_kiosk_id`: [kiosk] id from the agent's config, or empty (the generated id).
Result<std::string> EnrollWithHq(const std::filesystem::path& state_dir,
                                 const std::string& configured_kiosk_id, std::string_view url,
                                 std::string_view token, const std::string& ca_pem);

}  // namespace kiosk_edge
