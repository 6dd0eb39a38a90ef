#include "sync/profile_store/hq_channel_keys.hpp"

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "common/crypto.hpp"
#include "common/files.hpp"
#include "common/json_fields.hpp"
#include "common/log.hpp"
#include "common/strings.hpp"
#include "sync/protocol/channel_code.hpp"
#include "sync/protocol/wire_grammar.hpp"

namespace kiosk_edge {
namespace {

constexpr std::string_view kFile = "channel-keys.json";
constexpr std::string_view kKeyIds = "BCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr std::size_t kSecretBytes = 32;

bool OverlapEnded(const HqChannelKey& key, std::int64_t now_s) {
  return key.retired_at_s && now_s >= *key.retired_at_s + kHqChannelKeyOverlap.count();
}

Error Corrupt(const std::filesystem::path& file, std::string_view problem) {
  return Error(ErrorKind::kCorrupt, StrCat(file.string(), ": ", problem));
}

// The problem with `keys`, if any (ids, secret sizes, the signing key).
std::optional<std::string> FindProblem(const HqChannelKeys& keys) {
  if (keys.keys.empty()) return "no keys";
  for (std::size_t i = 0; i < keys.keys.size(); ++i) {
    const HqChannelKey& key = keys.keys[i];
    if (kKeyIds.find(key.id) == std::string_view::npos) {
      return StrCat("key ", i, ": id must be one of ", kKeyIds);
    }
    if (key.secret.size() != kSecretBytes)
      return StrCat("key ", key.id, ": secret is not 32 bytes");
    for (std::size_t j = 0; j < i; ++j) {
      if (keys.keys[j].id == key.id) return StrCat("key ", key.id, " appears twice");
    }
  }
  const auto signing =
      std::find_if(keys.keys.begin(), keys.keys.end(),
                   [&keys](const HqChannelKey& key) { return key.id == keys.signing_key_id; });
  if (signing == keys.keys.end()) return "signing_key_id names no key";
  if (signing->retired_at_s) return "the signing key is retired";
  return std::nullopt;
}

Result<void> Write(const std::filesystem::path& state_dir, const HqChannelKeys& keys) {
  boost::json::array list;
  for (const HqChannelKey& key : keys.keys) {
    list.emplace_back(boost::json::object{
        {"id", std::string(1, key.id)},
        {"secret", HexEncode(key.secret)},
        {"created_at_s", key.created_at_s},
        {"retired_at_s",
         key.retired_at_s ? boost::json::value(*key.retired_at_s) : boost::json::value(nullptr)}});
  }
  const boost::json::object json{{"signing_key_id", std::string(1, keys.signing_key_id)},
                                 {"keys", std::move(list)}};
  std::string text = boost::json::serialize(json);
  auto written = WriteFileAtomically(state_dir / kFile, text, 0600);
  SecureWipe(text);
  return written;
}

Result<HqChannelKey> NewKey(char id, std::int64_t now_s) {
  auto secret = RandomBytes(kSecretBytes);
  if (!secret) return secret.error().WithContext("channel key");
  return HqChannelKey{id, std::move(*secret), now_s, std::nullopt};
}

}  // namespace

Result<HqChannelKeys> LoadChannelKeys(const std::filesystem::path& state_dir) {
  const auto file = state_dir / kFile;
  auto text = ReadSmallFile(file, 64 * 1024);
  if (!text) return text.error();
  boost::system::error_code parse_error;
  const boost::json::value parsed = boost::json::parse(*text, parse_error);
  SecureWipe(*text);
  if (parse_error || !parsed.is_object()) return Corrupt(file, "not a JSON object");
  const boost::json::object& json = parsed.as_object();
  const auto* list = json.if_contains("keys");
  const std::string signing = JsonString(json, "signing_key_id");
  if (list == nullptr || !list->is_array() || signing.size() != 1) {
    return Corrupt(file, "needs signing_key_id and keys");
  }
  HqChannelKeys keys;
  keys.signing_key_id = signing[0];
  for (const boost::json::value& item : list->as_array()) {
    if (!item.is_object()) return Corrupt(file, "a key is not an object");
    const boost::json::object& entry = item.as_object();
    const std::string id = JsonString(entry, "id");
    auto secret = HexDecode(JsonString(entry, "secret"));
    const auto created = JsonInt(entry, "created_at_s");
    if (id.size() != 1 || !secret || !created) {
      return Corrupt(file, "a key needs id, secret and created_at_s");
    }
    keys.keys.push_back(
        HqChannelKey{id[0], std::move(*secret), *created, JsonInt(entry, "retired_at_s")});
  }
  if (auto problem = FindProblem(keys)) return Corrupt(file, *problem);
  return keys;
}

Result<HqChannelKeys> LoadOrCreateChannelKeys(const std::filesystem::path& state_dir,
                                              std::int64_t now_s) {
  auto loaded = LoadChannelKeys(state_dir);
  if (loaded || loaded.error().kind() != ErrorKind::kNotFound) return loaded;
  auto key = NewKey(kKeyIds.front(), now_s);
  if (!key) return key.error();
  HqChannelKeys keys{{std::move(*key)}, kKeyIds.front()};
  if (auto written = Write(state_dir, keys); !written) return written.error();
  LogInfo("profile-store", "made the channel-code key ", keys.signing_key_id, " in ",
          (state_dir / kFile).string());
  return keys;
}

Result<HqChannelKeys> RotateChannelKey(const std::filesystem::path& state_dir, std::int64_t now_s) {
  auto keys = LoadOrCreateChannelKeys(state_dir, now_s);
  if (!keys) return keys.error();
  std::erase_if(keys->keys, [now_s](const HqChannelKey& key) { return OverlapEnded(key, now_s); });
  // The id after the current signing key's that no kept key uses.
  const std::size_t current = kKeyIds.find(keys->signing_key_id);
  std::optional<char> next;
  for (std::size_t step = 1; step <= kKeyIds.size() && !next; ++step) {
    const char candidate = kKeyIds[(current + step) % kKeyIds.size()];
    if (std::none_of(keys->keys.begin(), keys->keys.end(),
                     [candidate](const HqChannelKey& key) { return key.id == candidate; })) {
      next = candidate;
    }
  }
  if (!next) {
    return Error(ErrorKind::kConflict,
                 "every channel key id is in use by a key still within its overlap; wait for "
                 "the oldest retired key's overlap to end");
  }
  auto key = NewKey(*next, now_s);
  if (!key) return key.error();
  for (HqChannelKey& old : keys->keys) {
    if (!old.retired_at_s) old.retired_at_s = now_s;
  }
  keys->keys.push_back(std::move(*key));
  keys->signing_key_id = *next;
  if (auto written = Write(state_dir, *keys); !written) return written.error();
  return keys;
}

Result<HqChannelKeys> WithdrawChannelKey(const std::filesystem::path& state_dir, char id,
                                         std::int64_t now_s) {
  auto keys = LoadChannelKeys(state_dir);
  if (!keys) return keys.error();
  if (id == keys->signing_key_id) {
    return Error(
        ErrorKind::kConflict,
        StrCat("channel key ", id,
               " signs new channel codes; run rotate-channel-key first, then withdraw it"));
  }
  const auto withdrawn = std::find_if(
      keys->keys.begin(), keys->keys.end(),
      [id, now_s](const HqChannelKey& key) { return key.id == id && !OverlapEnded(key, now_s); });
  if (withdrawn == keys->keys.end()) {
    return Error(ErrorKind::kNotFound,
                 StrCat("no channel key ", id, " whose codes kiosks still accept"));
  }
  keys->keys.erase(withdrawn);
  if (auto written = Write(state_dir, *keys); !written) return written.error();
  return keys;
}

std::vector<BundleTokenKey> KeysForBundle(const HqChannelKeys& keys, std::int64_t now_s) {
  std::vector<BundleTokenKey> out;
  for (const HqChannelKey& key : keys.keys) {
    if (!OverlapEnded(key, now_s)) out.push_back({key.id, key.secret, key.retired_at_s});
  }
  return out;
}

Result<std::string> IssueChannelCode(const HqChannelKeys& keys, std::string_view channel_id) {
  if (!wire::IsDefinedChannelId(channel_id)) {
    return Error(ErrorKind::kInvalidArgument,
                 "channel id must be 1..32 characters of A-Z, 0-9 and '-'");
  }
  for (const HqChannelKey& key : keys.keys) {
    if (key.id == keys.signing_key_id) return ChannelCodeToken(channel_id, key.id, key.secret);
  }
  return Error(ErrorKind::kInternal, "no signing channel key");
}

}  // namespace kiosk_edge
