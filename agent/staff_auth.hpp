#pragma once

// Store staff at the counter (DESIGN.md section 2, flow 3): per-staff PINs kept only as slow
// scrypt hashes, a lockout after repeated failures, and sessions held by an HttpOnly cookie.

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "common/error.hpp"

namespace kiosk_edge {

struct StaffMember {
  std::string id;        // [staff.<ID>]
  std::string name;      // shown on the counter page and recorded with redemptions
  std::string pin_hash;  // HashStaffPin's output; the PIN itself is never stored
};

// A PIN is 4 to 12 ASCII digits.
bool IsAcceptablePin(std::string_view pin);

// "scrypt$<log2 N>$<r>$<p>$<salt>$<hash>" (salt and hash in base64url): about 0.1 s and 32 MiB
// of work per check at the default cost, so a copied config cannot be searched quickly.
inline constexpr int kDefaultPinCostLog2 = 15;
Result<std::string> HashStaffPin(std::string_view pin, int cost_log2 = kDefaultPinCostLog2);

// kInvalidArgument saying what is wrong unless `hash` is a well-formed HashStaffPin output with
// a cost in range (log2 N 10..20, r 1..16, p 1..4).
Result<void> CheckPinHash(std::string_view hash);

// True when `pin` matches `hash` (compared in constant time). Slow by design: call it on a
// worker thread, never on the I/O thread.
bool VerifyStaffPin(std::string_view pin, std::string_view hash);

struct StaffPolicy {
  std::chrono::minutes session_lifetime{8 * 60};  // a shift
  int max_failed_logins = 5;                      // in a row, per staff id, then locked out
  std::chrono::minutes lockout{5};
};

struct StaffSession {
  std::string staff_id;
  std::string staff_name;
  std::string csrf_token;  // every state-changing request of the session must carry it
  std::chrono::steady_clock::time_point expires;
};

// Who may log in, who is locked out, and the open sessions. In memory: a restart logs everyone
// out. Thread-safe.
class StaffSessions {
 public:
  StaffSessions(std::vector<StaffMember> staff, StaffPolicy policy, const Clock& clock);

  // The staff member with `id`, or nullptr. Pointers stay valid for the object's lifetime.
  const StaffMember* Find(std::string_view staff_id) const;
  // A well-formed hash that matches no PIN, for checking unknown ids at the same cost.
  const std::string& decoy_hash() const { return decoy_hash_; }

  // How long `staff_id` stays locked out; nullopt when it may try now.
  std::optional<std::chrono::seconds> LockedFor(std::string_view staff_id);
  // Counts a wrong PIN (or an unknown id); the max_failed_logins-th in a row locks the id.
  void RecordFailure(std::string_view staff_id);
  // Clears the failures of `member` and opens a session: the cookie value (random, 256 bits).
  Result<std::string> Open(const StaffMember& member);
  // The session a cookie value names, unless it expired (expired sessions are dropped).
  std::optional<StaffSession> FindSession(std::string_view token);
  void Close(std::string_view token);

  const StaffPolicy& policy() const { return policy_; }

 private:
  struct Failures {
    int count = 0;
    std::chrono::steady_clock::time_point locked_until{};
  };
  static constexpr std::size_t kMaxTrackedIds = 10'000;
  static constexpr std::size_t kMaxSessions = 1'000;

  std::string SessionKey(std::string_view token) const;

  const std::vector<StaffMember> staff_;
  const StaffPolicy policy_;
  const Clock& clock_;
  std::string decoy_hash_;

  std::mutex mutex_;
  std::map<std::string, Failures, std::less<>> failures_;
  std::map<std::string, StaffSession, std::less<>> sessions_;
};

}  // namespace kiosk_edge
