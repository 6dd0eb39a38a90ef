#include "agent/kiosk_secrets.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "common/crypto.hpp"
#include "common/files.hpp"
#include "common/log.hpp"

namespace kiosk_edge {
namespace {

constexpr std::string_view kSecretsFile = "kiosk-secrets.json";
constexpr std::string_view kDemoHqKeyFile = "hq-demo-private.key";
constexpr std::string_view kDeviceKeyFile = "device-key.pem";
constexpr std::size_t kKeyBytes = 32;

Result<Ed25519KeyPair> LoadOrCreateDeviceKey(const std::filesystem::path& state_dir) {
  const auto file = state_dir / kDeviceKeyFile;
  auto pem = ReadSmallFile(file, 16 * 1024);
  if (pem) {
    auto private_key = Ed25519PrivateKeyFromPem(*pem);
    if (!private_key) {
      return Error(ErrorKind::kCorrupt, StrCat(file.string(), ": ", private_key.error().message()));
    }
    auto public_key = Ed25519PublicKey(*private_key);
    if (!public_key) return public_key.error();
    return Ed25519KeyPair{std::move(*private_key), std::move(*public_key)};
  }
  if (pem.error().kind() != ErrorKind::kNotFound) return pem.error();
  auto pair = GenerateEd25519KeyPair();
  if (!pair) return pair;
  auto text = Ed25519PrivateKeyToPem(pair->private_key);
  if (!text) return text.error();
  if (auto written = WriteFileAtomically(file, *text, 0600); !written) return written.error();
  LogInfo("agent", "generated the device key ", file.string());
  return pair;
}

Result<std::string> HexField(const boost::json::object& json, std::string_view name,
                             const std::filesystem::path& file) {
  const auto* value = json.if_contains(name);
  if (value == nullptr || !value->is_string()) {
    return Error(ErrorKind::kCorrupt, StrCat(file.string(), ": missing ", name));
  }
  auto bytes = HexDecode(value->as_string());
  if (!bytes || bytes->size() != kKeyBytes) {
    return Error(ErrorKind::kCorrupt, StrCat(file.string(), ": ", name, " is not 32 hex bytes"));
  }
  return bytes;
}

Result<KioskSecrets> CreateSecrets(const std::filesystem::path& state_dir) {
  KioskSecrets secrets;
  for (std::string* key :
       {&secrets.channel_key, &secrets.presence_key, &secrets.blind_index_key, &secrets.csrf_key}) {
    auto bytes = RandomBytes(kKeyBytes);
    if (!bytes) return bytes.error();
    *key = std::move(*bytes);
  }
  auto hq = GenerateX25519KeyPair();
  if (!hq) return hq.error();
  secrets.hq_public_key = hq->public_key;
  if (auto kept = WriteFileAtomically(state_dir / kDemoHqKeyFile, HexEncode(hq->private_key));
      !kept) {
    return kept.error();
  }
  boost::json::object json{{"channel_key_id", "A"},
                           {"channel_key", HexEncode(secrets.channel_key)},
                           {"presence_key", HexEncode(secrets.presence_key)},
                           {"blind_index_key", HexEncode(secrets.blind_index_key)},
                           {"csrf_key", HexEncode(secrets.csrf_key)},
                           {"demo_hq_public_key", HexEncode(secrets.hq_public_key)}};
  if (auto written = WriteFileAtomically(state_dir / kSecretsFile, boost::json::serialize(json));
      !written) {
    return written.error();
  }
  LogInfo("agent", "generated kiosk keys in ", (state_dir / kSecretsFile).string());
  return secrets;
}

Result<KioskSecrets> ReadSecrets(const std::filesystem::path& file, const std::string& text) {
  boost::system::error_code parse_error;
  const boost::json::value parsed = boost::json::parse(text, parse_error);
  if (parse_error || !parsed.is_object()) {
    return Error(ErrorKind::kCorrupt, StrCat(file.string(), ": not a JSON object"));
  }
  const auto& json = parsed.as_object();
  KioskSecrets secrets;
  std::pair<std::string*, std::string_view> fields[] = {
      {&secrets.channel_key, "channel_key"},
      {&secrets.presence_key, "presence_key"},
      {&secrets.blind_index_key, "blind_index_key"},
      {&secrets.csrf_key, "csrf_key"},
      {&secrets.hq_public_key, "demo_hq_public_key"}};
  for (auto& [target, name] : fields) {
    auto value = HexField(json, name, file);
    if (!value) return value.error();
    *target = std::move(*value);
  }
  return secrets;
}

}  // namespace

Result<KioskSecrets> LoadOrCreateKioskSecrets(
    const std::filesystem::path& state_dir,
    const std::optional<std::string>& configured_hq_public_key_hex) {
  const auto file = state_dir / kSecretsFile;
  auto text = ReadSmallFile(file, 64 * 1024);
  Result<KioskSecrets> secrets = text ? ReadSecrets(file, *text)
                                 : text.error().kind() == ErrorKind::kNotFound
                                     ? CreateSecrets(state_dir)
                                     : Result<KioskSecrets>(text.error());
  if (!secrets) return secrets;
  auto device_key = LoadOrCreateDeviceKey(state_dir);
  if (!device_key) return device_key.error();
  secrets->device_key = std::move(*device_key);
  if (configured_hq_public_key_hex) {
    auto key = HexDecode(*configured_hq_public_key_hex);
    if (!key || key->size() != kKeyBytes) {
      return Error(ErrorKind::kConfig, "hq public key must be 64 hex digits");
    }
    secrets->hq_public_key = std::move(*key);
    secrets->hq_key_is_demo = false;
  } else {
    secrets->hq_key_is_demo = true;
  }
  return secrets;
}

Result<std::string> LoadDemoHqPrivateKey(const std::filesystem::path& state_dir) {
  auto hex = ReadSmallFile(state_dir / kDemoHqKeyFile, 256);
  if (!hex) return hex.error();
  return HexDecode(*hex);
}

}  // namespace kiosk_edge
