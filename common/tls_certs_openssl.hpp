#pragma once

// What tls_certs.cpp and tls_certs_read.cpp share of OpenSSL; nothing else includes it.

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <string>
#include <string_view>

#include "common/error.hpp"
#include "common/openssl_ptr.hpp"

namespace kiosk_edge::tls_detail {

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
