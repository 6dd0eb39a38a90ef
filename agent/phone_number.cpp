#include "agent/phone_number.hpp"

#include <algorithm>

namespace kiosk_edge {
namespace {

constexpr std::size_t kMaxTypedLength = 64;  // bytes; full-width digits take three
constexpr std::size_t kMaxE164Digits = 15;

bool IsChinaMobile(std::string_view digits) {
  return digits.size() == 11 && digits[0] == '1' && digits[1] >= '3' && digits[1] <= '9';
}

}  // namespace

PhoneResult NormalizePhone(std::string_view typed,
                           std::span<const std::string> extra_country_codes) {
  if (typed.size() > kMaxTypedLength) return {{}, PhoneProblem::kBadCharacters};
  std::string digits;
  bool international = false;
  for (std::size_t i = 0; i < typed.size(); ++i) {
    char c = typed[i];
    // Full-width digits (U+FF10..U+FF19), as some Chinese input methods type them.
    if (c == '\xEF' && i + 2 < typed.size() && typed[i + 1] == '\xBC' && typed[i + 2] >= '\x90' &&
        typed[i + 2] <= '\x99') {
      c = static_cast<char>('0' + (typed[i + 2] - '\x90'));
      i += 2;
    }
    if (c >= '0' && c <= '9') {
      digits.push_back(c);
    } else if (c == '+' && digits.empty() && !international) {
      international = true;
    } else if (c != ' ' && c != '-' && c != '.' && c != '(' && c != ')') {
      return {{}, PhoneProblem::kBadCharacters};
    }
  }
  if (digits.empty()) return {{}, PhoneProblem::kEmpty};
  if (!international && digits.starts_with("00")) {
    international = true;
    digits.erase(0, 2);
  }
  if (!international) {
    if (IsChinaMobile(digits)) return {"+86" + digits, std::nullopt};
    return {{}, PhoneProblem::kNotAMobile};
  }
  if (digits.starts_with("86")) {
    const std::string_view national = std::string_view(digits).substr(2);
    if (IsChinaMobile(national)) return {"+" + digits, std::nullopt};
    return {{}, PhoneProblem::kNotAMobile};
  }
  for (const std::string& code : extra_country_codes) {
    if (code.empty() || !digits.starts_with(code)) continue;
    const std::size_t national = digits.size() - code.size();
    if (national < 6 || national > 12 || digits.size() > kMaxE164Digits) {
      return {{}, PhoneProblem::kNotAMobile};
    }
    return {"+" + digits, std::nullopt};
  }
  return {{}, PhoneProblem::kCountryNotServed};
}

}  // namespace kiosk_edge
