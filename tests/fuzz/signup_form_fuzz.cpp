// The signup form as a phone posts it (common/http_forms.hpp, agent/signup.hpp): decoding the
// urlencoded body, reading the fields, and validating name, phone and consent.

#include <cstddef>
#include <cstdint>
#include <string>

#include "agent/phone_number.hpp"
#include "agent/signup.hpp"
#include "common/http_forms.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace kiosk_edge::fuzz {
namespace {

const std::vector<std::string> kExtraCountryCodes = {"852", "853", "886"};

bool IsE164(std::string_view number) {
  if (number.size() < 8 || number.size() > 16 || number.front() != '+') return false;
  return number.substr(1).find_first_not_of("0123456789") == std::string_view::npos;
}

// Encoding the decoded fields again and decoding that gives the same fields.
void CheckRoundTrip(const FormFields& form) {
  std::string body;
  for (const auto& [name, value] : form) {
    if (!body.empty()) body += '&';
    body += UrlEncode(name) + "=" + UrlEncode(value);
  }
  const Result<FormFields> again = ParseFormUrlEncoded(body);
  FUZZ_CHECK(again && *again == form);
}

void CheckSignup(const FormFields& form) {
  const SignupFields fields = ReadSignupFields(form);
  ValidSignup valid;
  const SignupErrors errors = ValidateSignup(fields, kExtraCountryCodes, valid);
  if (errors.Any()) return;
  FUZZ_CHECK(fields.consent_service);
  FUZZ_CHECK(!valid.name.empty() && IsValidUtf8(valid.name));
  FUZZ_CHECK(IsE164(valid.e164));
  // A normalised number normalises to itself.
  const PhoneResult again = NormalizePhone(valid.e164, kExtraCountryCodes);
  FUZZ_CHECK(!again.problem && again.e164 == valid.e164);
}

void CheckPhone(std::string_view typed) {
  const PhoneResult phone = NormalizePhone(typed, kExtraCountryCodes);
  FUZZ_CHECK(phone.problem.has_value() == phone.e164.empty());
  if (!phone.problem) FUZZ_CHECK(IsE164(phone.e164));
}

void CheckForm(std::string_view body) {
  const Result<FormFields> form = ParseFormUrlEncoded(body);
  if (!form) {
    FUZZ_CHECK(form.error().kind() == ErrorKind::kInvalidArgument);
    return;
  }
  FUZZ_CHECK(form->size() <= 32);
  for (const auto& [name, value] : *form) FUZZ_CHECK(IsValidUtf8(name) && IsValidUtf8(value));
  CheckRoundTrip(*form);
  CheckSignup(*form);
}

// The same text as the other request parts the shopper pages read.
void CheckOtherParts(std::string_view text) {
  const std::string escaped = HtmlEscape(text);
  FUZZ_CHECK(escaped.find_first_of("<>\"'") == std::string::npos);
  const std::optional<std::string_view> cookie = FindCookie(text, "kd");
  FUZZ_CHECK(!cookie || cookie->find(';') == std::string_view::npos);
  FUZZ_CHECK(QueryOf(text).size() < text.size() || text.empty());
}

}  // namespace
}  // namespace kiosk_edge::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = kiosk_edge::fuzz::AsText(data, size);
  kiosk_edge::fuzz::CheckForm(text);
  kiosk_edge::fuzz::CheckPhone(text);
  kiosk_edge::fuzz::CheckOtherParts(text);
  return 0;
}
