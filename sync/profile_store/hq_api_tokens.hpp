#pragma once

// Bearer tokens for HQ's API (GET /v1/attribution and the other HQ endpoints). A token is 256
// random bits ("hq_" + 52 base32 characters), shown once by `profile-store new-token`; the config
// keeps only its hash:
//
//   [hq_api.tokens.analytics]
//   hash = "<64 hex digits>"
//
// The hash is HMAC-SHA256 under a constant key (the enrollment tokens' scheme). A slow password
// hash (scrypt, as for staff PINs) would add nothing: nobody can guess 256 random bits, so a fast
// hash is as safe, and it keeps a flood of bad tokens from costing HQ CPU. Comparisons are
// constant-time, tokens are never logged (their names are), and a leaked config reveals no token.

#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/config_file.hpp"
#include "common/error.hpp"

namespace kiosk_edge {

struct HqApiToken {
  std::string name;  // [A-Za-z0-9_-]{1,64}: who holds it, for the log and for revoking
  std::string hash;  // HqApiTokenHash of the token: 64 lower-case hex digits
};

inline constexpr std::size_t kMaxHqApiTokenBytes = 256;

// The hash the config keeps for `token`.
std::string HqApiTokenHash(std::string_view token);
bool IsHqApiTokenHash(std::string_view text);
bool IsHqApiTokenName(std::string_view text);

// A fresh token from the CSPRNG.
Result<std::string> NewHqApiToken();

// The config lines that accept `token` under `name`.
std::string HqApiTokenConfigLines(std::string_view name, std::string_view token);

// Reads every [hq_api.tokens.NAME] table's hash, recording bad names and hashes in `file`.
std::vector<HqApiToken> ReadHqApiTokens(ConfigFile& file);

// The configured tokens, checked against a request's Authorization header. Replace() swaps the
// whole set while requests are being checked (profile-store's SIGHUP). Thread-safe.
class HqApiTokens {
 public:
  HqApiTokens() = default;
  explicit HqApiTokens(std::vector<HqApiToken> tokens) : tokens_(std::move(tokens)) {}

  // The name of the token `authorization` ("Bearer <token>") carries, if it is one of ours. Looks
  // at every configured hash whatever the outcome, comparing in constant time.
  std::optional<std::string> Authenticate(std::optional<std::string_view> authorization) const;

  // From now on, exactly `tokens` are accepted.
  void Replace(std::vector<HqApiToken> tokens);

 private:
  mutable std::mutex mutex_;
  std::vector<HqApiToken> tokens_;
};

}  // namespace kiosk_edge
