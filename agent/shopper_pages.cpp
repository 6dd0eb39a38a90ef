#include "agent/shopper_pages.hpp"

#include <ctime>

#include "agent/page_assets.hpp"
#include "common/http_forms.hpp"
#include "common/log.hpp"
#include "common/strings.hpp"
#include "kiosk/qr/qr_code.hpp"
#include "kiosk/qr/qr_render.hpp"

namespace kiosk_edge {
namespace {

std::string Page(Language language, std::string_view title, std::string_view body,
                 std::string_view extra_head = "") {
  const Language other = language == Language::kChinese ? Language::kEnglish : Language::kChinese;
  return StrCat("<!doctype html><html lang=\"", LanguageTag(language),
                "\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
                "content=\"width=device-width,initial-scale=1\"><title>",
                HtmlEscape(title), "</title>", InlineStyle(page_assets::kShopperStyle), extra_head,
                "</head><body><main><a class=\"lang\" href=\"?lang=", LanguageTag(other), "\">",
                Text(Msg::kSwitchLanguage, language), "</a>", body, "</main></body></html>");
}

std::string FieldError(Language language, const std::optional<Msg>& error, std::string_view id) {
  if (!error) return "";
  return StrCat("<p class=\"error\" id=\"", id, "-error\" role=\"alert\">", Text(*error, language),
                "</p>");
}

// On the kiosk's own touchscreen, returns it to the attract screen after two idle minutes.
std::string IdleReset(bool kiosk_touch) {
  return kiosk_touch ? InlineScript(page_assets::kIdleResetScript) : "";
}

std::string InvalidAttributes(const std::optional<Msg>& error, std::string_view id) {
  if (!error) return "";
  return StrCat(" aria-invalid=\"true\" aria-describedby=\"", id, "-error\"");
}

}  // namespace

std::string RenderLandingPage(Language language, std::string_view channel_id, bool invalid_code) {
  const std::string notice =
      invalid_code ? StrCat("<p class=\"notice\">", Text(Msg::kInvalidCodeNotice, language), "</p>")
                   : "";
  const std::string href =
      channel_id.empty() ? "/signup" : StrCat("/signup?channel=", UrlEncode(channel_id));
  return Page(
      language, Text(Msg::kPageTitle, language),
      StrCat("<h1>", Text(Msg::kPageTitle, language), "</h1>", notice,
             "<section class=\"offer\"><h2>", Text(Msg::kOfferHeadline, language), "</h2><p>",
             Text(Msg::kOfferBody, language), "</p></section><a class=\"button\" href=\"",
             HtmlEscape(href), "\">", Text(Msg::kSignUpButton, language), "</a>"));
}

std::string RenderSignupPage(Language language, const SignupFields& typed,
                             const SignupErrors& errors, std::string_view csrf_token,
                             bool kiosk_touch) {
  // The kiosk's own browser must not remember one shopper's name and number for the next.
  const std::string_view name_autocomplete = kiosk_touch ? "off" : "name";
  const std::string_view phone_autocomplete = kiosk_touch ? "off" : "tel";
  const std::string body = StrCat(
      "<h1>", Text(Msg::kSignupTitle, language), "</h1>",
      "<form method=\"post\" action=\"/signup\" novalidate>",
      "<input type=\"hidden\" name=\"csrf\" value=\"", HtmlEscape(csrf_token), "\">",
      "<input type=\"hidden\" name=\"channel\" value=\"", HtmlEscape(typed.channel_id), "\">",
      kiosk_touch ? "<input type=\"hidden\" name=\"touch\" value=\"1\">" : "",
      "<label for=\"name\">", Text(Msg::kNameLabel, language), "</label>",
      "<input type=\"text\" id=\"name\" name=\"name\" autocomplete=\"", name_autocomplete,
      "\" maxlength=\"64\" value=\"", HtmlEscape(typed.name), "\"",
      InvalidAttributes(errors.name, "name"), ">", FieldError(language, errors.name, "name"),
      "<label for=\"phone\">", Text(Msg::kPhoneLabel, language), "</label>",
      "<input type=\"tel\" id=\"phone\" name=\"phone\" autocomplete=\"", phone_autocomplete,
      "\" inputmode=\"tel\" maxlength=\"24\" value=\"", HtmlEscape(typed.phone), "\"",
      InvalidAttributes(errors.phone, "phone"), ">", "<p class=\"hint\">",
      Text(Msg::kPhoneHint, language), "</p>", FieldError(language, errors.phone, "phone"),
      "<label class=\"check\"><input type=\"checkbox\" id=\"consent_service\" "
      "name=\"consent_service\" value=\"yes\"",
      typed.consent_service ? " checked" : "", InvalidAttributes(errors.consent, "consent"), ">",
      Text(Msg::kConsentServiceLabel, language), "</label>",
      FieldError(language, errors.consent, "consent"),
      "<label class=\"check\"><input type=\"checkbox\" id=\"consent_marketing\" "
      "name=\"consent_marketing\" value=\"yes\"",
      typed.consent_marketing ? " checked" : "", ">", Text(Msg::kConsentMarketingLabel, language),
      "</label><button class=\"button\" type=\"submit\">", Text(Msg::kSubmitButton, language),
      "</button></form>");
  return Page(language, Text(Msg::kSignupTitle, language), body, IdleReset(kiosk_touch));
}

std::string RenderThanksPage(Language language, bool already_signed_up, bool kiosk_touch) {
  const Msg message = already_signed_up ? Msg::kAlreadySignedUp : Msg::kThanksBody;
  return Page(
      language, Text(Msg::kThanksTitle, language),
      StrCat("<h1 id=\"result\">", Text(Msg::kThanksTitle, language),
             "</h1><section class=\"offer\"><p>", Text(message, language), "</p></section>"),
      IdleReset(kiosk_touch));
}

namespace {

// "2026-12-22" in the kiosk's local time zone.
std::string LocalDate(std::int64_t unix_s) {
  const std::time_t t = static_cast<std::time_t>(unix_s);
  std::tm local{};
  localtime_r(&t, &local);
  char text[16];
  std::strftime(text, sizeof text, "%Y-%m-%d", &local);
  return text;
}

// The token in groups of four, so a person can keep their place while typing it.
std::string Grouped(std::string_view token) {
  std::string out;
  for (std::size_t i = 0; i < token.size(); i += 4) {
    if (i > 0) out.push_back(' ');
    out.append(token.substr(i, 4));
  }
  return out;
}

}  // namespace

std::string RenderVoucherPage(Language language, const Voucher& voucher, std::string_view token,
                              VoucherPageKind kind, bool kiosk_touch) {
  std::string qr_svg;
  if (auto qr = EncodeQr(token, QrErrorCorrection::kMedium)) {
    qr_svg = RenderSvg(*qr, 80);
  } else {
    LogError("shopper", "voucher QR: ", qr.error().message());
  }
  const std::string_view title =
      Text(kind == VoucherPageKind::kJustIssued ? Msg::kThanksTitle : Msg::kVoucherTitle, language);
  std::string head = InlineStyle(page_assets::kVoucherStyle);
  if (kind == VoucherPageKind::kJustIssued) {
    // Token characters are [A-Z2-7.] only: safe in an attribute.
    head += StrCat("<meta name=\"voucher-path\" content=\"/v/", token, "\">",
                   InlineScript(page_assets::kVoucherAddressScript));
  }
  head += IdleReset(kiosk_touch);
  const std::string store = voucher.scope == VoucherScope::kFleet
                                ? std::string(Text(Msg::kVoucherAnyStore, language))
                                : HtmlEscape(voucher.store_id);
  const std::string notice = kind == VoucherPageKind::kExpired
                                 ? StrCat("<p class=\"notice\" id=\"expired\">",
                                          Text(Msg::kVoucherExpired, language), "</p>")
                             : kind == VoucherPageKind::kJustIssued
                                 ? StrCat("<p>", Text(Msg::kThanksBody, language), "</p>")
                                 : "";
  return Page(
      language, title,
      StrCat("<h1 id=\"result\">", title, "</h1>", notice,
             "<section class=\"voucher\"><div id=\"voucher-qr\">", qr_svg,
             "</div><p class=\"hint\">", Text(Msg::kVoucherBrightnessHint, language),
             "</p></section><dl><dt>", Text(Msg::kVoucherGift, language), "</dt><dd id=\"gift\">",
             HtmlEscape(voucher.gift), "</dd><dt>", Text(Msg::kVoucherStore, language), "</dt><dd>",
             store, "</dd><dt>", Text(Msg::kVoucherExpires, language), "</dt><dd id=\"expires\">",
             LocalDate(voucher.expires_at), "</dd></dl><p class=\"hint\">",
             Text(Msg::kVoucherCodeLabel, language), "</p><p class=\"code\" id=\"token\">",
             Grouped(token), "</p>"),
      head);
}

std::string RenderNoticePage(Language language, Msg message) {
  return Page(language, Text(Msg::kPageTitle, language),
              StrCat("<h1>", Text(Msg::kPageTitle, language), "</h1><p class=\"notice\">",
                     Text(message, language), "</p>"));
}

std::string RenderKioskScreen(Language language, std::string_view qr_svg, bool offline) {
  const std::string badge = offline ? StrCat("<div class=\"badge\" id=\"offline\">",
                                             Text(Msg::kKioskOffline, language), "</div>")
                                    : "";
  return Page(
      language, Text(Msg::kPageTitle, language),
      StrCat(badge, "<h1>", Text(Msg::kKioskScanHere, language), "</h1><div id=\"code\">", qr_svg,
             "</div><h2>", Text(Msg::kOfferHeadline, language),
             "</h2><a class=\"button\" id=\"touch-signup\" "
             "href=\"/signup?channel=KIOSK-SCREEN&amp;touch=1\">",
             Text(Msg::kKioskTapHere, language), "</a>"),
      InlineStyle(page_assets::kKioskScreenStyle) + InlineScript(page_assets::kKioskScreenScript));
}

}  // namespace kiosk_edge
