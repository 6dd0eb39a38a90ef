#include "agent/channel_token.hpp"

#include <algorithm>

#include "common/crypto.hpp"
#include "common/strings.hpp"

namespace kiosk_edge {
namespace {

constexpr std::size_t kMaxTokenLength = kMaxChannelIdLength + 2 + kChannelMacChars;
// Bounds on retirement times and overlap (about 3000 years) that keep their sum far from
// overflowing, without limiting any real configuration.
constexpr std::int64_t kMaxSaneSeconds = 100'000'000'000;

bool IsChannelIdChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

Error Refused(std::string_view reason) {
  return Error(ErrorKind::kInvalidArgument, std::string(reason));
}

}  // namespace

bool IsValidChannelId(std::string_view channel_id) {
  return !channel_id.empty() && channel_id.size() <= kMaxChannelIdLength &&
         std::all_of(channel_id.begin(), channel_id.end(), IsChannelIdChar);
}

Result<ChannelTokenCodec> ChannelTokenCodec::Create(std::vector<TokenKey> keys, char signing_key_id,
                                                    std::chrono::seconds overlap) {
  auto invalid = [](std::string message) {
    return Error(ErrorKind::kInvalidArgument, "channel token keys: " + std::move(message));
  };
  if (keys.empty()) return invalid("no keys");
  if (overlap.count() < 0 || overlap.count() > kMaxSaneSeconds) {
    return invalid("overlap out of range");
  }
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const TokenKey& key = keys[i];
    if (!IsBase32Char(key.id)) return invalid("key id must be one of A-Z, 2-7");
    if (key.secret.size() < kMinTokenKeySecretSize) {
      return invalid(
          StrCat("key ", key.id, ": secret shorter than ", kMinTokenKeySecretSize, " bytes"));
    }
    if (key.retired_at_unix_s &&
        (*key.retired_at_unix_s < 0 || *key.retired_at_unix_s > kMaxSaneSeconds)) {
      return invalid(StrCat("key ", key.id, ": retirement time out of range"));
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (keys[j].id == key.id) return invalid(StrCat("key ", key.id, " given twice"));
    }
  }
  ChannelTokenCodec codec(std::move(keys), signing_key_id, overlap);
  const TokenKey* signing = codec.FindKey(signing_key_id);
  if (signing == nullptr) return invalid("signing key is not among the keys");
  if (signing->retired_at_unix_s) return invalid("signing key is retired");
  return codec;
}

const TokenKey* ChannelTokenCodec::FindKey(char id) const {
  for (const TokenKey& key : keys_) {
    if (key.id == id) return &key;
  }
  return nullptr;
}

Result<std::string> ChannelTokenCodec::Issue(std::string_view channel_id) const {
  if (!IsValidChannelId(channel_id)) {
    return Error(ErrorKind::kInvalidArgument,
                 "channel id must be 1..32 characters of A-Z, 0-9 and '-'");
  }
  const TokenKey* key = FindKey(signing_key_id_);  // present: checked by Create
  return ChannelCodeToken(channel_id, key->id, key->secret);
}

Result<std::string> ChannelTokenCodec::Verify(std::string_view token,
                                              std::chrono::system_clock::time_point now) const {
  // Bound the work before anything else: the token comes straight from a URL.
  if (token.size() > kMaxTokenLength) return Refused("malformed");
  std::string upper(token);
  std::transform(upper.begin(), upper.end(), upper.begin(), [](char c) {
    return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  });

  const std::size_t dot = upper.find('.');
  if (dot == std::string::npos) return Refused("malformed");
  const std::string_view channel_id = std::string_view(upper).substr(0, dot);
  const std::string_view signed_part = std::string_view(upper).substr(dot + 1);
  if (!IsValidChannelId(channel_id) || signed_part.size() != 1 + kChannelMacChars ||
      !std::all_of(signed_part.begin(), signed_part.end(), IsBase32Char)) {
    return Refused("malformed");
  }
  const std::string_view mac = signed_part.substr(1);

  const TokenKey* key = FindKey(signed_part.front());
  if (key == nullptr) return Refused("unknown key");
  if (!ConstantTimeEqual(ChannelCodeMac(key->secret, channel_id), mac)) return Refused("bad mac");
  if (key->retired_at_unix_s) {
    // In whole seconds, where Create's bounds rule out overflow: now >= an integer second
    // exactly when floor(now) >= it.
    const std::int64_t now_s =
        std::chrono::floor<std::chrono::seconds>(now.time_since_epoch()).count();
    if (now_s >= *key->retired_at_unix_s + overlap_.count()) return Refused("key retired");
  }
  return std::string(channel_id);
}

}  // namespace kiosk_edge
