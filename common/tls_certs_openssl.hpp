#pragma once

// What tls_certs.cpp and tls_certs_read.cpp share of OpenSSL; nothing else includes it.

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace kiosk_edge::tls_detail {

struct OpenSslFree {
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(X509_REQ* p) const { X509_REQ_free(p); }
  void operator()(X509_NAME* p) const { X509_NAME_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
  void operator()(GENERAL_NAMES* p) const { GENERAL_NAMES_free(p); }
  void operator()(GENERAL_NAME* p) const { GENERAL_NAME_free(p); }
  // ASN1_OCTET_STRING and ASN1_IA5STRING are both ASN1_STRING.
  void operator()(ASN1_STRING* p) const { ASN1_STRING_free(p); }
};
template <class T>
using OpenSslPtr = std::unique_ptr<T, OpenSslFree>;

Error Invalid(std::string message);
// OpenSSL's reason for the latest failure, and an empty error queue afterwards, so that a later
// TLS operation on this thread does not mistake the stale entries for its own failure.
std::string OpenSslReason();
// kInternal: OpenSSL failed doing `what` on good input.
Error Internal(std::string_view what);
// The first certificate of a PEM text of at most kMaxCertificatePemBytes; `what` names it in
// errors.
Result<OpenSslPtr<X509>> LoadCertificate(std::string_view pem, std::string_view what);
// The only CN in `name`: empty when there is none, an error when there are several.
Result<std::string> SingleCommonName(const X509_NAME* name, std::string_view what);

}  // namespace kiosk_edge::tls_detail
