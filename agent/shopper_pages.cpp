#include "agent/shopper_pages.hpp"

#include <ctime>

#include "common/http_forms.hpp"
#include "common/log.hpp"
#include "common/strings.hpp"
#include "kiosk/qr/qr_code.hpp"
#include "kiosk/qr/qr_render.hpp"

namespace kiosk_edge {
namespace {

constexpr std::string_view kStyle = R"css(
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"PingFang SC","Noto Sans CJK SC",sans-serif;
  background:#f6f3ee;color:#1d1d1f;line-height:1.5}
main{max-width:30rem;margin:0 auto;padding:1.5rem 1.25rem 3rem}
h1{font-size:1.6rem;margin:.5rem 0 1rem}
p{font-size:1.05rem}
.offer{background:#fff;border-radius:1rem;padding:1.25rem;box-shadow:0 1px 4px #0001}
.notice{background:#fff4d6;border-radius:.75rem;padding:.75rem 1rem}
.button{display:block;width:100%;text-align:center;background:#c8102e;color:#fff;border:0;
  border-radius:.75rem;padding:1rem;font-size:1.15rem;text-decoration:none;margin-top:1.25rem}
label{display:block;font-weight:600;margin-top:1rem}
input[type=text],input[type=tel]{width:100%;font-size:1.1rem;padding:.75rem;margin-top:.35rem;
  border:1px solid #bbb;border-radius:.5rem;background:#fff}
input[aria-invalid=true]{border:2px solid #c8102e}
.check{display:flex;gap:.6rem;align-items:flex-start;font-weight:400}
.check input{flex:none;width:1.4rem;height:1.4rem;margin-top:.15rem}
.hint{font-size:.9rem;color:#555}
.error{color:#c8102e;font-weight:600;margin:.3rem 0 0}
.lang{float:right;font-size:.95rem;color:#333}
)css";

std::string Page(Language language, std::string_view title, std::string_view body,
                 std::string_view extra_head = "") {
  const Language other = language == Language::kChinese ? Language::kEnglish : Language::kChinese;
  return StrCat("<!doctype html><html lang=\"", LanguageTag(language),
                "\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
                "content=\"width=device-width,initial-scale=1\"><title>",
                HtmlEscape(title), "</title><style>", kStyle, "</style>", extra_head,
                "</head><body><main><a class=\"lang\" href=\"?lang=", LanguageTag(other), "\">",
                Text(Msg::kSwitchLanguage, language), "</a>", body, "</main></body></html>");
}

std::string FieldError(Language language, const std::optional<Msg>& error, std::string_view id) {
  if (!error) return "";
  return StrCat("<p class=\"error\" id=\"", id, "-error\" role=\"alert\">", Text(*error, language),
                "</p>");
}

std::string InvalidAttributes(const std::optional<Msg>& error, std::string_view id) {
  if (!error) return "";
  return StrCat(" aria-invalid=\"true\" aria-describedby=\"", id, "-error\"");
}

// Returns the kiosk's own touchscreen to the attract screen after two idle minutes.
constexpr std::string_view kIdleReset =
    "<script>let t;function r(){clearTimeout(t);t=setTimeout(()=>location.href='/kiosk',120000)}"
    "['click','keydown','touchstart'].forEach(e=>addEventListener(e,r));r()</script>";

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
  const std::string body = StrCat(
      "<h1>", Text(Msg::kSignupTitle, language), "</h1>",
      "<form method=\"post\" action=\"/signup\" novalidate>",
      "<input type=\"hidden\" name=\"csrf\" value=\"", HtmlEscape(csrf_token), "\">",
      "<input type=\"hidden\" name=\"channel\" value=\"", HtmlEscape(typed.channel_id), "\">",
      kiosk_touch ? "<input type=\"hidden\" name=\"touch\" value=\"1\">" : "",
      "<label for=\"name\">", Text(Msg::kNameLabel, language), "</label>",
      "<input type=\"text\" id=\"name\" name=\"name\" autocomplete=\"name\" maxlength=\"64\" "
      "value=\"",
      HtmlEscape(typed.name), "\"", InvalidAttributes(errors.name, "name"), ">",
      FieldError(language, errors.name, "name"), "<label for=\"phone\">",
      Text(Msg::kPhoneLabel, language), "</label>",
      "<input type=\"tel\" id=\"phone\" name=\"phone\" autocomplete=\"tel\" inputmode=\"tel\" "
      "maxlength=\"24\" value=\"",
      HtmlEscape(typed.phone), "\"", InvalidAttributes(errors.phone, "phone"), ">",
      "<p class=\"hint\">", Text(Msg::kPhoneHint, language), "</p>",
      FieldError(language, errors.phone, "phone"),
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
  return Page(language, Text(Msg::kSignupTitle, language), body,
              kiosk_touch ? kIdleReset : std::string_view());
}

std::string RenderThanksPage(Language language, bool already_signed_up, bool kiosk_touch) {
  const Msg message = already_signed_up ? Msg::kAlreadySignedUp : Msg::kThanksBody;
  return Page(
      language, Text(Msg::kThanksTitle, language),
      StrCat("<h1 id=\"result\">", Text(Msg::kThanksTitle, language),
             "</h1><section class=\"offer\"><p>", Text(message, language), "</p></section>"),
      kiosk_touch ? kIdleReset : std::string_view());
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
  const std::string style =
      "<style>.voucher{background:#fff;border-radius:1rem;padding:1rem;text-align:center;"
      "box-shadow:0 1px 4px #0001}.voucher "
      "svg{width:100%;max-width:26rem;height:auto;display:block;"
      "margin:0 auto}.code{font:0.95rem/1.6 ui-monospace,monospace;word-spacing:.2rem;"
      "overflow-wrap:anywhere;user-select:all}dl{display:grid;grid-template-columns:auto 1fr;"
      "gap:.3rem 1rem}dt{font-weight:600}dd{margin:0}</style>";
  std::string head = style;
  if (kind == VoucherPageKind::kJustIssued) {
    // Token characters are [A-Z2-7.] only: safe inside this script literal.
    head += StrCat("<script>history.replaceState(null,'','/v/", token, "')</script>");
  }
  if (kiosk_touch) head.append(kIdleReset);
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
  // Sized by the viewport: the kiosk is read from a step away, in landscape or portrait.
  const std::string style =
      "<style>main{max-width:none;min-height:100vh;display:flex;flex-direction:column;"
      "align-items:center;justify-content:space-evenly;text-align:center;padding:3vh 4vw}"
      "main h1{font-size:max(2rem,5vmin);margin:0}main h2{font-size:max(1.5rem,3.5vmin);margin:0}"
      "#code svg{width:min(55vh,80vw);height:auto;background:#fff;border-radius:1rem}"
      "#touch-signup{max-width:40rem;font-size:max(1.2rem,3vmin)}.badge{position:fixed;"
      "bottom:1rem;left:1rem;background:#444;color:#fff;border-radius:2rem;padding:.4rem 1rem}"
      "</style>";
  const std::string script =
      "<script>let last='';async function tick(){try{const r=await fetch('/kiosk/code',"
      "{cache:'no-store'});if(r.ok){const j=await r.json();if(j.url!==last){last=j.url;"
      "document.getElementById('code').innerHTML=j.svg;document.getElementById('code')"
      ".dataset.url=j.url}}}catch(e){}}setInterval(tick,2000);tick()</script>";
  const std::string badge = offline ? StrCat("<div class=\"badge\" id=\"offline\">",
                                             Text(Msg::kKioskOffline, language), "</div>")
                                    : "";
  return Page(language, Text(Msg::kPageTitle, language),
              StrCat(badge, "<h1>", Text(Msg::kKioskScanHere, language), "</h1><div id=\"code\">",
                     qr_svg, "</div><h2>", Text(Msg::kOfferHeadline, language),
                     "</h2><a class=\"button\" id=\"touch-signup\" "
                     "href=\"/signup?channel=KIOSK-SCREEN&amp;touch=1\">",
                     Text(Msg::kKioskTapHere, language), "</a>"),
              style + script);
}

}  // namespace kiosk_edge
