#pragma once

// Bearer tokens for HQ's API (GET /v1/attribution and the other HQ endpoints). A token is 256
// random bits ("hq_" + 52 base32 characters), shown once by `profile-store new-token`; the config
// keeps only its hash:
//
//   [hq_api.tokens.analytics]
//   hash = "<64 hex digits>"
//   scopes = "reports, metrics"   # what it may do (HqApiScope); absent: everything
//   expires = "2027-06-30"        # refused from then on (UTC; or an RFC 3339 time); absent: never
//
// The hash is HMAC-SHA256 under a constant key (the enrollment tokens' scheme). A slow password
// hash (scrypt, as for staff PINs) would add nothing: nobody can guess 256 random bits, so a fast
// hash is as safe, and it keeps a flood of bad tokens from costing HQ CPU. Comparisons are
// constant-time, tokens are never logged (their names are), and a leaked config reveals no token.

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/config_file.hpp"
#include "common/error.hpp"

namespace kiosk_edge {

// What a token may do; every HQ endpoint needs one scope (hq_routes.cpp, hq_metrics.cpp):
//   reports   GET /v1/attribution, /v1/channels, /v1/kiosks/health (aggregates; the dashboard)
//   metrics   GET /metrics
//   audience  GET /v1/audiences/not-redeemed (names and phones)
//   subjects  POST /v1/subjects/{phone}/withdraw-consent, DELETE /v1/subjects/{phone}
//   audit     GET /v1/audit
enum class HqApiScope : std::uint8_t {
  kReports = 1,
  kMetrics = 2,
  kAudience = 4,
  kSubjects = 8,
  kAudit = 16
};
inline constexpr std::uint8_t kEveryHqApiScope = 31;
std::string_view HqApiScopeName(HqApiScope scope);
// Scopes as the config writes them: "reports, metrics" (commas, spaces optional; at least one).
// Nothing for an unknown name or an empty list.
std::optional<std::uint8_t> ParseHqApiScopes(std::string_view text);
std::string HqApiScopesText(std::uint8_t scopes);  // "reports, metrics"

struct HqApiToken {
  std::string name;  // [A-Za-z0-9_-]{1,64}: who holds it, for the log and for revoking
  std::string hash;  // HqApiTokenHash of the token: 64 lower-case hex digits
  // Tokens configured before scopes existed have no `scopes` line: they keep every scope.
  std::uint8_t scopes = kEveryHqApiScope;
  std::optional<std::int64_t> expires_at_ms;  // refused from then on; nothing: never
};

inline constexpr std::size_t kMaxHqApiTokenBytes = 256;

// The hash the config keeps for `token`.
std::string HqApiTokenHash(std::string_view token);
bool IsHqApiTokenHash(std::string_view text);
bool IsHqApiTokenName(std::string_view text);

// A fresh token from the CSPRNG.
Result<std::string> NewHqApiToken();

// The config lines that accept `token` under `name`, for `scopes`, until `expires` (the config's
// text, as given; empty: no expiry).
std::string HqApiTokenConfigLines(std::string_view name, std::string_view token,
                                  std::uint8_t scopes, std::string_view expires = "");

// Unix ms of an `expires` value: "2027-06-30" (midnight UTC) or an RFC 3339 time; nothing for
// anything else.
std::optional<std::int64_t> ParseHqApiTokenExpiry(std::string_view text);

// Reads every [hq_api.tokens.NAME] table, recording bad names, hashes, scopes and expiry times in
// `file`.
std::vector<HqApiToken> ReadHqApiTokens(ConfigFile& file);

// The token of an Authorization header: "Bearer" (any case), a space, the token (RFC 6750; stray
// spaces around it are forgiven). Nothing for another scheme, an empty token or one over
// kMaxHqApiTokenBytes.
std::optional<std::string_view> BearerToken(std::string_view authorization);

// What Authorize decided about a request, and the token's name when it is a configured one.
struct HqApiAccess {
  enum class Verdict { kGranted, kNoToken, kUnknownToken, kExpired, kOutOfScope };
  Verdict verdict = Verdict::kNoToken;
  std::string token_name;
  std::optional<std::int64_t> expired_at_ms;  // kExpired: when
};

// What `token` may do for an endpoint with `scope` at `now_ms`: kGranted, kExpired or kOutOfScope.
HqApiAccess AccessOf(const HqApiToken& token, HqApiScope scope, std::int64_t now_ms);

// The configured tokens, checked against a request's Authorization header. Replace() swaps the
// whole set while requests are being checked (profile-store's SIGHUP). Thread-safe.
class HqApiTokens {
 public:
  HqApiTokens() = default;
  explicit HqApiTokens(std::vector<HqApiToken> tokens) : tokens_(std::move(tokens)) {}

  // Whether `authorization` ("Bearer <token>") carries one of our tokens, unexpired at `now_ms`
  // and with `scope`. Looks at every configured hash whatever the outcome, comparing in constant
  // time.
  HqApiAccess Authorize(std::optional<std::string_view> authorization, HqApiScope scope,
                        std::int64_t now_ms) const;

  // The token configured under `name`, if any (names are not secret: no constant time).
  std::optional<HqApiToken> Find(std::string_view name) const;

  // From now on, exactly `tokens` are accepted.
  void Replace(std::vector<HqApiToken> tokens);

 private:
  mutable std::mutex mutex_;
  std::vector<HqApiToken> tokens_;
};

}  // namespace kiosk_edge
