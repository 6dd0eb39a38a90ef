#include "sync/profile_store/hq_api_tokens.hpp"

#include <algorithm>

#include "common/crypto.hpp"
#include "common/strings.hpp"
#include "sync/profile_store/report_time.hpp"

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

constexpr HqApiScope kScopes[] = {HqApiScope::kReports, HqApiScope::kMetrics, HqApiScope::kAudience,
                                  HqApiScope::kSubjects, HqApiScope::kAudit};

std::string_view Trimmed(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return text;
}

}  // namespace

std::string_view HqApiScopeName(HqApiScope scope) {
  switch (scope) {
    case HqApiScope::kReports:
      return "reports";
    case HqApiScope::kMetrics:
      return "metrics";
    case HqApiScope::kAudience:
      return "audience";
    case HqApiScope::kSubjects:
      return "subjects";
    case HqApiScope::kAudit:
      return "audit";
  }
  return "";
}

std::optional<std::uint8_t> ParseHqApiScopes(std::string_view text) {
  std::uint8_t scopes = 0;
  while (true) {
    const std::size_t comma = text.find(',');
    const std::string_view name = Trimmed(text.substr(0, comma));
    const auto* found =
        std::find_if(std::begin(kScopes), std::end(kScopes),
                     [name](HqApiScope scope) { return HqApiScopeName(scope) == name; });
    if (found == std::end(kScopes)) return std::nullopt;
    scopes |= static_cast<std::uint8_t>(*found);
    if (comma == std::string_view::npos) return scopes;
    text.remove_prefix(comma + 1);
  }
}

std::string HqApiScopesText(std::uint8_t scopes) {
  std::string text;
  for (HqApiScope scope : kScopes) {
    if ((scopes & static_cast<std::uint8_t>(scope)) != 0) {
      text += StrCat(text.empty() ? "" : ", ", HqApiScopeName(scope));
    }
  }
  return text;
}

std::optional<std::int64_t> ParseHqApiTokenExpiry(std::string_view text) {
  return ParseReportTime(text, 0);
}

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

std::string HqApiTokenConfigLines(std::string_view name, std::string_view token,
                                  std::uint8_t scopes, std::string_view expires) {
  return StrCat("[hq_api.tokens.", name, "]\nhash = \"", HqApiTokenHash(token), "\"\nscopes = \"",
                HqApiScopesText(scopes), "\"\n",
                expires.empty() ? "" : StrCat("expires = \"", expires, "\"\n"));
}

std::vector<HqApiToken> ReadHqApiTokens(ConfigFile& file) {
  std::vector<HqApiToken> tokens;
  for (const std::string& name : file.TableNames("hq_api.tokens")) {
    const std::string key = StrCat("hq_api.tokens.", name);
    HqApiToken token;
    token.name = name;
    file.Read(key + ".hash", token.hash);
    std::string scopes, expires;
    file.Read(key + ".scopes", scopes);
    file.Read(key + ".expires", expires);
    const std::vector<std::string> absent = file.AbsentKeys();
    const auto present = [&absent](const std::string& key_name) {
      return std::find(absent.begin(), absent.end(), key_name) == absent.end();
    };
    bool valid = true;
    const auto refuse = [&file, &valid](const std::string& where, std::string_view why) {
      file.AddError(where, why);
      valid = false;
    };
    if (!IsHqApiTokenName(name)) {
      refuse(key, "a token name must be 1-64 of A-Z, a-z, 0-9, '_' and '-'");
    } else if (!IsHqApiTokenHash(token.hash)) {
      refuse(key + ".hash",
             "must be the 64 hex digits `profile-store new-token` printed for the token");
    }
    if (present(key + ".scopes")) {  // "" is a mistake, not "every scope"
      const std::optional<std::uint8_t> parsed = ParseHqApiScopes(scopes);
      if (parsed) {
        token.scopes = *parsed;
      } else {
        refuse(key + ".scopes",
               "must list, with commas, some of reports, metrics, audience, subjects, audit");
      }
    }
    if (present(key + ".expires")) {
      token.expires_at_ms = ParseHqApiTokenExpiry(expires);
      if (!token.expires_at_ms) {
        refuse(key + ".expires",
               "must be a UTC date (2027-06-30) or an RFC 3339 time (2027-06-30T18:00:00+08:00)");
      }
    }
    if (valid) tokens.push_back(std::move(token));
  }
  return tokens;
}

std::optional<std::string_view> BearerToken(std::string_view authorization) {
  const std::size_t space = authorization.find(' ');
  if (space == std::string_view::npos ||
      !EqualsIgnoringCase(authorization.substr(0, space), "bearer")) {
    return std::nullopt;
  }
  std::string_view token = authorization.substr(space + 1);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (token.empty() || token.size() > kMaxHqApiTokenBytes) return std::nullopt;
  return token;
}

HqApiAccess AccessOf(const HqApiToken& token, HqApiScope scope, std::int64_t now_ms) {
  using Verdict = HqApiAccess::Verdict;
  if (token.expires_at_ms && now_ms >= *token.expires_at_ms) {
    return {Verdict::kExpired, token.name, token.expires_at_ms};
  }
  if ((token.scopes & static_cast<std::uint8_t>(scope)) == 0) {
    return {Verdict::kOutOfScope, token.name, std::nullopt};
  }
  return {Verdict::kGranted, token.name, std::nullopt};
}

HqApiAccess HqApiTokens::Authorize(std::optional<std::string_view> authorization, HqApiScope scope,
                                   std::int64_t now_ms) const {
  using Verdict = HqApiAccess::Verdict;
  if (!authorization) return {Verdict::kNoToken, "", std::nullopt};
  const HqApiAccess unknown{Verdict::kUnknownToken, "", std::nullopt};
  const std::optional<std::string_view> token = BearerToken(*authorization);
  if (!token) return unknown;
  const std::string presented = HqApiTokenHash(*token);
  std::lock_guard lock(mutex_);
  const HqApiToken* match = nullptr;
  for (const HqApiToken& candidate : tokens_) {
    // No early exit: the time taken does not tell which token, if any, matched.
    const bool equal = ConstantTimeEqual(presented, candidate.hash);
    if (equal && match == nullptr) match = &candidate;
  }
  return match == nullptr ? unknown : AccessOf(*match, scope, now_ms);
}

std::optional<HqApiToken> HqApiTokens::Find(std::string_view name) const {
  std::lock_guard lock(mutex_);
  const auto found = std::find_if(tokens_.begin(), tokens_.end(),
                                  [name](const HqApiToken& token) { return token.name == name; });
  if (found == tokens_.end()) return std::nullopt;
  return *found;
}

void HqApiTokens::Replace(std::vector<HqApiToken> tokens) {
  std::lock_guard lock(mutex_);
  tokens_ = std::move(tokens);
}

}  // namespace kiosk_edge
