#include "sync/profile_store/hq_api_tokens.hpp"

#include <algorithm>

#include "common/crypto.hpp"
#include "common/strings.hpp"

namespace kiosk_edge {
namespace {

constexpr std::string_view kHashKey = "kiosk-edge hq api token v1";
constexpr std::string_view kTokenPrefix = "hq_";
constexpr std::size_t kTokenBytes = 32;

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
           return lower(x) == lower(y);
         });
}

}  // namespace

std::string HqApiTokenHash(std::string_view token) {
  return HexEncode(HmacSha256(kHashKey, token));
}

bool IsHqApiTokenHash(std::string_view text) {
  return text.size() == 2 * kSha256Size && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

bool IsHqApiTokenName(std::string_view text) {
  return !text.empty() && text.size() <= 64 && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

Result<std::string> NewHqApiToken() {
  auto bytes = RandomBytes(kTokenBytes);
  if (!bytes) return bytes.error().WithContext("HQ API token");
  std::string token = StrCat(kTokenPrefix, Base32Encode(*bytes));
  SecureWipe(*bytes);
  return token;
}

std::string HqApiTokenConfigLines(std::string_view name, std::string_view token) {
  return StrCat("[hq_api.tokens.", name, "]\nhash = \"", HqApiTokenHash(token), "\"\n");
}

std::vector<HqApiToken> ReadHqApiTokens(ConfigFile& file) {
  std::vector<HqApiToken> tokens;
  for (const std::string& name : file.TableNames("hq_api.tokens")) {
    const std::string key = StrCat("hq_api.tokens.", name);
    HqApiToken token{name, ""};
    file.Read(key + ".hash", token.hash);
    if (!IsHqApiTokenName(name)) {
      file.AddError(key, "a token name must be 1-64 of A-Z, a-z, 0-9, '_' and '-'");
    } else if (!IsHqApiTokenHash(token.hash)) {
      file.AddError(key + ".hash",
                    "must be the 64 hex digits `profile-store new-token` printed for the token");
    } else {
      tokens.push_back(std::move(token));
    }
  }
  return tokens;
}

std::optional<std::string> HqApiTokens::Authenticate(
    std::optional<std::string_view> authorization) const {
  if (!authorization) return std::nullopt;
  // RFC 6750: "Bearer" (any case), one space, the token; a stray space or two is forgiven.
  std::string_view header = *authorization;
  const std::size_t space = header.find(' ');
  if (space == std::string_view::npos || !EqualsIgnoringCase(header.substr(0, space), "bearer")) {
    return std::nullopt;
  }
  std::string_view token = header.substr(space + 1);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (token.empty() || token.size() > kMaxHqApiTokenBytes) return std::nullopt;
  const std::string presented = HqApiTokenHash(token);
  std::lock_guard lock(mutex_);
  const HqApiToken* match = nullptr;
  for (const HqApiToken& candidate : tokens_) {
    // No early exit: the time taken does not tell which token, if any, matched.
    const bool equal = ConstantTimeEqual(presented, candidate.hash);
    if (equal && match == nullptr) match = &candidate;
  }
  if (match == nullptr) return std::nullopt;
  return match->name;
}

void HqApiTokens::Replace(std::vector<HqApiToken> tokens) {
  std::lock_guard lock(mutex_);
  tokens_ = std::move(tokens);
}

}  // namespace kiosk_edge
