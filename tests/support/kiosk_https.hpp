#pragma once

// A kiosk-agent [https] listener for tests: a store CA, a certificate for 127.0.0.1 it issued,
// and the config lines that serve it.

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "common/files.hpp"
#include "common/tls_certs.hpp"
#include "support/temp_dir.hpp"

namespace kiosk_edge::testing {

// Writes a certificate for 127.0.0.1, valid for `valid` from now, to `dir` as kiosk.pem and
// kiosk-key.pem; answers the CA's certificate (what the test's "phone" trusts). kioskctl status
// asks for attention within 14 days of the end.
inline std::string WriteKioskCertificate(const TempDir& dir,
                                         std::chrono::days valid = std::chrono::days(2)) {
  const CertificateAuthority ca = *CreateCertificateAuthority("store CA", valid);
  const std::string key = *NewCertificateKeyPem();
  const std::string cert = *IssueServerCertificate(ca, key, {"127.0.0.1"}, valid);
  EXPECT_TRUE(WriteFileAtomically(dir / "kiosk.pem", cert, 0600));
  EXPECT_TRUE(WriteFileAtomically(dir / "kiosk-key.pem", key, 0600));
  return ca.cert_pem;
}

// The [https] section serving WriteKioskCertificate's files on a free loopback port.
inline std::string HttpsConfig(const TempDir& dir) {
  return "[https]\ncertificate = \"" + (dir / "kiosk.pem").string() + "\"\nprivate_key = \"" +
         (dir / "kiosk-key.pem").string() + "\"\nlisten_address = \"127.0.0.1\"\nport = 0\n";
}

}  // namespace kiosk_edge::testing
