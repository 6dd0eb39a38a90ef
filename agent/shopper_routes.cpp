#include "agent/shopper_routes.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "agent/journal_await.hpp"
#include "agent/shopper_pages.hpp"
#include "agent/shopper_signup.hpp"
#include "common/blocking.hpp"
#include "common/http_forms.hpp"
#include "common/log.hpp"
#include "common/random.hpp"
#include "kiosk/qr/qr_code.hpp"
#include "kiosk/qr/qr_render.hpp"

namespace kiosk_edge {
namespace {

using boost::asio::awaitable;

constexpr std::string_view kDeviceCookie = "kd";
constexpr std::string_view kLanguageCookie = "lang";

// What the routes know about the person asking, before any personal data.
struct Visitor {
  Language language;
  std::string device_id;  // first-party random cookie; new when the browser had none
  bool new_device = false;
  std::optional<Language> chosen_language;  // ?lang= on this request
};

std::string UpperAscii(std::string_view text) {
  std::string upper(text);
  for (char& c : upper) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return upper;
}

bool IsDeviceId(std::string_view id) {
  if (id.size() != 32) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Visitor IdentifyVisitor(const HttpRequest& request) {
  Visitor visitor;
  const std::string_view cookies = request.Header("cookie").value_or("");
  auto query = ParseFormUrlEncoded(QueryOf(request.target));
  std::optional<std::string_view> lang_param;
  if (query) lang_param = FindField(*query, "lang");
  if (lang_param) visitor.chosen_language = ParseLanguageTag(*lang_param);
  visitor.language = ChooseLanguage(lang_param ? lang_param : FindCookie(cookies, kLanguageCookie),
                                    request.Header("accept-language"));
  const auto device = FindCookie(cookies, kDeviceCookie);
  if (device && IsDeviceId(*device)) {
    visitor.device_id = std::string(*device);
  } else {
    auto fresh = RandomHex(16);
    if (fresh) {
      visitor.device_id = std::move(*fresh);
      visitor.new_device = true;
    }
  }
  return visitor;
}

// Adds the cookies the visitor needs: the device id on first visit, a chosen language.
HttpResponse WithCookies(HttpResponse response, const Visitor& visitor,
                         const ShopperServices& services) {
  const std::string_view secure = services.secure_cookies ? "; Secure" : "";
  if (visitor.new_device) {
    response.headers.emplace_back(
        "Set-Cookie", StrCat(kDeviceCookie, "=", visitor.device_id,
                             "; Max-Age=31536000; Path=/; HttpOnly; SameSite=Lax", secure));
  }
  if (visitor.chosen_language) {
    response.headers.emplace_back(
        "Set-Cookie", StrCat(kLanguageCookie, "=", LanguageTag(*visitor.chosen_language),
                             "; Max-Age=31536000; Path=/; SameSite=Lax", secure));
  }
  return response;
}

std::string_view UserAgentClass(const HttpRequest& request) {
  const std::string_view agent = request.Header("user-agent").value_or("");
  if (agent.find("MicroMessenger") != std::string_view::npos) return "wechat";
  if (agent.find("AlipayClient") != std::string_view::npos) return "alipay";
  if (agent.find("iPhone") != std::string_view::npos ||
      agent.find("iPad") != std::string_view::npos) {
    return "ios";
  }
  if (agent.find("Android") != std::string_view::npos) return "android";
  return "other";
}

// `draft` is a named local of the caller: see AppendDurably on GCC 12 and temporaries.
awaitable<void> RecordScan(const ShopperServices& services, EventDraft& draft) {
  auto seq = co_await AppendDurably(*services.journal, draft);
  // The shopper still sees the offer; the failure is for the operator (journal full, disk).
  if (!seq) LogError("shopper", "scan not recorded: ", seq.error().message());
}

awaitable<HttpResponse> ChannelScan(const ShopperServices& services, const HttpRequest& request,
                                    std::string_view token) {
  const Visitor visitor = IdentifyVisitor(request);
  auto channel_id = services.channel_codes->Current()->Verify(token, services.clock->WallNow());
  boost::json::object payload{{"code", "channel"},
                              {"valid", channel_id.has_value()},
                              {"device", visitor.device_id},
                              {"ua", UserAgentClass(request)}};
  std::optional<std::string> attributed;
  if (channel_id) {
    const auto channel = services.channels->Find(*channel_id);
    payload["known"] = channel.has_value();
    payload["active"] = channel && channel->ActiveAt(services.clock->WallNow());
    attributed = *channel_id;
  } else {
    payload["reason"] = channel_id.error().message();
  }
  EventDraft scan{"scan", attributed, 1, boost::json::serialize(payload), std::nullopt};
  co_await RecordScan(services, scan);
  co_return WithCookies(
      HttpResponse::Html(200, RenderLandingPage(visitor.language, attributed.value_or(""),
                                                !channel_id.has_value())),
      visitor, services);
}

awaitable<HttpResponse> PresenceScan(const ShopperServices& services, const HttpRequest& request,
                                     std::string_view token) {
  const Visitor visitor = IdentifyVisitor(request);
  const PresenceVerdict verdict = services.presence_codes->Check(token, services.clock->WallNow());
  boost::json::object payload{{"code", "presence"},
                              {"valid", verdict.mac_valid},
                              {"presence", verdict.fresh ? "verified" : "unverified"},
                              {"device", visitor.device_id},
                              {"ua", UserAgentClass(request)}};
  const bool attributable = verdict.mac_valid;
  EventDraft scan{"scan", attributable ? std::optional(services.kiosk_channel_id) : std::nullopt, 1,
                  boost::json::serialize(payload), std::nullopt};
  co_await RecordScan(services, scan);
  co_return WithCookies(
      HttpResponse::Html(
          200, RenderLandingPage(visitor.language, attributable ? services.kiosk_channel_id : "",
                                 !attributable)),
      visitor, services);
}

awaitable<HttpResponse> SignupForm(const ShopperServices& services, const HttpRequest& request) {
  const Visitor visitor = IdentifyVisitor(request);
  SignupFields typed;
  bool touch = false;
  if (auto query = ParseFormUrlEncoded(QueryOf(request.target)); query) {
    typed.channel_id = std::string(FindField(*query, "channel").value_or("").substr(0, 32));
    touch = FindField(*query, "touch") == "1";
  }
  co_return WithCookies(
      HttpResponse::Html(200, RenderSignupPage(visitor.language, typed, SignupErrors{},
                                               services.csrf->Issue(visitor.device_id), touch)),
      visitor, services);
}

struct PresenceCode {
  std::string url;
  std::string svg;  // the QR, 100 mm nominal (the kiosk page scales it to the screen)
};

// The kiosk screen's code at `now`: its URL (upper case, QR alphanumeric) and its picture.
Result<PresenceCode> CurrentPresenceCode(const ShopperServices& services,
                                         std::chrono::system_clock::time_point now) {
  auto token = services.presence_codes->Issue(now);
  if (!token) return token.error().WithContext("presence code");
  PresenceCode code{UpperAscii(services.public_base_url) + "/K/" + *token, {}};
  auto qr = EncodeQr(code.url, QrErrorCorrection::kMedium);
  if (!qr) return qr.error().WithContext("presence code");
  code.svg = RenderSvg(*qr, 100);
  return code;
}

// GET /v/<token>: the voucher again (bookmarked, or reopened from the phone's history).
HttpResponse VoucherPage(const ShopperServices& services, const HttpRequest& request,
                         std::string_view token_text) {
  const Visitor visitor = IdentifyVisitor(request);
  const std::string token = UpperAscii(token_text);
  const auto now =
      std::chrono::duration_cast<std::chrono::seconds>(services.clock->WallNow().time_since_epoch())
          .count();
  const VoucherCheck check =
      CheckVoucher(token, *services.trust->Current(), services.store_id, now);
  // A genuine voucher is shown even for another store (the page names its store); a forged,
  // unknown or revoked one is not.
  const bool shown = check.voucher && check.refusal != VoucherRefusal::kRevoked;
  if (!shown) {
    return WithCookies(
        HttpResponse::Html(404, RenderNoticePage(visitor.language, Msg::kVoucherNotValid)), visitor,
        services);
  }
  const VoucherPageKind kind = check.refusal == VoucherRefusal::kExpired ? VoucherPageKind::kExpired
                                                                         : VoucherPageKind::kShown;
  return WithCookies(
      HttpResponse::Html(200, RenderVoucherPage(visitor.language, *check.voucher, token, kind,
                                                /*kiosk_touch=*/false)),
      visitor, services);
}

}  // namespace

Result<std::string> ChannelCodeUrl(const ShopperServices& services, std::string_view channel_id) {
  auto token = services.channel_codes->Current()->Issue(channel_id);
  if (!token) return token.error();
  return UpperAscii(services.public_base_url) + "/C/" + *token;
}

awaitable<std::optional<HttpResponse>> RouteShopper(const ShopperServices& services,
                                                    const HttpRequest& request) {
  const std::string_view path = request.Path();
  const bool get = request.method == "GET" || request.method == "HEAD";
  if (get && (path.starts_with("/c/") || path.starts_with("/C/"))) {
    co_return co_await ChannelScan(services, request, path.substr(3));
  }
  if (get && (path.starts_with("/k/") || path.starts_with("/K/"))) {
    co_return co_await PresenceScan(services, request, path.substr(3));
  }
  if (get && (path.starts_with("/v/") || path.starts_with("/V/"))) {
    co_return VoucherPage(services, request, path.substr(3));
  }
  if (path == "/signup") {
    if (get) co_return co_await SignupForm(services, request);
    if (request.method == "POST") co_return co_await HandleSignupPost(services, request);
    co_return HttpResponse::Text(405, "use GET or POST\n");
  }
  if (get && path == "/kiosk") {
    const Visitor visitor = IdentifyVisitor(request);
    auto code = CurrentPresenceCode(services, services.clock->WallNow());
    const std::string svg = code ? code->svg : std::string();  // the page's script retries
    co_return WithCookies(HttpResponse::Html(200, RenderKioskScreen(visitor.language, svg, true)),
                          visitor, services);
  }
  if (get && path == "/kiosk/code") {
    const auto now = services.clock->WallNow();
    auto code = CurrentPresenceCode(services, now);
    if (!code) co_return HttpResponse::Text(500, code.error().message() + "\n");
    boost::json::object body{
        {"url", code->url},
        {"svg", code->svg},
        {"next_rotation_ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                                 services.presence_codes->NextRotation(now).time_since_epoch())
                                 .count()}};
    co_return HttpResponse::Json(200, boost::json::serialize(body));
  }
  co_return std::nullopt;
}

}  // namespace kiosk_edge
