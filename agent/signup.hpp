#pragma once

#include <optional>
#include <span>
#include <string>

#include "agent/messages.hpp"
#include "common/http_forms.hpp"

namespace kiosk_edge {

// What the signup form posts, as typed (kept to show the form again after an error).
struct SignupFields {
  std::string channel_id;
  std::string name;
  std::string phone;
  bool consent_service = false;
  bool consent_marketing = false;
  std::string csrf;
};

SignupFields ReadSignupFields(const FormFields& form);

// One message per field that is wrong; empty when the signup may go ahead.
struct SignupErrors {
  std::optional<Msg> name;
  std::optional<Msg> phone;
  std::optional<Msg> consent;
  bool Any() const { return name || phone || consent; }
};

struct ValidSignup {
  std::string name;  // trimmed
  std::string e164;  // normalised phone
  bool marketing = false;
};

// Checks every field (not just the first wrong one) and fills `valid` when there is no error.
SignupErrors ValidateSignup(const SignupFields& fields,
                            std::span<const std::string> extra_country_codes, ValidSignup& valid);

}  // namespace kiosk_edge
