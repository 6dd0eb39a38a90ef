#pragma once

// profile-store's HTTPS API for kiosks (DESIGN.md section 6):
//   POST /v1/enroll       {"token","csr"} -> {"kiosk_id","certificate","ca","hq_public_key"}:
//                         a one-time token and a CSR for the kiosk's device key, no client
//                         certificate needed; 429 from an address that sent too many tokens
//                         HQ does not know (unknown_credential_limit.hpp)
//   POST /v1/sync/batch   a gzipped batch (client certificate required; its CN must be the
//                         batch's kiosk id, else 403) -> HQ's answer; 429 (Retry-After: 1)
//                         while the same kiosk has another batch being stored, and 429
//                         (Retry-After: until its day ends) once it has sent its events of the
//                         day (StoreServices::kiosk_events)
//   GET  /v1/sync/config  the config bundle, with ETag / If-None-Match (client certificate)
//   POST /v1/sync/certificate  {"csr"} -> {"certificate"}: a new client certificate for the
//                         kiosk's registered device key, renewing the one it connected with
//                         (sync/protocol/certificate_renewal.hpp); 409 when that one is not the
//                         kiosk's current or previous certificate, or the kiosk is revoked
//   GET  /healthz
// Storage calls and batch decoding run on the blocking pool.

#include <boost/asio/thread_pool.hpp>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "common/clock.hpp"
#include "common/http_types.hpp"
#include "common/rate_limiter.hpp"
#include "common/tls_certs.hpp"
#include "sync/profile_store/bundle_maker.hpp"
#include "sync/profile_store/identity.hpp"
#include "sync/profile_store/store_backend.hpp"
#include "sync/profile_store/unknown_credential_limit.hpp"
#include "sync/protocol/config_bundle.hpp"

namespace kiosk_edge {

// Which kiosk certificates are good, in memory for the TLS handshake's revocation check (which
// must not block): as StoreBackend::IsRevoked answers. Refresh() reloads it from the store;
// Enrolled/Renewed update it at once.
class KioskAccess {
 public:
  Result<void> Refresh(StoreBackend& store);
  void Enrolled(const std::string& kiosk_id, const std::string& serial);
  void Renewed(const std::string& kiosk_id, const std::string& serial,
               const std::string& previous_serial);
  // True unless `serial` is the current or previous certificate of a registered kiosk that is
  // not revoked.
  bool IsRevoked(std::string_view kiosk_id, std::uint64_t serial) const;

 private:
  struct GoodSerials {
    std::string current;
    std::string previous;  // empty when none
  };
  mutable std::mutex mutex_;
  std::map<std::string, GoodSerials, std::less<>> good_;  // kiosks not revoked only
};

struct StoreServices {
  StoreBackend* store;
  boost::asio::thread_pool* blocking_pool;
  const CertificateAuthority* ca;
  const HqIdentity* identity;
  KioskAccess* access;
  UnknownCredentialLimit* unknown_credentials;
  // Events each kiosk may send in a day ([server] kiosk_events_per_day): past it, its batches are
  // answered 429 with Retry-After until its day ends. nullptr: no limit.
  RateLimiter* kiosk_events;
  BundleMaker* bundles;
  const Clock* clock;
  std::chrono::days certificate_validity{825};
};

HttpHandler MakeStoreRoutes(StoreServices services);

}  // namespace kiosk_edge
