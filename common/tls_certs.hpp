#pragma once

// X.509 certificates for mutual TLS between kiosks and profile-store: a certificate authority,
// certificate signing requests (CSRs) made with a kiosk's device key, client certificates whose
// subject CN is the kiosk id, and profile-store's own server certificate. The OpenSSL adapter is
// tls_certs.cpp; nothing here exposes an OpenSSL type.
//
// Contracts shared by every function here:
// - Certificates, CSRs and keys travel as PEM text. Private-key PEM is key material: keep it in
//   0600 files and never log it. Encrypted (passphrase) keys are refused, never prompted for.
// - Common names are 1..64 printable ASCII characters (0x20..0x7e), the X.509 upper bound; a
//   kiosk id fits. Anything else is refused with kInvalidArgument before it reaches a
//   certificate, so that names in error messages and logs are always printable.
// - Issued certificates are valid from one hour before the moment of issue (a kiosk's clock may
//   lag HQ's) until `validity` after it, and are signed with SHA-256 (or, for an Ed25519 or Ed448
//   CA key, with that key's own scheme: CAs made before they were P-256 still sign).
// - Errors: kInvalidArgument for input that is malformed, too large, fails a check or does not
//   match what the caller expects (the message says which); kInternal when OpenSSL fails on good
//   input. Messages never contain key material.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace kiosk_edge {

// Input size limits: ReadCsr refuses a CSR PEM longer than kMaxCsrPemBytes (an Ed25519 CSR is
// about 400 bytes; a server can use this as the enrollment body limit), ReadCertificate a
// certificate PEM longer than kMaxCertificatePemBytes.
inline constexpr std::size_t kMaxCsrPemBytes = 16 * 1024;
inline constexpr std::size_t kMaxCertificatePemBytes = 64 * 1024;
inline constexpr std::size_t kMaxCommonNameLength = 64;

// A certificate authority: its self-signed certificate and its private key (PKCS#8 PEM).
struct CertificateAuthority {
  std::string cert_pem;
  std::string key_pem;  // key material
};

// What a verified CSR asks for.
struct CsrInfo {
  std::string common_name;
  std::string public_key_pem;  // SubjectPublicKeyInfo ("-----BEGIN PUBLIC KEY-----")
  std::string key_type;        // OpenSSL's name for the key type: "ED25519", "EC", "RSA", ...
  // The raw 32-byte public key when key_type is "ED25519" (the same bytes as Ed25519PublicKey()
  // of the device key, e.g. for the fleet's voucher trust list); empty otherwise.
  std::string ed25519_public_key;
};

// What a certificate says. The subject and issuer have at most one CN each (ReadCertificate
// refuses certificates with more, whose identity would be ambiguous).
struct CertificateInfo {
  std::string common_name;         // subject CN; empty when the subject has none
  std::string issuer_common_name;  // issuer CN; empty when the issuer has none
  std::uint64_t serial = 0;
  std::chrono::system_clock::time_point not_before;
  std::chrono::system_clock::time_point not_after;
  bool is_ca = false;        // basicConstraints CA:TRUE
  bool client_auth = false;  // extendedKeyUsage includes TLS client authentication
  bool server_auth = false;  // extendedKeyUsage includes TLS server authentication
  // DNS names and IP addresses from subjectAltName, in order ("localhost", "127.0.0.1").
  std::vector<std::string> subject_alt_names;
  std::string key_type;  // the subject key's type, OpenSSL's name: "EC", "ED25519", "RSA", ...
};

// A fresh ECDSA P-256 private key (PKCS#8 PEM; key material) for a CA or a server certificate:
// the key type every TLS stack and browser accepts. Browsers refuse Ed25519 in TLS, so HQ's
// dashboard could not be opened on an Ed25519 chain; kiosks' device keys stay Ed25519 (their
// client certificates are seen by profile-store's OpenSSL only).
Result<std::string> NewCertificateKeyPem();

// A new CA: a fresh P-256 key (NewCertificateKeyPem) and a self-signed certificate with
// CN = `common_name`, basicConstraints CA:TRUE (critical, path length 0: it signs only end-entity
// certificates), keyUsage keyCertSign and cRLSign (critical), and a random 63-bit serial.
// `validity` is 1..36500 days.
Result<CertificateAuthority> CreateCertificateAuthority(std::string_view common_name,
                                                        std::chrono::days validity);

// A CSR (PEM, "-----BEGIN CERTIFICATE REQUEST-----") with subject CN = `common_name` and the
// public key of `private_key_pem` (PKCS#8 PEM such as Ed25519PrivateKeyToPem's), signed by that
// key, which proves that the requester holds it. The key never leaves the caller.
Result<std::string> CreateCsr(std::string_view private_key_pem, std::string_view common_name);

// True when `name` is 1..kMaxCommonNameLength printable ASCII characters (0x20..0x7e): the
// common names this module writes and the only ones a TLS peer identity may have.
bool IsValidCommonName(std::string_view name);

// Parses a CSR PEM of at most kMaxCsrPemBytes (exactly one PEM block, nothing but whitespace
// around it) and checks its self-signature. Refuses, with a message that says which: oversized
// input, anything that is not a CSR, a bad signature, a subject without exactly one CN, and a CN
// that is not 1..64 printable ASCII characters.
Result<CsrInfo> ReadCsr(std::string_view csr_pem);

// A client certificate for the holder of the key in `csr_pem`, signed by `ca`: subject CN =
// `expected_common_name` (nothing else of the CSR's subject and none of its extensions is
// copied), issuer = the CA's subject, serial `serial` (1..2^63-1: positive, as RFC 5280 wants),
// basicConstraints CA:FALSE, keyUsage digitalSignature, extendedKeyUsage clientAuth, subject and
// authority key identifiers. `validity` is 1..36500 days. The CSR is checked as ReadCsr does, and
// refused with kInvalidArgument when its CN is not `expected_common_name` (the enrollment token's
// kiosk id); also refused: a CA whose key does not match its certificate.
Result<std::string> SignClientCertificate(const CertificateAuthority& ca, std::string_view csr_pem,
                                          std::string_view expected_common_name,
                                          std::uint64_t serial, std::chrono::days validity);

// A server certificate for the key in `private_key_pem`, signed by `ca`: subjectAltName holds
// each of `dns_names_and_ips` (an entry that parses as an IPv4 or IPv6 address is an IP address,
// anything else must be a DNS name of letters, digits, '-' and '.', optionally starting with
// "*."), subject CN = the first entry (none when it is longer than 64 characters; clients check
// subjectAltName), extendedKeyUsage serverAuth, keyUsage digitalSignature,
// CA:FALSE, a random 63-bit serial. At least one name; `validity` is 1..36500 days.
Result<std::string> IssueServerCertificate(const CertificateAuthority& ca,
                                           std::string_view private_key_pem,
                                           std::vector<std::string> dns_names_and_ips,
                                           std::chrono::days validity);

// What the first certificate in `cert_pem` (at most kMaxCertificatePemBytes; further PEM blocks,
// such as the rest of a chain, are ignored) says. Does not verify anything: a TLS handshake or a
// caller comparing with its CA does that. Refuses a serial that is negative or over 64 bits and a
// subject or issuer with more than one CN.
Result<CertificateInfo> ReadCertificate(std::string_view cert_pem);

// As ReadCertificate, for one DER-encoded certificate (what a TLS stack hands over).
Result<CertificateInfo> ReadCertificateDer(std::string_view cert_der);

// When the first certificate in `cert_pem` (as ReadCertificate reads it) stops being valid, for
// any certificate: also one from a public CA, whose serial is usually longer than 64 bits.
Result<std::chrono::system_clock::time_point> CertificateNotAfter(std::string_view cert_pem);

// How long before a kiosk's certificates end kioskctl status and HQ's kiosk health ask for
// attention: the one it serves phones with ([https], renewed by the retailer) and the client
// certificate it syncs with (renewed through HQ 60 days before its end,
// sync/protocol/certificate_renewal.hpp: a warning means renewal has failed for a month).
inline constexpr std::chrono::days kPhonesCertificateWarning{14};
inline constexpr std::chrono::days kClientCertificateWarning{30};

}  // namespace kiosk_edge
