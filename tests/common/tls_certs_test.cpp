#include "common/tls_certs.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "common/crypto.hpp"
#include "support/legacy_ed25519_ca.hpp"

namespace kiosk_edge {
namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::system_clock;

// A fresh Ed25519 device key as kiosk_secrets.cpp stores it (PKCS#8 PEM), and its raw public key.
struct DeviceKey {
  std::string pem;
  std::string public_key;
};
DeviceKey NewDeviceKey() {
  auto pair = GenerateEd25519KeyPair();
  EXPECT_TRUE(pair);
  auto pem = Ed25519PrivateKeyToPem(pair->private_key);
  EXPECT_TRUE(pem);
  return {*pem, pair->public_key};
}

CertificateAuthority NewCa(std::string_view name = "kiosk-edge test CA") {
  auto ca = CreateCertificateAuthority(name, days(3650));
  EXPECT_TRUE(ca) << ca.error().message();
  return *ca;
}

// `pem` with one base64 character near the end of its body changed: for a CSR or certificate,
// that lands in the trailing signature and keeps the DER well-formed.
std::string CorruptSignature(std::string pem) {
  std::size_t at = pem.find("-----END");
  int skipped = 0;
  while (at > 0 && skipped < 6) {
    --at;
    if (pem[at] != '\n' && pem[at] != '=') ++skipped;
  }
  pem[at] = pem[at] == 'A' ? 'B' : 'A';
  return pem;
}

void ExpectNear(system_clock::time_point actual, system_clock::time_point expected) {
  EXPECT_LT(actual, expected + minutes(2));
  EXPECT_GT(actual, expected - minutes(2));
}

TEST(TlsCertsTest, CertificateAuthorityIsASelfSignedCa) {
  const auto before = system_clock::now();
  const CertificateAuthority ca = NewCa("HQ CA");
  EXPECT_NE(ca.key_pem.find("-----BEGIN PRIVATE KEY-----"), std::string::npos);
  auto info = ReadCertificate(ca.cert_pem);
  ASSERT_TRUE(info) << info.error().message();
  EXPECT_EQ(info->common_name, "HQ CA");
  EXPECT_EQ(info->issuer_common_name, "HQ CA");
  EXPECT_TRUE(info->is_ca);
  EXPECT_FALSE(info->client_auth);
  EXPECT_EQ(info->key_type, "EC");  // P-256: browsers accept HQ's chain
  EXPECT_NE(info->serial, 0u);
  ExpectNear(info->not_before, before - hours(1));
  ExpectNear(info->not_after, before + days(3650));
  // Each CA is new: its own key and serial.
  const CertificateAuthority other = NewCa("HQ CA");
  EXPECT_NE(other.key_pem, ca.key_pem);
  EXPECT_NE(ReadCertificate(other.cert_pem)->serial, info->serial);
}

TEST(TlsCertsTest, CsrCarriesTheKioskIdAndTheDeviceKey) {
  const DeviceKey key = NewDeviceKey();
  auto csr = CreateCsr(key.pem, "KIOSK-0042");
  ASSERT_TRUE(csr) << csr.error().message();
  EXPECT_TRUE(csr->starts_with("-----BEGIN CERTIFICATE REQUEST-----"));
  auto info = ReadCsr(*csr);
  ASSERT_TRUE(info) << info.error().message();
  EXPECT_EQ(info->common_name, "KIOSK-0042");
  EXPECT_EQ(info->key_type, "ED25519");
  EXPECT_EQ(info->ed25519_public_key, key.public_key);
  EXPECT_TRUE(info->public_key_pem.starts_with("-----BEGIN PUBLIC KEY-----"));
}

TEST(TlsCertsTest, CsrCreationRefusesBadNamesAndKeys) {
  const DeviceKey key = NewDeviceKey();
  EXPECT_EQ(CreateCsr(key.pem, "").error().kind(), ErrorKind::kInvalidArgument);
  EXPECT_EQ(CreateCsr(key.pem, std::string(65, 'K')).error().kind(), ErrorKind::kInvalidArgument);
  EXPECT_TRUE(CreateCsr(key.pem, std::string(64, 'K')));
  EXPECT_EQ(CreateCsr(key.pem, "K1\nK2").error().kind(), ErrorKind::kInvalidArgument);
  EXPECT_EQ(CreateCsr("not a key", "K1").error().kind(), ErrorKind::kInvalidArgument);
  EXPECT_EQ(CreateCsr("", "K1").error().kind(), ErrorKind::kInvalidArgument);
  // A certificate is not a private key.
  EXPECT_EQ(CreateCsr(NewCa().cert_pem, "K1").error().kind(), ErrorKind::kInvalidArgument);
}

TEST(TlsCertsTest, ReadCsrRefusesForgedMalformedAndOversizedInput) {
  const DeviceKey key = NewDeviceKey();
  const std::string csr = *CreateCsr(key.pem, "K1");

  auto forged = ReadCsr(CorruptSignature(csr));
  ASSERT_FALSE(forged);
  EXPECT_EQ(forged.error().kind(), ErrorKind::kInvalidArgument);
  EXPECT_NE(forged.error().message().find("signature"), std::string::npos)
      << forged.error().message();

  EXPECT_FALSE(ReadCsr(""));
  EXPECT_FALSE(ReadCsr("hello"));
  EXPECT_FALSE(ReadCsr(NewCa().cert_pem));  // a certificate, not a request
  EXPECT_FALSE(ReadCsr(csr + "trailing text\n"));
  EXPECT_FALSE(ReadCsr(csr + csr));             // two requests: which one?
  EXPECT_TRUE(ReadCsr("\n  " + csr + "\n\n"));  // whitespace around is fine
  std::string truncated = csr;
  truncated.erase(truncated.size() / 2, 40);
  EXPECT_FALSE(ReadCsr(truncated));

  const std::string oversized = csr + std::string(kMaxCsrPemBytes, '\n');
  auto refused = ReadCsr(oversized);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find("bytes"), std::string::npos);
}

TEST(TlsCertsTest, ClientCertificateNamesTheKioskForClientAuthOnly) {
  const CertificateAuthority ca = NewCa("HQ CA");
  const DeviceKey key = NewDeviceKey();
  const std::string csr = *CreateCsr(key.pem, "K7");
  const auto before = system_clock::now();
  auto cert = SignClientCertificate(ca, csr, "K7", 4242, days(365));
  ASSERT_TRUE(cert) << cert.error().message();
  auto info = ReadCertificate(*cert);
  ASSERT_TRUE(info) << info.error().message();
  EXPECT_EQ(info->common_name, "K7");
  EXPECT_EQ(info->issuer_common_name, "HQ CA");
  EXPECT_EQ(info->serial, 4242u);
  EXPECT_FALSE(info->is_ca);
  EXPECT_TRUE(info->client_auth);
  EXPECT_FALSE(info->server_auth);
  EXPECT_TRUE(info->subject_alt_names.empty());
  EXPECT_EQ(info->key_type, "ED25519");  // the kiosk's device key
  ExpectNear(info->not_before, before - hours(1));
  ExpectNear(info->not_after, before + days(365));
}

TEST(TlsCertsTest, SigningRefusesAnotherKiosksCsrAndBadParameters) {
  const CertificateAuthority ca = NewCa();
  const std::string csr = *CreateCsr(NewDeviceKey().pem, "K7");

  auto other_kiosk = SignClientCertificate(ca, csr, "K8", 1, days(365));
  ASSERT_FALSE(other_kiosk);
  EXPECT_EQ(other_kiosk.error().kind(), ErrorKind::kInvalidArgument);
  EXPECT_NE(other_kiosk.error().message().find("\"K7\" is not \"K8\""), std::string::npos)
      << other_kiosk.error().message();

  EXPECT_FALSE(SignClientCertificate(ca, csr, "K7", 0, days(365)));  // serials are positive
  EXPECT_FALSE(SignClientCertificate(ca, csr, "K7", std::uint64_t{1} << 63, days(365)));
  EXPECT_FALSE(SignClientCertificate(ca, csr, "K7", 1, days(0)));
  EXPECT_FALSE(SignClientCertificate(ca, CorruptSignature(csr), "K7", 1, days(365)));
  EXPECT_FALSE(SignClientCertificate(ca, "garbage", "K7", 1, days(365)));
  EXPECT_TRUE(SignClientCertificate(ca, csr, "K7", (std::uint64_t{1} << 63) - 1, days(365)));
}

TEST(TlsCertsTest, SigningRefusesAMismatchedOrNonCaAuthority) {
  const CertificateAuthority ca = NewCa();
  const CertificateAuthority other = NewCa();
  const DeviceKey key = NewDeviceKey();
  const std::string csr = *CreateCsr(key.pem, "K7");

  const CertificateAuthority mixed{ca.cert_pem, other.key_pem};
  auto mismatched = SignClientCertificate(mixed, csr, "K7", 1, days(365));
  ASSERT_FALSE(mismatched);
  EXPECT_NE(mismatched.error().message().find("does not belong"), std::string::npos);

  // A kiosk's own certificate and key cannot act as a CA.
  const CertificateAuthority leaf{*SignClientCertificate(ca, csr, "K7", 1, days(365)), key.pem};
  auto not_ca = SignClientCertificate(leaf, csr, "K7", 2, days(365));
  ASSERT_FALSE(not_ca);
  EXPECT_NE(not_ca.error().message().find("not a CA"), std::string::npos);
}

TEST(TlsCertsTest, CertificateKeysAreFreshP256Keys) {
  auto key = NewCertificateKeyPem();
  ASSERT_TRUE(key) << key.error().message();
  EXPECT_TRUE(key->starts_with("-----BEGIN PRIVATE KEY-----\n")) << "PKCS#8 PEM expected";
  EXPECT_NE(*NewCertificateKeyPem(), *key);
  auto csr = CreateCsr(*key, "HQ");
  ASSERT_TRUE(csr) << csr.error().message();
  EXPECT_EQ(ReadCsr(*csr)->key_type, "EC");
}

TEST(TlsCertsTest, AnEd25519CaMadeBeforeP256StillSignsAndIssues) {
  const CertificateAuthority legacy{std::string(testing::kLegacyEd25519CaCertPem),
                                    std::string(testing::kLegacyEd25519CaKeyPem)};
  EXPECT_EQ(ReadCertificate(legacy.cert_pem)->key_type, "ED25519");
  auto client =
      SignClientCertificate(legacy, *CreateCsr(NewDeviceKey().pem, "K7"), "K7", 9, days(365));
  ASSERT_TRUE(client) << client.error().message();
  EXPECT_EQ(ReadCertificate(*client)->issuer_common_name, "kiosk-edge HQ CA");
  auto server = IssueServerCertificate(legacy, *NewCertificateKeyPem(), {"localhost"}, days(90));
  ASSERT_TRUE(server) << server.error().message();
  EXPECT_EQ(ReadCertificate(*server)->key_type, "EC");
}

TEST(TlsCertsTest, ServerCertificateListsItsNamesForServerAuth) {
  const CertificateAuthority ca = NewCa("HQ CA");
  const std::string key = *NewCertificateKeyPem();
  auto cert = IssueServerCertificate(ca, key, {"localhost", "127.0.0.1", "::1"}, days(90));
  ASSERT_TRUE(cert) << cert.error().message();
  auto info = ReadCertificate(*cert);
  ASSERT_TRUE(info) << info.error().message();
  EXPECT_EQ(info->common_name, "localhost");
  EXPECT_EQ(info->issuer_common_name, "HQ CA");
  EXPECT_TRUE(info->server_auth);
  EXPECT_FALSE(info->client_auth);
  EXPECT_FALSE(info->is_ca);
  EXPECT_EQ(info->subject_alt_names, (std::vector<std::string>{"localhost", "127.0.0.1", "::1"}));
  EXPECT_EQ(info->key_type, "EC");
}

// A certificate as public CAs issue them, with a 160-bit serial (openssl req -x509, self-signed,
// valid until 2126-11-11 09:30:46 UTC), such as a kiosk's [https] certificate.
constexpr std::string_view kLongSerialCertificate = R"(-----BEGIN CERTIFICATE-----
MIIBtjCCAVygAwIBAgIUaJRyPkyX/I9Dte1Gh4CYgZHe0BQwCgYIKoZIzj0EAwIw
HzEdMBsGA1UEAwwUa2lvc2stMTIuZXhhbXBsZS5jb20wIBcNMjYxMjA1MDkzMDQ2
WhgPMjEyNjExMTEwOTMwNDZaMB8xHTAbBgNVBAMMFGtpb3NrLTEyLmV4YW1wbGUu
Y29tMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEqLylRFbQ5Vf/k4jgsFqsttWS
62e9YdPv82w8bL6dLslWCBUVfb4bxr5nyh5T4mUwvWWAwUAE5ud1P7XP1EO7AqN0
MHIwHQYDVR0OBBYEFEXUsyRGrmNDshYm7kzAE16Xha4EMB8GA1UdIwQYMBaAFEXU
syRGrmNDshYm7kzAE16Xha4EMA8GA1UdEwEB/wQFMAMBAf8wHwYDVR0RBBgwFoIU
a2lvc2stMTIuZXhhbXBsZS5jb20wCgYIKoZIzj0EAwIDSAAwRQIgM2ROu35az4+P
3zGm3lxMKK4Y/in/qIDjEg8OefTAGhcCIQCcMPx5foIxVIHKLLgWi4yo0ArQmGAK
uy16wGQoJN6vEw==
-----END CERTIFICATE-----
)";

TEST(TlsCertsTest, NotAfterIsReadFromAnyCertificateEvenWithALongSerial) {
  EXPECT_FALSE(ReadCertificate(kLongSerialCertificate)) << "its serial does not fit 64 bits";
  auto not_after = CertificateNotAfter(kLongSerialCertificate);
  ASSERT_TRUE(not_after) << not_after.error().message();
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::seconds>(not_after->time_since_epoch()).count(),
            4'950'063'046);  // 2126-11-11T09:30:46Z
  const CertificateAuthority ca = NewCa();
  const auto before = system_clock::now();
  auto ours = CertificateNotAfter(
      *IssueServerCertificate(ca, *NewCertificateKeyPem(), {"localhost"}, days(90)));
  ASSERT_TRUE(ours) << ours.error().message();
  ExpectNear(*ours, before + days(90));
  EXPECT_FALSE(CertificateNotAfter("garbage"));
}

TEST(TlsCertsTest, ServerCertificateRefusesNamesThatAreNeitherHostsNorAddresses) {
  const CertificateAuthority ca = NewCa();
  const std::string key = NewDeviceKey().pem;
  EXPECT_FALSE(IssueServerCertificate(ca, key, {}, days(90)));
  // Would smuggle a second name in through OpenSSL's configuration syntax, were it used.
  EXPECT_FALSE(IssueServerCertificate(ca, key, {"a.example,DNS:evil.example"}, days(90)));
  EXPECT_FALSE(IssueServerCertificate(ca, key, {"bad name"}, days(90)));
  EXPECT_FALSE(IssueServerCertificate(ca, key, {"-bad.example"}, days(90)));
  EXPECT_FALSE(IssueServerCertificate(ca, key, {"a..example"}, days(90)));
  EXPECT_FALSE(IssueServerCertificate(ca, key, {std::string("a\0b", 3)}, days(90)));
  EXPECT_FALSE(IssueServerCertificate(ca, "not a key", {"localhost"}, days(90)));
  auto wildcard = IssueServerCertificate(ca, key, {"*.stores.example", "hq-1.example"}, days(90));
  ASSERT_TRUE(wildcard) << wildcard.error().message();
  EXPECT_EQ(ReadCertificate(*wildcard)->subject_alt_names,
            (std::vector<std::string>{"*.stores.example", "hq-1.example"}));
}

TEST(TlsCertsTest, ReadCertificateRefusesGarbageAndReadsTheFirstOfAChain) {
  EXPECT_FALSE(ReadCertificate(""));
  EXPECT_FALSE(ReadCertificate("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"));
  EXPECT_FALSE(ReadCertificate(std::string(kMaxCertificatePemBytes + 1, 'x')));
  EXPECT_FALSE(ReadCertificateDer(""));
  EXPECT_FALSE(ReadCertificateDer("\x30\x03\x02\x01\x01"));

  const CertificateAuthority ca = NewCa("HQ CA");
  const std::string leaf =
      *SignClientCertificate(ca, *CreateCsr(NewDeviceKey().pem, "K9"), "K9", 9, days(30));
  auto first = ReadCertificate(leaf + ca.cert_pem);
  ASSERT_TRUE(first) << first.error().message();
  EXPECT_EQ(first->common_name, "K9");
}

TEST(TlsCertsTest, CommonNamesArePrintableAndBounded) {
  EXPECT_TRUE(IsValidCommonName("K1"));
  EXPECT_TRUE(IsValidCommonName("store 12 / kiosk 3"));
  EXPECT_FALSE(IsValidCommonName(""));
  EXPECT_FALSE(IsValidCommonName(std::string(65, 'k')));
  EXPECT_FALSE(IsValidCommonName("k\x01"));
  EXPECT_FALSE(IsValidCommonName("caf\xc3\xa9"));
  EXPECT_FALSE(CreateCertificateAuthority("", days(10)));
  EXPECT_FALSE(CreateCertificateAuthority("CA", days(0)));
  EXPECT_FALSE(CreateCertificateAuthority("CA", days(36501)));
}

}  // namespace
}  // namespace kiosk_edge
