#pragma once

// Renewing a kiosk's client certificate (DESIGN.md section 6), before it ends, over the mutual-TLS
// connection it authenticates, so that no one has to enroll the kiosk again:
//   POST kCertificateRenewalPath  {"csr": "<PEM>"}  ->  200 {"certificate": "<PEM>"}
// The CSR is for the kiosk's registered device key and names the kiosk. HQ keeps accepting the
// certificate renewed until it ends: a kiosk that lost the answer asks again with it.

#include <chrono>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace kiosk_edge {

inline constexpr std::string_view kCertificateRenewalPath = "/v1/sync/certificate";

// How long before its end a client certificate is renewed: well before kClientCertificateWarning
// (30 days, common/tls_certs.hpp), so that a kiosk asks for attention only once renewal has
// failed for a month.
inline constexpr std::chrono::days kClientCertificateRenewal{60};

// When a certificate valid over [not_before, not_after] is due for renewal:
// kClientCertificateRenewal before its end, or with a third of its lifetime left when that is
// later (short-lived certificates renew once per two thirds of a lifetime, never in a loop).
std::chrono::system_clock::time_point CertificateRenewalDue(
    std::chrono::system_clock::time_point not_before,
    std::chrono::system_clock::time_point not_after);

// The request and the answer. Decoders are strict: kInvalidArgument names what is wrong (not
// JSON, a member missing, too long or unknown); they do not parse the PEM inside.
std::string EncodeRenewalRequest(std::string_view csr_pem);
Result<std::string> DecodeRenewalRequest(std::string_view body);
std::string EncodeRenewalAnswer(std::string_view certificate_pem);
Result<std::string> DecodeRenewalAnswer(std::string_view body);

}  // namespace kiosk_edge
