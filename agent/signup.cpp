#include "agent/signup.hpp"

#include "agent/phone_number.hpp"

namespace kiosk_edge {
namespace {

constexpr std::size_t kMaxNameCodePoints = 64;
constexpr std::size_t kMaxFieldBytes = 512;

std::string Trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return std::string(text);
}

std::size_t CodePoints(std::string_view utf8) {
  std::size_t count = 0;
  for (char c : utf8) count += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return count;
}

bool HasControlCharacters(std::string_view text) {
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F) return true;
  }
  return false;
}

std::string Field(const FormFields& form, std::string_view name) {
  const auto value = FindField(form, name);
  return value ? std::string(value->substr(0, kMaxFieldBytes)) : std::string();
}

}  // namespace

SignupFields ReadSignupFields(const FormFields& form) {
  SignupFields fields;
  fields.channel_id = Field(form, "channel");
  fields.name = Field(form, "name");
  fields.phone = Field(form, "phone");
  fields.consent_service = FindField(form, "consent_service") == "yes";
  fields.consent_marketing = FindField(form, "consent_marketing") == "yes";
  fields.csrf = Field(form, "csrf");
  return fields;
}

SignupErrors ValidateSignup(const SignupFields& fields,
                            std::span<const std::string> extra_country_codes, ValidSignup& valid) {
  SignupErrors errors;
  const std::string name = Trimmed(fields.name);
  if (name.empty()) {
    errors.name = Msg::kErrorNameMissing;
  } else if (!IsValidUtf8(name) || HasControlCharacters(name)) {
    errors.name = Msg::kErrorNameInvalid;
  } else if (CodePoints(name) > kMaxNameCodePoints) {
    errors.name = Msg::kErrorNameTooLong;
  }

  const PhoneResult phone = NormalizePhone(fields.phone, extra_country_codes);
  if (phone.problem) {
    switch (*phone.problem) {
      case PhoneProblem::kEmpty:
        errors.phone = Msg::kErrorPhoneMissing;
        break;
      case PhoneProblem::kBadCharacters:
        errors.phone = Msg::kErrorPhoneInvalid;
        break;
      case PhoneProblem::kNotAMobile:
        errors.phone = Msg::kErrorPhoneNotMobile;
        break;
      case PhoneProblem::kCountryNotServed:
        errors.phone = Msg::kErrorPhoneCountry;
        break;
    }
  }
  if (!fields.consent_service) errors.consent = Msg::kErrorConsentRequired;
  if (!errors.Any()) valid = ValidSignup{name, phone.e164, fields.consent_marketing};
  return errors;
}

}  // namespace kiosk_edge
