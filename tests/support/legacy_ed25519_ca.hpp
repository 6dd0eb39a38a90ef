#pragma once

// A kiosk CA as profile-store made them before they were ECDSA P-256 (tls_certs.hpp): an Ed25519
// key and its self-signed certificate (CN "kiosk-edge HQ CA", CA:TRUE pathlen 0, keyCertSign and
// cRLSign, valid 2026-01-01 to 2125-12-31). Made once with `openssl ca -selfsign`; test data only.

#include <string_view>

namespace kiosk_edge::testing {

inline constexpr std::string_view kLegacyEd25519CaKeyPem = R"(-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIEgH8Ko5tW1pN3CauUGoHA6EAieyh6hDS3x9p3DKufuM
-----END PRIVATE KEY-----
)";

inline constexpr std::string_view kLegacyEd25519CaCertPem = R"(-----BEGIN CERTIFICATE-----
MIIBMjCB5aADAgECAggfLj1MW2p5iDAFBgMrZXAwGzEZMBcGA1UEAwwQa2lvc2st
ZWRnZSBIUSBDQTAgFw0yNjAxMDEwMDAwMDBaGA8yMTI1MTIzMTAwMDAwMFowGzEZ
MBcGA1UEAwwQa2lvc2stZWRnZSBIUSBDQTAqMAUGAytlcAMhAIMk84aZ3l0k0SoJ
/fhzFQ/O3MgAk9pM0Vr22aY0Z6xlo0UwQzASBgNVHRMBAf8ECDAGAQH/AgEAMA4G
A1UdDwEB/wQEAwIBBjAdBgNVHQ4EFgQUV5jrcrU/b8B+UWucFQ0xVohrOBcwBQYD
K2VwA0EAMEhXBuiQ/7OdmvzQJN0e+YTOqf5fAs47oowK4SYyd5toI4HP6P8eC4bc
/YfW/Sd412NXNI7Va8lH0iqD80SMCw==
-----END CERTIFICATE-----
)";

}  // namespace kiosk_edge::testing
