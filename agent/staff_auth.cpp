#include "agent/staff_auth.hpp"

#include <algorithm>
#include <charconv>

#include "common/crypto.hpp"
#include "common/strings.hpp"

namespace kiosk_edge {
namespace {

constexpr std::string_view kScheme = "scrypt";
constexpr int kBlockSize = 8;    // scrypt r
constexpr int kParallelism = 1;  // scrypt p
constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kHashBytes = 32;

struct PinHash {
  int cost_log2 = 0, r = 0, p = 0;
  std::string salt, key;
};

Error Invalid(std::string message) {
  return Error(ErrorKind::kInvalidArgument, std::move(message));
}

bool ParseInt(std::string_view text, int min, int max, int& out) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc() && end == text.data() + text.size() && out >= min && out <= max;
}

Result<PinHash> ParsePinHash(std::string_view text) {
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    const std::size_t dollar = text.find('$', start);
    parts.push_back(text.substr(start, dollar - start));
    if (dollar == std::string_view::npos) break;
    start = dollar + 1;
  }
  if (parts.size() != 6 || parts[0] != kScheme) {
    return Invalid(
        "not a PIN hash (scrypt$N$r$p$salt$hash; make one with `kioskctl staff hash-pin`)");
  }
  PinHash hash;
  if (!ParseInt(parts[1], 10, 20, hash.cost_log2) || !ParseInt(parts[2], 1, 16, hash.r) ||
      !ParseInt(parts[3], 1, 4, hash.p)) {
    return Invalid("PIN hash cost out of range (log2 N 10..20, r 1..16, p 1..4)");
  }
  auto salt = Base64UrlDecode(parts[4]);
  auto key = Base64UrlDecode(parts[5]);
  if (!salt || salt->size() < 8 || !key || key->size() != kHashBytes) {
    return Invalid("PIN hash salt or hash is malformed");
  }
  hash.salt = std::move(*salt);
  hash.key = std::move(*key);
  return hash;
}

}  // namespace

bool IsAcceptablePin(std::string_view pin) {
  return pin.size() >= 4 && pin.size() <= 12 &&
         std::all_of(pin.begin(), pin.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Result<std::string> HashStaffPin(std::string_view pin, int cost_log2) {
  if (!IsAcceptablePin(pin)) return Invalid("a PIN is 4 to 12 digits");
  auto salt = RandomBytes(kSaltBytes);
  if (!salt) return salt.error();
  auto key = Scrypt(pin, *salt, cost_log2, kBlockSize, kParallelism, kHashBytes);
  if (!key) return key.error();
  return StrCat(kScheme, "$", cost_log2, "$", kBlockSize, "$", kParallelism, "$",
                Base64UrlEncode(*salt), "$", Base64UrlEncode(*key));
}

Result<void> CheckPinHash(std::string_view hash) {
  auto parsed = ParsePinHash(hash);
  if (!parsed) return parsed.error();
  return {};
}

bool VerifyStaffPin(std::string_view pin, std::string_view hash) {
  auto parsed = ParsePinHash(hash);
  if (!parsed) return false;
  auto key = Scrypt(pin, parsed->salt, parsed->cost_log2, parsed->r, parsed->p, kHashBytes);
  return key && ConstantTimeEqual(*key, parsed->key) && IsAcceptablePin(pin);
}

StaffSessions::StaffSessions(std::vector<StaffMember> staff, StaffPolicy policy, const Clock& clock)
    : staff_(std::move(staff)), policy_(policy), clock_(clock) {
  // The decoy costs what the staff's hashes cost, so an unknown id takes as long as a known one.
  const auto cost = [this]() -> std::string {
    for (const StaffMember& member : staff_) {
      if (auto parsed = ParsePinHash(member.pin_hash)) {
        return StrCat(parsed->cost_log2, "$", parsed->r, "$", parsed->p);
      }
    }
    return StrCat(kDefaultPinCostLog2, "$", kBlockSize, "$", kParallelism);
  }();
  decoy_hash_ = StrCat(kScheme, "$", cost, "$", Base64UrlEncode(std::string(kSaltBytes, 'd')), "$",
                       Base64UrlEncode(std::string(kHashBytes, '\0')));
}

const StaffMember* StaffSessions::Find(std::string_view staff_id) const {
  for (const StaffMember& member : staff_) {
    if (member.id == staff_id) return &member;
  }
  return nullptr;
}

std::optional<std::chrono::seconds> StaffSessions::LockedFor(std::string_view staff_id) {
  std::lock_guard lock(mutex_);
  const auto found = failures_.find(staff_id);
  if (found == failures_.end()) return std::nullopt;
  const auto now = clock_.MonotonicNow();
  if (found->second.locked_until <= now) return std::nullopt;
  return std::chrono::ceil<std::chrono::seconds>(found->second.locked_until - now);
}

void StaffSessions::RecordFailure(std::string_view staff_id) {
  std::lock_guard lock(mutex_);
  const auto now = clock_.MonotonicNow();
  if (failures_.size() >= kMaxTrackedIds && !failures_.contains(staff_id)) {
    // Forget ids that are not locked out; a flood of made-up ids cannot grow the map.
    std::erase_if(failures_, [now](const auto& entry) { return entry.second.locked_until <= now; });
  }
  Failures& failures = failures_[std::string(staff_id)];
  if (failures.locked_until != std::chrono::steady_clock::time_point{} &&
      failures.locked_until <= now) {
    failures = {};  // the previous lockout is over: a fresh run of attempts
  }
  if (++failures.count >= policy_.max_failed_logins) failures.locked_until = now + policy_.lockout;
}

std::string StaffSessions::SessionKey(std::string_view token) const {
  // A digest, not the token: the map's key comparisons then reveal nothing about live tokens.
  return HmacSha256("kiosk-edge counter session", token);
}

Result<std::string> StaffSessions::Open(const StaffMember& member) {
  auto token_bytes = RandomBytes(32);
  auto csrf_bytes = RandomBytes(16);
  if (!token_bytes) return token_bytes.error();
  if (!csrf_bytes) return csrf_bytes.error();
  std::string token = Base64UrlEncode(*token_bytes);
  std::lock_guard lock(mutex_);
  failures_.erase(member.id);
  const auto now = clock_.MonotonicNow();
  std::erase_if(sessions_, [now](const auto& entry) { return entry.second.expires <= now; });
  if (sessions_.size() >= kMaxSessions) {
    return Error(ErrorKind::kUnavailable, "too many open counter sessions");
  }
  sessions_[SessionKey(token)] = StaffSession{member.id, member.name, Base64UrlEncode(*csrf_bytes),
                                              now + policy_.session_lifetime};
  return token;
}

std::optional<StaffSession> StaffSessions::FindSession(std::string_view token) {
  if (token.empty()) return std::nullopt;
  const std::string key = SessionKey(token);
  std::lock_guard lock(mutex_);
  const auto found = sessions_.find(key);
  if (found == sessions_.end()) return std::nullopt;
  if (found->second.expires <= clock_.MonotonicNow()) {
    sessions_.erase(found);
    return std::nullopt;
  }
  return found->second;
}

void StaffSessions::Close(std::string_view token) {
  const std::string key = SessionKey(token);
  std::lock_guard lock(mutex_);
  sessions_.erase(key);
}

}  // namespace kiosk_edge
