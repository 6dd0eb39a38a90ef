#include "sync/profile_store/hq_state.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "common/crypto.hpp"
#include "common/files.hpp"
#include "common/json_fields.hpp"
#include "common/log.hpp"
#include "common/strings.hpp"

namespace kiosk_edge {
namespace {

constexpr std::chrono::days kCaValidity{3650};
// With the hour certificates are backdated (tls_certs.hpp), just under the 825 days Apple's
// platforms accept for a server certificate, even from a privately trusted CA.
constexpr std::chrono::days kServerValidity{824};

Result<std::string> ReadOrEmpty(const std::filesystem::path& file) {
  auto text = ReadSmallFile(file, 64 * 1024);
  if (!text && text.error().kind() == ErrorKind::kNotFound) return std::string();
  return text;
}

Result<CertificateAuthority> LoadOrCreateCa(const std::filesystem::path& dir) {
  auto cert = ReadOrEmpty(dir / "ca.pem");
  auto key = ReadOrEmpty(dir / "ca-key.pem");
  if (!cert) return cert.error();
  if (!key) return key.error();
  if (!cert->empty() && !key->empty()) {
    // CAs made before they were P-256 (tls_certs.hpp) keep working for the kiosks they enrolled.
    if (auto info = ReadCertificate(*cert); info && info->key_type == "ED25519") {
      LogWarning("profile-store", (dir / "ca.pem").string(),
                 " is an Ed25519 CA: browsers cannot open HQ's pages on its certificates (see "
                 "docs/attribution.md, \"Browsers and HQ's certificate\")");
    }
    return CertificateAuthority{*cert, *key};
  }
  auto ca = CreateCertificateAuthority("kiosk-edge HQ CA", kCaValidity);
  if (!ca) return ca.error();
  if (auto written = WriteFileAtomically(dir / "ca-key.pem", ca->key_pem, 0600); !written) {
    return written.error();
  }
  if (auto written = WriteFileAtomically(dir / "ca.pem", ca->cert_pem, 0600); !written) {
    return written.error();
  }
  LogInfo("profile-store", "made the kiosk CA ", (dir / "ca.pem").string());
  return ca;
}

// The server certificate, made anew when missing or issued for other names.
Result<void> LoadOrCreateServerCertificate(const std::filesystem::path& dir,
                                           const CertificateAuthority& ca,
                                           const std::vector<std::string>& names, HqState& state) {
  auto cert = ReadOrEmpty(dir / "server.pem");
  auto key = ReadOrEmpty(dir / "server-key.pem");
  if (!cert) return cert.error();
  if (!key) return key.error();
  if (!cert->empty() && !key->empty()) {
    auto info = ReadCertificate(*cert);
    if (info && info->subject_alt_names == names) {
      state.server_certificate_pem = std::move(*cert);
      state.server_private_key_pem = std::move(*key);
      return {};
    }
  }
  auto key_pem = NewCertificateKeyPem();
  if (!key_pem) return key_pem.error();
  auto issued = IssueServerCertificate(ca, *key_pem, names, kServerValidity);
  if (!issued) return issued.error();
  if (auto written = WriteFileAtomically(dir / "server-key.pem", *key_pem, 0600); !written) {
    return written.error();
  }
  if (auto written = WriteFileAtomically(dir / "server.pem", *issued, 0600); !written) {
    return written.error();
  }
  state.server_certificate_pem = std::move(*issued);
  state.server_private_key_pem = std::move(*key_pem);
  return {};
}

Result<void> LoadOrCreateHqKeys(const std::filesystem::path& dir, HqState& state) {
  const auto file = dir / "hq-keys.json";
  auto text = ReadOrEmpty(file);
  if (!text) return text.error();
  if (!text->empty()) {
    boost::system::error_code error;
    const auto json = boost::json::parse(*text, error);
    auto pii = error || !json.is_object()
                   ? Result<std::string>(Error(ErrorKind::kCorrupt, ""))
                   : HexDecode(JsonString(json.as_object(), "pii_private_key"));
    auto index = error || !json.is_object() ? Result<std::string>(Error(ErrorKind::kCorrupt, ""))
                                            : HexDecode(JsonString(json.as_object(), "index_key"));
    if (!pii || !index || pii->size() != kX25519KeySize || index->size() != 32) {
      return Error(ErrorKind::kCorrupt, StrCat(file.string(), ": not HQ's keys"));
    }
    state.pii_private_key = std::move(*pii);
    state.index_key = std::move(*index);
  } else {
    auto pair = GenerateX25519KeyPair();
    if (!pair) return pair.error();
    auto index = RandomBytes(32);
    if (!index) return index.error();
    state.pii_private_key = pair->private_key;
    state.index_key = std::move(*index);
    const boost::json::object json{{"pii_private_key", HexEncode(state.pii_private_key)},
                                   {"index_key", HexEncode(state.index_key)}};
    if (auto written = WriteFileAtomically(file, boost::json::serialize(json), 0600); !written) {
      return written.error();
    }
  }
  auto public_key = X25519PublicKey(state.pii_private_key);
  if (!public_key) return public_key.error();
  state.pii_public_key = std::move(*public_key);
  return {};
}

}  // namespace

Result<HqState> LoadOrCreateHqState(const std::filesystem::path& state_dir,
                                    const std::vector<std::string>& server_names,
                                    const Clock& clock) {
  if (auto made = EnsurePrivateDirectory(state_dir); !made) return made.error();
  HqState state;
  auto ca = LoadOrCreateCa(state_dir);
  if (!ca) return ca.error();
  state.ca = std::move(*ca);
  if (auto server = LoadOrCreateServerCertificate(state_dir, state.ca, server_names, state);
      !server) {
    return server.error();
  }
  if (auto keys = LoadOrCreateHqKeys(state_dir, state); !keys) return keys.error();
  const std::int64_t now_s =
      std::chrono::duration_cast<std::chrono::seconds>(clock.WallNow().time_since_epoch()).count();
  auto channel_keys = LoadOrCreateChannelKeys(state_dir, now_s);
  if (!channel_keys) return channel_keys.error();
  state.channel_keys = std::move(*channel_keys);
  return state;
}

}  // namespace kiosk_edge
