// The OpenSSL 3.0 adapter for X.509 certificates and CSRs (see tls_certs.hpp): making them;
// reading certificates is tls_certs_read.cpp.
#include "common/tls_certs.hpp"

#include <openssl/asn1.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cctype>
#include <climits>
#include <memory>
#include <utility>

#include "common/crypto.hpp"
#include "common/strings.hpp"
#include "common/tls_certs_openssl.hpp"

namespace kiosk_edge {

namespace tls_detail {

Error Invalid(std::string message) {
  return Error(ErrorKind::kInvalidArgument, std::move(message));
}

std::string OpenSslReason() {
  unsigned long last = 0;
  while (unsigned long code = ERR_get_error()) last = code;
  ERR_clear_error();
  if (last == 0) return "unknown OpenSSL error";
  const char* reason = ERR_reason_error_string(last);
  return reason ? std::string(reason) : StrCat("OpenSSL error ", last);
}

Error Internal(std::string_view what) {
  return Error(ErrorKind::kInternal, StrCat(what, ": ", OpenSslReason()));
}

// Never prompts: an encrypted PEM gets an empty passphrase and fails to load.
int NoPassphrase(char*, int, int, void*) { return 0; }

OpenSslPtr<BIO> ReadOnlyBio(std::string_view text) {
  return OpenSslPtr<BIO>(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

Result<OpenSslPtr<X509>> LoadCertificate(std::string_view pem, std::string_view what) {
  if (pem.empty() || pem.size() > kMaxCertificatePemBytes) {
    return Invalid(StrCat(what, ": empty or over ", kMaxCertificatePemBytes, " bytes"));
  }
  OpenSslPtr<BIO> bio = ReadOnlyBio(pem);
  if (!bio) return Internal(what);
  OpenSslPtr<X509> cert(PEM_read_bio_X509(bio.get(), nullptr, NoPassphrase, nullptr));
  if (!cert) {
    const std::string reason = OpenSslReason();
    return Invalid(StrCat(what, " is not a PEM certificate (", reason, ")"));
  }
  return cert;
}

Result<std::string> SingleCommonName(const X509_NAME* name, std::string_view what) {
  const int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (index < 0) return std::string();
  if (X509_NAME_get_index_by_NID(name, NID_commonName, index) >= 0) {
    return Invalid(StrCat(what, " has more than one common name"));
  }
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  unsigned char* utf8 = nullptr;
  const int length = ASN1_STRING_to_UTF8(&utf8, data);
  if (length < 0) {
    const std::string reason = OpenSslReason();
    return Invalid(StrCat(what, " has an unreadable common name (", reason, ")"));
  }
  std::string out(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(length));
  OPENSSL_free(utf8);
  return out;
}

}  // namespace tls_detail

using namespace tls_detail;

namespace {

constexpr long kBackdateSeconds = 3600;  // tolerate a kiosk clock an hour behind HQ's
constexpr std::chrono::days kMaxValidity{36500};
constexpr std::size_t kMaxKeyPemBytes = 64 * 1024;
constexpr std::size_t kMaxDnsNameLength = 253;
constexpr std::string_view kCsrHeader = "-----BEGIN CERTIFICATE REQUEST-----";
constexpr std::string_view kNewCsrHeader = "-----BEGIN NEW CERTIFICATE REQUEST-----";

std::string_view TrimWhitespace(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

Result<OpenSslPtr<EVP_PKEY>> LoadPrivateKey(std::string_view pem, std::string_view what) {
  if (pem.empty() || pem.size() > kMaxKeyPemBytes) {
    return Invalid(StrCat(what, ": empty or over ", kMaxKeyPemBytes, " bytes"));
  }
  OpenSslPtr<BIO> bio = ReadOnlyBio(pem);
  if (!bio) return Internal(what);
  OpenSslPtr<EVP_PKEY> key(PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
  if (!key) {
    const std::string reason = OpenSslReason();
    return Invalid(StrCat(what, " is not an unencrypted PEM private key (", reason, ")"));
  }
  return key;
}

// Ed25519 and Ed448 sign the message itself; other keys sign a SHA-256 digest.
const EVP_MD* SigningDigest(EVP_PKEY* key) {
  return EVP_PKEY_is_a(key, "ED25519") || EVP_PKEY_is_a(key, "ED448") ? nullptr : EVP_sha256();
}

Result<void> CheckCommonName(std::string_view name, std::string_view what) {
  if (!IsValidCommonName(name)) {
    return Invalid(
        StrCat(what, " must be 1..", kMaxCommonNameLength, " printable ASCII characters"));
  }
  return {};
}

Result<void> CheckValidity(std::chrono::days validity) {
  if (validity.count() < 1 || validity > kMaxValidity) {
    return Invalid(StrCat("certificate validity must be 1..", kMaxValidity.count(), " days"));
  }
  return {};
}

Result<OpenSslPtr<X509_NAME>> NameWithCommonName(std::string_view common_name) {
  OpenSslPtr<X509_NAME> name(X509_NAME_new());
  if (!name ||
      X509_NAME_add_entry_by_NID(name.get(), NID_commonName, MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(common_name.data()),
                                 static_cast<int>(common_name.size()), -1, 0) != 1) {
    return Internal("X.509 name");
  }
  return name;
}

Result<std::uint64_t> RandomSerial() {
  auto bytes = RandomBytes(8);
  if (!bytes) return bytes.error();
  std::uint64_t serial = 0;
  for (char c : *bytes) serial = (serial << 8) | static_cast<unsigned char>(c);
  serial &= 0x7fff'ffff'ffff'ffffULL;  // positive in ASN.1, and fits a signed 64-bit column
  return serial == 0 ? 1 : serial;
}

// A new v3 certificate with the given serial, names, key and validity, without extensions.
Result<OpenSslPtr<X509>> NewCertificate(std::uint64_t serial, const X509_NAME* issuer,
                                        const X509_NAME* subject, EVP_PKEY* public_key,
                                        std::chrono::days validity) {
  OpenSslPtr<X509> cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1 ||
      ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert.get()), serial) != 1 ||
      X509_set_issuer_name(cert.get(), issuer) != 1 ||
      X509_set_subject_name(cert.get(), subject) != 1 ||
      X509_set_pubkey(cert.get(), public_key) != 1 ||
      X509_gmtime_adj(X509_getm_notBefore(cert.get()), -kBackdateSeconds) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()),
                      static_cast<long>(validity.count()) * 24 * 3600) == nullptr) {
    return Internal("new certificate");
  }
  return cert;
}

// Adds one extension given in OpenSSL's configuration syntax. `value` is always a constant of
// this file, never caller input (which could smuggle in further extension options).
Result<void> AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX context;
  X509V3_set_ctx(&context, issuer, cert, nullptr, nullptr, 0);
  OpenSslPtr<X509_EXTENSION> extension(X509V3_EXT_nconf_nid(nullptr, &context, nid, value));
  if (!extension || X509_add_ext(cert, extension.get(), -1) != 1) {
    return Internal(StrCat("certificate extension ", OBJ_nid2sn(nid)));
  }
  return {};
}

Result<void> AddExtensions(X509* cert, X509* issuer,
                           std::initializer_list<std::pair<int, const char*>> extensions) {
  for (const auto& [nid, value] : extensions) {
    if (auto added = AddExtension(cert, issuer, nid, value); !added) return added;
  }
  return {};
}

Result<std::string> SignAndEncode(X509* cert, EVP_PKEY* signer) {
  if (X509_sign(cert, signer, SigningDigest(signer)) <= 0) return Internal("sign certificate");
  OpenSslPtr<BIO> out(BIO_new(BIO_s_mem()));
  if (!out || PEM_write_bio_X509(out.get(), cert) != 1) return Internal("encode certificate");
  char* data = nullptr;
  const long length = BIO_get_mem_data(out.get(), &data);
  return std::string(data, static_cast<std::size_t>(length));
}

// The CA's certificate and key, checked to belong together and to be a CA.
struct LoadedCa {
  OpenSslPtr<X509> cert;
  OpenSslPtr<EVP_PKEY> key;
};
Result<LoadedCa> LoadCa(const CertificateAuthority& ca) {
  auto cert = LoadCertificate(ca.cert_pem, "CA certificate");
  if (!cert) return cert.error();
  auto key = LoadPrivateKey(ca.key_pem, "CA key");
  if (!key) return key.error();
  if (X509_check_private_key(cert->get(), key->get()) != 1) {
    OpenSslReason();
    return Invalid("the CA key does not belong to the CA certificate");
  }
  if ((X509_get_extension_flags(cert->get()) & EXFLAG_CA) == 0) {
    return Invalid("the CA certificate is not a CA (basicConstraints CA:TRUE missing)");
  }
  return LoadedCa{std::move(*cert), std::move(*key)};
}

struct ParsedCsr {
  OpenSslPtr<X509_REQ> request;
  CsrInfo info;
};

Result<ParsedCsr> ParseCsr(std::string_view csr_pem) {
  if (csr_pem.size() > kMaxCsrPemBytes) {
    return Invalid(StrCat("CSR: over ", kMaxCsrPemBytes, " bytes"));
  }
  const std::string_view trimmed = TrimWhitespace(csr_pem);
  if (!trimmed.starts_with(kCsrHeader) && !trimmed.starts_with(kNewCsrHeader)) {
    return Invalid("CSR: not a PEM certificate request (\"" + std::string(kCsrHeader) +
                   "\" expected)");
  }
  OpenSslPtr<BIO> bio = ReadOnlyBio(trimmed);
  if (!bio) return Internal("CSR");
  OpenSslPtr<X509_REQ> request(PEM_read_bio_X509_REQ(bio.get(), nullptr, NoPassphrase, nullptr));
  if (!request) {
    const std::string reason = OpenSslReason();
    return Invalid(StrCat("CSR: malformed (", reason, ")"));
  }
  char* rest = nullptr;
  const long rest_length = BIO_get_mem_data(bio.get(), &rest);
  if (!TrimWhitespace(std::string_view(rest, static_cast<std::size_t>(rest_length))).empty()) {
    return Invalid("CSR: text after the certificate request");
  }
  EVP_PKEY* key = X509_REQ_get0_pubkey(request.get());
  if (key == nullptr) {
    const std::string reason = OpenSslReason();
    return Invalid(StrCat("CSR: unusable public key (", reason, ")"));
  }
  if (X509_REQ_verify(request.get(), key) != 1) {
    OpenSslReason();
    return Invalid("CSR: the signature does not verify with the request's own key");
  }
  auto common_name = SingleCommonName(X509_REQ_get_subject_name(request.get()), "CSR subject");
  if (!common_name) return common_name.error();
  if (auto checked = CheckCommonName(*common_name, "CSR common name"); !checked) {
    return checked.error();
  }

  ParsedCsr out;
  out.info.common_name = std::move(*common_name);
  const char* type = EVP_PKEY_get0_type_name(key);
  out.info.key_type = type ? type : "unknown";
  OpenSslPtr<BIO> pem(BIO_new(BIO_s_mem()));
  if (!pem || PEM_write_bio_PUBKEY(pem.get(), key) != 1) return Internal("CSR public key");
  char* data = nullptr;
  const long length = BIO_get_mem_data(pem.get(), &data);
  out.info.public_key_pem.assign(data, static_cast<std::size_t>(length));
  if (EVP_PKEY_is_a(key, "ED25519")) {
    std::string raw(kEd25519KeySize, '\0');
    std::size_t raw_length = raw.size();
    if (EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(raw.data()),
                                    &raw_length) != 1 ||
        raw_length != kEd25519KeySize) {
      return Internal("CSR Ed25519 public key");
    }
    out.info.ed25519_public_key = std::move(raw);
  }
  out.request = std::move(request);
  return out;
}

// A DNS name as RFC 1035 (plus the leading "*." of a wildcard): labels of 1..63 letters, digits
// and inner hyphens.
bool IsDnsName(std::string_view name) {
  if (name.starts_with("*.")) name.remove_prefix(2);
  if (name.empty() || name.size() > kMaxDnsNameLength) return false;
  std::size_t label = 0;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (c == '.') {
      if (label == 0 || name[i - 1] == '-') return false;
      label = 0;
      continue;
    }
    if (!std::isalnum(static_cast<unsigned char>(c)) && !(c == '-' && label > 0)) return false;
    if (++label > 63) return false;
  }
  return label > 0 && name.back() != '-';
}

Result<OpenSslPtr<GENERAL_NAMES>> SubjectAltNames(const std::vector<std::string>& entries) {
  OpenSslPtr<GENERAL_NAMES> names(sk_GENERAL_NAME_new_null());
  if (!names) return Internal("subjectAltName");
  for (const std::string& entry : entries) {
    OpenSslPtr<GENERAL_NAME> name(GENERAL_NAME_new());
    if (!name) return Internal("subjectAltName");
    if (entry.find('\0') != std::string::npos) return Invalid("server name contains a NUL");
    OpenSslPtr<ASN1_OCTET_STRING> ip(a2i_IPADDRESS(entry.c_str()));
    ERR_clear_error();  // a2i_IPADDRESS reports "not an address" on the queue
    if (ip) {
      GENERAL_NAME_set0_value(name.get(), GEN_IPADD, ip.release());
    } else {
      if (!IsDnsName(entry)) {
        return Invalid(StrCat("server name \"", IsValidCommonName(entry) ? entry : "(unprintable)",
                              "\" is neither an IP address nor a DNS name"));
      }
      OpenSslPtr<ASN1_IA5STRING> dns(ASN1_IA5STRING_new());
      if (!dns || ASN1_STRING_set(dns.get(), entry.data(), static_cast<int>(entry.size())) != 1) {
        return Internal("subjectAltName");
      }
      GENERAL_NAME_set0_value(name.get(), GEN_DNS, dns.release());
    }
    if (sk_GENERAL_NAME_push(names.get(), name.get()) <= 0) return Internal("subjectAltName");
    name.release();  // owned by `names` now
  }
  return names;
}

}  // namespace

bool IsValidCommonName(std::string_view name) {
  if (name.empty() || name.size() > kMaxCommonNameLength) return false;
  for (char c : name) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

Result<std::string> NewCertificateKeyPem() {
  OpenSslPtr<EVP_PKEY> key(EVP_EC_gen("P-256"));
  if (!key) return Internal("P-256 key generation");
  OpenSslPtr<BIO> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PKCS8PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr,
                                            nullptr) != 1) {
    return Internal("P-256 key PEM");
  }
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  std::string pem(data, static_cast<std::size_t>(size));
  (void)BIO_reset(bio.get());  // a memory BIO reset clears its buffer
  return pem;
}

Result<CertificateAuthority> CreateCertificateAuthority(std::string_view common_name,
                                                        std::chrono::days validity) {
  if (auto checked = CheckCommonName(common_name, "CA common name"); !checked) {
    return checked.error();
  }
  if (auto checked = CheckValidity(validity); !checked) return checked.error();
  auto key_pem = NewCertificateKeyPem();
  if (!key_pem) return key_pem.error();
  auto key = LoadPrivateKey(*key_pem, "CA key");
  if (!key) return key.error();
  auto name = NameWithCommonName(common_name);
  if (!name) return name.error();
  auto serial = RandomSerial();
  if (!serial) return serial.error();
  auto cert = NewCertificate(*serial, name->get(), name->get(), key->get(), validity);
  if (!cert) return cert.error();
  if (auto added = AddExtensions(cert->get(), cert->get(),
                                 {{NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
                                  {NID_key_usage, "critical,keyCertSign,cRLSign"},
                                  {NID_subject_key_identifier, "hash"}});
      !added) {
    return added.error();
  }
  auto pem = SignAndEncode(cert->get(), key->get());
  if (!pem) return pem.error();
  return CertificateAuthority{std::move(*pem), std::move(*key_pem)};
}

Result<std::string> CreateCsr(std::string_view private_key_pem, std::string_view common_name) {
  if (auto checked = CheckCommonName(common_name, "CSR common name"); !checked) {
    return checked.error();
  }
  auto key = LoadPrivateKey(private_key_pem, "CSR key");
  if (!key) return key.error();
  auto name = NameWithCommonName(common_name);
  if (!name) return name.error();
  OpenSslPtr<X509_REQ> request(X509_REQ_new());
  if (!request || X509_REQ_set_version(request.get(), X509_REQ_VERSION_1) != 1 ||
      X509_REQ_set_subject_name(request.get(), name->get()) != 1 ||
      X509_REQ_set_pubkey(request.get(), key->get()) != 1) {
    return Internal("new CSR");
  }
  if (X509_REQ_sign(request.get(), key->get(), SigningDigest(key->get())) <= 0) {
    return Internal("sign CSR");
  }
  OpenSslPtr<BIO> out(BIO_new(BIO_s_mem()));
  if (!out || PEM_write_bio_X509_REQ(out.get(), request.get()) != 1) return Internal("encode CSR");
  char* data = nullptr;
  const long length = BIO_get_mem_data(out.get(), &data);
  return std::string(data, static_cast<std::size_t>(length));
}

Result<CsrInfo> ReadCsr(std::string_view csr_pem) {
  auto parsed = ParseCsr(csr_pem);
  if (!parsed) return parsed.error();
  return std::move(parsed->info);
}

Result<std::string> SignClientCertificate(const CertificateAuthority& ca, std::string_view csr_pem,
                                          std::string_view expected_common_name,
                                          std::uint64_t serial, std::chrono::days validity) {
  if (auto checked = CheckCommonName(expected_common_name, "expected common name"); !checked) {
    return checked.error();
  }
  if (serial == 0 || serial > static_cast<std::uint64_t>(INT64_MAX)) {
    return Invalid("certificate serial must be 1..2^63-1");
  }
  if (auto checked = CheckValidity(validity); !checked) return checked.error();
  auto csr = ParseCsr(csr_pem);
  if (!csr) return csr.error();
  if (csr->info.common_name != expected_common_name) {
    // Both names passed CheckCommonName: printable, bounded, safe to show.
    return Invalid(StrCat("CSR common name \"", csr->info.common_name, "\" is not \"",
                          expected_common_name, "\""));
  }
  auto loaded = LoadCa(ca);
  if (!loaded) return loaded.error();
  auto subject = NameWithCommonName(expected_common_name);
  if (!subject) return subject.error();
  auto cert = NewCertificate(serial, X509_get_subject_name(loaded->cert.get()), subject->get(),
                             X509_REQ_get0_pubkey(csr->request.get()), validity);
  if (!cert) return cert.error();
  if (auto added = AddExtensions(cert->get(), loaded->cert.get(),
                                 {{NID_basic_constraints, "critical,CA:FALSE"},
                                  {NID_key_usage, "critical,digitalSignature"},
                                  {NID_ext_key_usage, "clientAuth"},
                                  {NID_subject_key_identifier, "hash"},
                                  {NID_authority_key_identifier, "keyid:always"}});
      !added) {
    return added.error();
  }
  return SignAndEncode(cert->get(), loaded->key.get());
}

Result<std::string> IssueServerCertificate(const CertificateAuthority& ca,
                                           std::string_view private_key_pem,
                                           std::vector<std::string> dns_names_and_ips,
                                           std::chrono::days validity) {
  if (dns_names_and_ips.empty()) return Invalid("server certificate: no DNS name or IP address");
  if (auto checked = CheckValidity(validity); !checked) return checked.error();
  auto names = SubjectAltNames(dns_names_and_ips);
  if (!names) return names.error();
  auto key = LoadPrivateKey(private_key_pem, "server key");
  if (!key) return key.error();
  auto loaded = LoadCa(ca);
  if (!loaded) return loaded.error();
  const std::string& first = dns_names_and_ips.front();
  OpenSslPtr<X509_NAME> subject(X509_NAME_new());
  if (IsValidCommonName(first)) {
    auto with_cn = NameWithCommonName(first);
    if (!with_cn) return with_cn.error();
    subject = std::move(*with_cn);
  }
  if (!subject) return Internal("X.509 name");
  auto serial = RandomSerial();
  if (!serial) return serial.error();
  auto cert = NewCertificate(*serial, X509_get_subject_name(loaded->cert.get()), subject.get(),
                             key->get(), validity);
  if (!cert) return cert.error();
  if (auto added = AddExtensions(cert->get(), loaded->cert.get(),
                                 {{NID_basic_constraints, "critical,CA:FALSE"},
                                  {NID_key_usage, "critical,digitalSignature"},
                                  {NID_ext_key_usage, "serverAuth"},
                                  {NID_subject_key_identifier, "hash"},
                                  {NID_authority_key_identifier, "keyid:always"}});
      !added) {
    return added.error();
  }
  if (X509_add1_ext_i2d(cert->get(), NID_subject_alt_name, names->get(), 0, X509V3_ADD_DEFAULT) !=
      1) {
    return Internal("subjectAltName");
  }
  return SignAndEncode(cert->get(), loaded->key.get());
}

}  // namespace kiosk_edge
