#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace kiosk_edge {

// Why a phone number was refused; each has its own message in the catalogue.
enum class PhoneProblem { kEmpty, kBadCharacters, kNotAMobile, kCountryNotServed };

struct PhoneResult {
  std::string e164;  // "+8613812345678" when accepted
  std::optional<PhoneProblem> problem;
};

// Normalises what a shopper typed to E.164. Spaces, dashes, dots and brackets are ignored.
// Accepted: mainland China mobiles (11 digits starting 13-19, with or without +86 / 0086),
// and "+CC…" / "00CC…" numbers whose country code is in `extra_country_codes` (digits, e.g.
// "852"), with 6 to 12 national digits and at most 15 digits in all. Anything else is refused
// with the reason, so the form can say what is wrong.
PhoneResult NormalizePhone(std::string_view typed,
                           std::span<const std::string> extra_country_codes);

}  // namespace kiosk_edge
