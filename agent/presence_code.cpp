#include "agent/presence_code.hpp"

#include <algorithm>
#include <charconv>

#include "common/crypto.hpp"

namespace kiosk_edge {
namespace {

using namespace std::string_view_literals;

// Domain separation from every other MAC in the system; the "\0" is part of the MAC input.
constexpr std::string_view kPresenceMacDomain = "kiosk-edge presence v1\0"sv;
constexpr std::size_t kPresenceMacBytes = 10;  // 80 bits
constexpr std::size_t kPresenceMacChars = 16;  // their base32
// Enough digits for any step of any representable time at a 1 s step.
constexpr std::size_t kMaxStepDigits = 19;
constexpr std::size_t kMaxTokenLength =
    kMaxKioskIdLength + 1 + kMaxStepDigits + 1 + kPresenceMacChars;
constexpr std::chrono::seconds kMaxStep{24 * 60 * 60};

bool IsKioskChar(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'; }

char AsciiUpper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

bool IsValidKioskUpper(std::string_view kiosk) {
  return !kiosk.empty() && kiosk.size() <= kMaxKioskIdLength &&
         std::all_of(kiosk.begin(), kiosk.end(), IsKioskChar);
}

// Parses the canonical decimal form only (no sign, no leading zeros), so each step has exactly
// one spelling and a MAC cannot be replayed under another.
bool ParseStep(std::string_view text, std::int64_t& step) {
  if (text.empty() || text.size() > kMaxStepDigits || (text.size() > 1 && text.front() == '0') ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), step);
  return error == std::errc() && end == text.data() + text.size();
}

}  // namespace

Result<PresenceCodec> PresenceCodec::Create(std::string_view kiosk_id, std::string secret,
                                            std::chrono::seconds step) {
  std::string upper(kiosk_id);
  std::transform(upper.begin(), upper.end(), upper.begin(), AsciiUpper);
  if (!IsValidKioskUpper(upper)) {
    return Error(ErrorKind::kInvalidArgument,
                 "presence code: kiosk id must be 1..64 characters of a-z, 0-9 and '-'");
  }
  if (secret.size() < kMinPresenceSecretSize) {
    return Error(ErrorKind::kInvalidArgument, "presence code: secret shorter than 32 bytes");
  }
  if (step.count() < 1 || step > kMaxStep) {
    return Error(ErrorKind::kInvalidArgument, "presence code: step must be 1 s .. 1 day");
  }
  return PresenceCodec(std::move(upper), std::move(secret), step);
}

std::string PresenceCodec::Mac(std::string_view kiosk_upper, std::string_view step_text) const {
  std::string message(kPresenceMacDomain);
  message.append(kiosk_upper).append(".").append(step_text);
  std::string mac = HmacSha256(secret_, message);
  mac.resize(kPresenceMacBytes);
  return Base32Encode(mac);
}

std::int64_t PresenceCodec::StepAt(std::chrono::system_clock::time_point now) const {
  const std::int64_t seconds =
      std::chrono::floor<std::chrono::seconds>(now.time_since_epoch()).count();
  const std::int64_t step = step_.count();
  // Floor division, so the second before 1970 is in step -1, not 0.
  return seconds / step - ((seconds % step != 0 && seconds < 0) ? 1 : 0);
}

std::chrono::system_clock::time_point PresenceCodec::NextRotation(
    std::chrono::system_clock::time_point now) const {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>((StepAt(now) + 1) * step_));
}

Result<std::string> PresenceCodec::Issue(std::chrono::system_clock::time_point now) const {
  const std::int64_t step = StepAt(now);
  if (step < 0) {
    return Error(ErrorKind::kInvalidArgument, "presence code: wall clock is before 1970");
  }
  const std::string step_text = std::to_string(step);
  std::string token = kiosk_id_upper_;
  token.append(".").append(step_text).append(".").append(Mac(kiosk_id_upper_, step_text));
  return token;
}

PresenceVerdict PresenceCodec::Check(std::string_view token,
                                     std::chrono::system_clock::time_point now) const {
  PresenceVerdict verdict;
  // Bound the work first: the token comes straight from a URL.
  if (token.size() > kMaxTokenLength) return verdict;
  std::string upper(token);
  std::transform(upper.begin(), upper.end(), upper.begin(), AsciiUpper);

  const std::size_t first_dot = upper.find('.');
  const std::size_t second_dot =
      first_dot == std::string::npos ? std::string::npos : upper.find('.', first_dot + 1);
  if (second_dot == std::string::npos) return verdict;
  const std::string_view all(upper);
  const std::string_view kiosk = all.substr(0, first_dot);
  const std::string_view step_text = all.substr(first_dot + 1, second_dot - first_dot - 1);
  const std::string_view mac = all.substr(second_dot + 1);
  std::int64_t step = 0;
  if (!IsValidKioskUpper(kiosk) || !ParseStep(step_text, step) || mac.size() != kPresenceMacChars ||
      !std::all_of(mac.begin(), mac.end(), IsBase32Char)) {
    return verdict;
  }
  verdict.well_formed = true;
  verdict.kiosk_id_upper = std::string(kiosk);
  verdict.step = step;
  verdict.mac_valid = ConstantTimeEqual(Mac(kiosk, step_text), mac);
  const std::int64_t current = StepAt(now);
  verdict.fresh =
      verdict.mac_valid && kiosk == kiosk_id_upper_ && (step == current || step == current - 1);
  return verdict;
}

}  // namespace kiosk_edge
