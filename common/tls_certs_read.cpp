// Reading X.509 certificates (see tls_certs.hpp), with OpenSSL 3.0.
#include <arpa/inet.h>
#include <openssl/err.h>

#include <chrono>
#include <ctime>
#include <string>

#include "common/strings.hpp"
#include "common/tls_certs.hpp"
#include "common/tls_certs_openssl.hpp"

namespace kiosk_edge {

using namespace tls_detail;

namespace {

Result<std::chrono::system_clock::time_point> ToTimePoint(const ASN1_TIME* time,
                                                          std::string_view what) {
  std::tm parts{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &parts) != 1) {
    OpenSslReason();
    return Invalid(StrCat("certificate: unreadable ", what));
  }
  return std::chrono::system_clock::from_time_t(timegm(&parts));
}

std::string IpAddressText(const ASN1_OCTET_STRING* octets) {
  char text[INET6_ADDRSTRLEN] = {};
  const int length = ASN1_STRING_length(octets);
  const unsigned char* data = ASN1_STRING_get0_data(octets);
  if (length == 4 && inet_ntop(AF_INET, data, text, sizeof text)) return text;
  if (length == 16 && inet_ntop(AF_INET6, data, text, sizeof text)) return text;
  return "(malformed IP address)";
}

Result<CertificateInfo> Describe(X509* cert) {
  CertificateInfo info;
  auto subject = SingleCommonName(X509_get_subject_name(cert), "certificate subject");
  if (!subject) return subject.error();
  info.common_name = std::move(*subject);
  auto issuer = SingleCommonName(X509_get_issuer_name(cert), "certificate issuer");
  if (!issuer) return issuer.error();
  info.issuer_common_name = std::move(*issuer);
  if (ASN1_INTEGER_get_uint64(&info.serial, X509_get0_serialNumber(cert)) != 1) {
    OpenSslReason();
    return Invalid("certificate: the serial number is negative or longer than 64 bits");
  }
  auto not_before = ToTimePoint(X509_get0_notBefore(cert), "notBefore");
  if (!not_before) return not_before.error();
  auto not_after = ToTimePoint(X509_get0_notAfter(cert), "notAfter");
  if (!not_after) return not_after.error();
  info.not_before = *not_before;
  info.not_after = *not_after;
  const std::uint32_t flags = X509_get_extension_flags(cert);
  if (flags & EXFLAG_INVALID) {
    OpenSslReason();
    return Invalid("certificate: malformed extensions");
  }
  info.is_ca = (flags & EXFLAG_CA) != 0;
  const char* key_type = EVP_PKEY_get0_type_name(X509_get0_pubkey(cert));
  info.key_type = key_type ? key_type : "unknown";
  if (flags & EXFLAG_XKUSAGE) {
    const std::uint32_t usage = X509_get_extended_key_usage(cert);
    info.client_auth = (usage & XKU_SSL_CLIENT) != 0;
    info.server_auth = (usage & XKU_SSL_SERVER) != 0;
  }
  OpenSslPtr<GENERAL_NAMES> names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    int type = 0;
    const void* value = GENERAL_NAME_get0_value(name, &type);
    if (type == GEN_DNS) {
      const auto* dns = static_cast<const ASN1_IA5STRING*>(value);
      info.subject_alt_names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns)),
                                          static_cast<std::size_t>(ASN1_STRING_length(dns)));
    } else if (type == GEN_IPADD) {
      info.subject_alt_names.push_back(IpAddressText(static_cast<const ASN1_OCTET_STRING*>(value)));
    }
  }
  ERR_clear_error();
  return info;
}

}  // namespace

Result<CertificateInfo> ReadCertificate(std::string_view cert_pem) {
  auto cert = LoadCertificate(cert_pem, "certificate");
  if (!cert) return cert.error();
  return Describe(cert->get());
}

Result<std::chrono::system_clock::time_point> CertificateNotAfter(std::string_view cert_pem) {
  auto cert = LoadCertificate(cert_pem, "certificate");
  if (!cert) return cert.error();
  return ToTimePoint(X509_get0_notAfter(cert->get()), "notAfter");
}

Result<CertificateInfo> ReadCertificateDer(std::string_view cert_der) {
  if (cert_der.empty() || cert_der.size() > kMaxCertificatePemBytes) {
    return Invalid(StrCat("certificate: empty or over ", kMaxCertificatePemBytes, " bytes"));
  }
  const auto* cursor = reinterpret_cast<const unsigned char*>(cert_der.data());
  OpenSslPtr<X509> cert(d2i_X509(nullptr, &cursor, static_cast<long>(cert_der.size())));
  if (!cert) {
    const std::string reason = OpenSslReason();
    return Invalid(StrCat("certificate: malformed DER (", reason, ")"));
  }
  if (cursor != reinterpret_cast<const unsigned char*>(cert_der.data()) + cert_der.size()) {
    return Invalid("certificate: bytes after the DER certificate");
  }
  return Describe(cert.get());
}

}  // namespace kiosk_edge
