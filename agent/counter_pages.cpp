#include "agent/counter_pages.hpp"

#include "agent/page_assets.hpp"
#include "common/http_forms.hpp"
#include "common/strings.hpp"

namespace kiosk_edge {
namespace {

std::string Page(Language language, std::string_view body, std::string_view script = "",
                 std::string_view body_attributes = "") {
  return StrCat("<!doctype html><html lang=\"", LanguageTag(language),
                "\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
                "content=\"width=device-width,initial-scale=1\"><meta name=\"robots\" "
                "content=\"noindex\"><title>",
                Text(Msg::kCounterTitle, language), "</title>",
                InlineStyle(page_assets::kCounterStyle), "</head><body", body_attributes, "><main>",
                body, "</main>", script, "</body></html>");
}

}  // namespace

std::string RenderCounterLogin(Language language, std::optional<Msg> error,
                               std::string_view staff_id) {
  const std::string error_html =
      error ? StrCat("<p class=\"error\" id=\"login-error\" role=\"alert\">",
                     Text(*error, language), "</p>")
            : "";
  return Page(
      language,
      StrCat("<h1>", Text(Msg::kCounterTitle, language), "</h1>", error_html,
             "<form method=\"post\" action=\"/counter/login\"><label for=\"staff\">",
             Text(Msg::kCounterStaffId, language),
             "</label><input id=\"staff\" name=\"staff\" autocomplete=\"username\" "
             "autocapitalize=\"off\" maxlength=\"64\" required value=\"",
             HtmlEscape(staff_id), "\"><label for=\"pin\">", Text(Msg::kCounterPin, language),
             "</label><input id=\"pin\" name=\"pin\" type=\"password\" "
             "inputmode=\"numeric\" autocomplete=\"current-password\" maxlength=\"12\" "
             "required><button type=\"submit\">",
             Text(Msg::kCounterLogIn, language), "</button></form>"));
}

std::string RenderCounterPage(Language language, std::string_view staff_name,
                              std::string_view csrf_token, bool device_camera, int frame_max_fps) {
  const std::string device_html =
      device_camera ? StrCat("<p class=\"status\">", Text(Msg::kCounterDeviceCamera, language),
                             ": <span id=\"device-status\">…</span></p>")
                    : "";
  const std::string body = StrCat(
      "<header><h1>", Text(Msg::kCounterTitle, language),
      "</h1><form method=\"post\" "
      "action=\"/counter/logout\"><input type=\"hidden\" name=\"csrf\" value=\"",
      HtmlEscape(csrf_token), "\"><span>", HtmlEscape(staff_name),
      "</span> <button class=\"quiet\" type=\"submit\">", Text(Msg::kCounterLogOut, language),
      "</button></form></header><p>", Text(Msg::kCounterScanPrompt, language),
      "</p><form id=\"redeem\" method=\"post\" action=\"/counter/redeem\"><input type=\"hidden\" "
      "name=\"csrf\" value=\"",
      HtmlEscape(csrf_token),
      "\"><input type=\"hidden\" name=\"source\" value=\"typed\"><div class=\"row\"><div><label "
      "for=\"code\">",
      Text(Msg::kCounterCodeLabel, language),
      "</label><input id=\"code\" name=\"code\" autocomplete=\"off\" autocapitalize=\"characters\" "
      "spellcheck=\"false\" maxlength=\"600\"></div><button type=\"submit\">",
      Text(Msg::kCounterRedeemButton, language),
      "</button></div></form><div id=\"result\" aria-live=\"assertive\"></div><button "
      "id=\"camera\" class=\"quiet\" type=\"button\">",
      Text(Msg::kCounterStartCamera, language),
      "</button><p class=\"status\" id=\"camera-status\"></p><video id=\"video\" muted "
      "playsinline></video>",
      device_html);
  // The script reads its settings from <body data-*>.
  const std::string attributes =
      StrCat(" data-csrf=\"", HtmlEscape(csrf_token), "\" data-fps=\"", frame_max_fps,
             "\" data-device=\"", device_camera ? "1" : "0", "\" data-offline=\"",
             HtmlEscape(Text(Msg::kCounterNotRecorded, language)), "\"");
  return Page(language, body, InlineScript(page_assets::kCounterScript), attributes);
}

std::string RenderCounterResultPage(Language language, const CounterResult& result) {
  std::string lines;
  for (const auto& [label, value] : result.lines) {
    lines += StrCat("<dt>", HtmlEscape(label), "</dt><dd>", HtmlEscape(value), "</dd>");
  }
  return Page(language,
              StrCat("<h1>", Text(Msg::kCounterTitle, language), "</h1><div id=\"result\" class=\"",
                     result.redeemed ? "redeemed" : "refused", "\"><h2 id=\"result-title\">",
                     HtmlEscape(result.title), "</h2><dl>", lines,
                     "</dl></div><p><a class=\"back\" href=\"/counter\">",
                     Text(Msg::kCounterRedeemButton, language), " →</a></p>"));
}

}  // namespace kiosk_edge
