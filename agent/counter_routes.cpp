#include "agent/counter_routes.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <ctime>

#include "agent/counter_pages.hpp"
#include "common/blocking.hpp"
#include "common/http_forms.hpp"
#include "common/log.hpp"
#include "common/strings.hpp"
#include "kiosk/scanner/image_files.hpp"
#include "kiosk/scanner/scanner.hpp"

namespace kiosk_edge {
namespace {

using boost::asio::awaitable;

constexpr std::string_view kSessionCookie = "ks";

struct Visit {
  Language language;
  std::string token;                    // the session cookie's value, if any
  std::optional<StaffSession> session;  // the live session it names
};

Visit Identify(const CounterServices& services, const HttpRequest& request) {
  const std::string_view cookies = request.Header("cookie").value_or("");
  Visit visit{ChooseLanguage(FindCookie(cookies, "lang"), request.Header("accept-language")),
              std::string(FindCookie(cookies, kSessionCookie).value_or("")), std::nullopt};
  visit.session = services.staff->FindSession(visit.token);
  return visit;
}

// True unless the request names an Origin other than the host it was sent to (a form or script
// on another site posting to the counter).
bool SameOrigin(const HttpRequest& request) {
  const auto origin = request.Header("origin");
  if (!origin) return true;
  const auto host = request.Header("host");
  const std::size_t scheme_end = origin->find("://");
  return host && scheme_end != std::string_view::npos && origin->substr(scheme_end + 3) == *host;
}

std::string SessionCookie(const CounterServices& services, std::string_view value,
                          std::chrono::seconds max_age) {
  return StrCat(kSessionCookie, "=", value, "; Max-Age=", max_age.count(),
                "; Path=/counter; HttpOnly; SameSite=Strict",
                services.secure_cookies ? "; Secure" : "");
}

HttpResponse SeeOther(std::string location) {
  HttpResponse response = HttpResponse::Text(303, "");
  response.headers.emplace_back("Location", std::move(location));
  response.headers.emplace_back("Cache-Control", "no-store");
  return response;
}

bool WantsJson(const HttpRequest& request) {
  return request.Header("accept").value_or("").find("application/json") != std::string_view::npos;
}

HttpResponse NoSession(const HttpRequest& request, Language language) {
  if (WantsJson(request) || request.Path() != "/counter/redeem") {
    return HttpResponse::Json(401, R"({"error":"log in at /counter"})");
  }
  return HttpResponse::Html(401, RenderCounterLogin(language, Msg::kCounterSessionExpired, ""));
}

// "2026-11-22 14:03:05" in the kiosk's local time zone.
std::string LocalDateTime(std::int64_t unix_ms) {
  const std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm local{};
  localtime_r(&t, &local);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &local);
  return text;
}

Msg RefusalMessage(VoucherRefusal refusal) {
  switch (refusal) {
    case VoucherRefusal::kNotAVoucher:
      return Msg::kRefusedNotAVoucher;
    case VoucherRefusal::kUnknownSigner:
      return Msg::kRefusedUnknownSigner;
    case VoucherRefusal::kRevoked:
      return Msg::kRefusedRevoked;
    case VoucherRefusal::kExpired:
      return Msg::kRefusedExpired;
    case VoucherRefusal::kWrongStore:
      return Msg::kRefusedWrongStore;
    case VoucherRefusal::kAlreadyRedeemed:
      return Msg::kRefusedAlreadyRedeemed;
  }
  return Msg::kRefusedNotAVoucher;
}

// What the clerk reads: the title in large type, then the facts that back it.
CounterResult Describe(Language language, const RedemptionOutcome& outcome) {
  CounterResult result;
  result.redeemed = outcome.redeemed();
  const auto line = [&](Msg label, std::string value) {
    result.lines.emplace_back(std::string(Text(label, language)), std::move(value));
  };
  if (result.redeemed) {
    result.title = StrCat(Text(Msg::kCounterRedeemed, language), outcome.voucher->gift);
  } else {
    result.title = std::string(Text(RefusalMessage(*outcome.refusal), language));
    if (outcome.prior) {
      if (outcome.prior->at_ms) line(Msg::kCounterPriorAt, LocalDateTime(*outcome.prior->at_ms));
      if (!outcome.prior->kiosk_id.empty()) line(Msg::kCounterPriorKiosk, outcome.prior->kiosk_id);
      if (!outcome.prior->staff_id.empty()) line(Msg::kCounterPriorStaff, outcome.prior->staff_id);
    }
  }
  if (outcome.voucher) {
    const Voucher& voucher = *outcome.voucher;
    if (!result.redeemed) line(Msg::kVoucherGift, voucher.gift);
    line(Msg::kVoucherStore, voucher.scope == VoucherScope::kFleet
                                 ? std::string(Text(Msg::kVoucherAnyStore, language))
                                 : voucher.store_id);
    line(Msg::kVoucherExpires, LocalDateTime(voucher.expires_at * 1000));
  }
  if (!result.redeemed) {
    result.lines.emplace_back(std::string(Text(Msg::kCounterDoNotHandOver, language)),
                              outcome.detail);
  }
  return result;
}

HttpResponse ResultResponse(const HttpRequest& request, Language language, unsigned status,
                            std::string_view outcome_name, std::string_view reason,
                            const CounterResult& result) {
  if (!WantsJson(request))
    return HttpResponse::Html(status, RenderCounterResultPage(language, result));
  boost::json::array lines;
  for (const auto& [label, value] : result.lines) lines.push_back({label, value});
  boost::json::object body{{"outcome", outcome_name},
                           {"reason", reason},
                           {"title", result.title},
                           {"lines", std::move(lines)}};
  return HttpResponse::Json(status, boost::json::serialize(body));
}

awaitable<HttpResponse> Login(const CounterServices& services, const HttpRequest& request,
                              Language language) {
  if (!SameOrigin(request)) co_return HttpResponse::Text(403, "cross-site login refused\n");
  auto form = ParseFormUrlEncoded(request.body);
  if (!form) co_return HttpResponse::Text(400, form.error().message() + "\n");
  const std::string staff_id(FindField(*form, "staff").value_or("").substr(0, 64));
  const std::string pin(FindField(*form, "pin").value_or("").substr(0, 64));
  if (!services.login_limit->Allow(request.remote_address)) {
    HttpResponse refused =
        HttpResponse::Html(429, RenderCounterLogin(language, Msg::kErrorTooManyAttempts, staff_id));
    refused.headers.emplace_back("Retry-After", "60");
    co_return refused;
  }
  if (services.staff->LockedFor(staff_id)) {
    co_return HttpResponse::Html(429,
                                 RenderCounterLogin(language, Msg::kCounterLockedOut, staff_id));
  }
  const StaffMember* member = services.staff->Find(staff_id);
  // An unknown id costs the same scrypt run as a known one: timing tells nothing.
  const auto check = [pin, hash = member ? member->pin_hash : services.staff->decoy_hash()] {
    return VerifyStaffPin(pin, hash);
  };
  const bool pin_ok = co_await RunBlocking(*services.blocking_pool, check);
  if (!member || !pin_ok) {
    services.staff->RecordFailure(staff_id);
    LogWarning("counter", "failed staff login from ", request.remote_address);
    const bool locked = services.staff->LockedFor(staff_id).has_value();
    co_return HttpResponse::Html(
        locked ? 429 : 401,
        RenderCounterLogin(language, locked ? Msg::kCounterLockedOut : Msg::kCounterLoginFailed,
                           staff_id));
  }
  auto token = services.staff->Open(*member);
  if (!token) co_return HttpResponse::Text(503, token.error().message() + "\n");
  LogInfo("counter", "staff ", member->id, " logged in");
  HttpResponse response = SeeOther("/counter");
  response.headers.emplace_back("Set-Cookie",
                                SessionCookie(services, *token,
                                              std::chrono::duration_cast<std::chrono::seconds>(
                                                  services.staff->policy().session_lifetime)));
  co_return response;
}

awaitable<HttpResponse> RedeemCode(const CounterServices& services, const HttpRequest& request,
                                   const Visit& visit) {
  auto form = ParseFormUrlEncoded(request.body);
  if (!form) co_return HttpResponse::Text(400, form.error().message() + "\n");
  if (FindField(*form, "csrf") != visit.session->csrf_token) {
    co_return HttpResponse::Text(403, "stale counter page: reload it\n");
  }
  RedemptionAttempt attempt{
      std::string(FindField(*form, "code").value_or("")),
      ParseScanSource(FindField(*form, "source").value_or("typed")).value_or(ScanSource::kTyped),
      visit.session->staff_id};
  if (attempt.code.size() > 2 * kMaxVoucherTokenLength) {
    attempt.code.resize(2 * kMaxVoucherTokenLength);  // refused as not a voucher, still recorded
  }
  auto outcome = co_await Redeem(services.desk, attempt);
  if (!outcome) {
    LogError("counter", "redemption not recorded: ", outcome.error().message());
    CounterResult failed{false, std::string(Text(Msg::kCounterNotRecorded, visit.language)), {}};
    co_return ResultResponse(request, visit.language, 503, "error", "not_recorded", failed);
  }
  const CounterResult result = Describe(visit.language, *outcome);
  co_return ResultResponse(request, visit.language, 200,
                           outcome->redeemed() ? "redeemed" : "refused",
                           outcome->refusal ? ToString(*outcome->refusal) : "", result);
}

struct FrameScan {
  Result<std::vector<std::string>> texts = std::vector<std::string>();
  double decode_ms = 0;
};

awaitable<HttpResponse> ScanPostedFrame(const CounterServices& services, const HttpRequest& request,
                                        const Visit& visit) {
  if (request.Header("x-counter-csrf") != visit.session->csrf_token) {
    co_return HttpResponse::Text(403, "stale counter page: reload it\n");
  }
  const std::string_view type = request.Header("content-type").value_or("");
  if (!type.starts_with("image/jpeg") && !type.starts_with("image/png")) {
    co_return HttpResponse::Text(415, "send the frame as image/jpeg or image/png\n");
  }
  if (!services.frame_limit->Allow(visit.token)) {
    HttpResponse slow =
        HttpResponse::Json(429, StrCat(R"({"texts":[],"status":"over )", services.frame_max_fps,
                                       R"( frames per second: frame skipped"})"));
    slow.headers.emplace_back("Retry-After", "1");
    co_return slow;
  }
  const auto decode = [&body = request.body] {
    const auto started = std::chrono::steady_clock::now();
    FrameScan scan;
    auto image = DecodeImageBytes(body);
    if (!image) {
      scan.texts = image.error();
    } else {
      scan.texts = ScanFrame(*image, LiveScanSteps()).texts;
    }
    scan.decode_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
            .count();
    return scan;
  };
  const FrameScan scan = co_await RunBlocking(*services.blocking_pool, decode);
  if (services.decode_seconds != nullptr) services.decode_seconds->Observe(scan.decode_ms / 1000);
  if (!scan.texts) co_return HttpResponse::Text(400, scan.texts.error().message() + "\n");
  boost::json::array texts;
  for (const std::string& text : *scan.texts) texts.emplace_back(text);
  boost::json::object body{{"texts", std::move(texts)},
                           {"decode_ms", scan.decode_ms},
                           {"status", scan.texts->empty() ? "looking" : "code found"}};
  co_return HttpResponse::Json(200, boost::json::serialize(body));
}

}  // namespace

awaitable<std::optional<HttpResponse>> RouteCounter(const CounterServices& services,
                                                    const HttpRequest& request) {
  const std::string_view path = request.Path();
  if (path != "/counter" && !path.starts_with("/counter/")) co_return std::nullopt;
  const bool get = request.method == "GET" || request.method == "HEAD";
  const bool post = request.method == "POST";
  const Visit visit = Identify(services, request);

  if (path == "/counter" && get) {
    if (!visit.session) {
      co_return HttpResponse::Html(200, RenderCounterLogin(visit.language, std::nullopt, ""));
    }
    const bool device_camera =
        services.camera->Snapshot().state != CounterCameraState::kNotConfigured;
    co_return HttpResponse::Html(
        200, RenderCounterPage(visit.language, visit.session->staff_name, visit.session->csrf_token,
                               device_camera, services.frame_max_fps));
  }
  if (path == "/counter/login" && post) co_return co_await Login(services, request, visit.language);

  const bool known = (path == "/counter/logout" && post) || (path == "/counter/redeem" && post) ||
                     (path == kCounterFramePath && post) || (path == "/counter/camera" && get);
  if (!known) co_return HttpResponse::Text(404, "not found\n");
  if (!visit.session) co_return NoSession(request, visit.language);
  if (post && !SameOrigin(request))
    co_return HttpResponse::Text(403, "cross-site request refused\n");

  if (path == "/counter/logout") {
    auto form = ParseFormUrlEncoded(request.body);
    if (!form || FindField(*form, "csrf") != visit.session->csrf_token) {
      co_return HttpResponse::Text(403, "stale counter page: reload it\n");
    }
    services.staff->Close(visit.token);
    HttpResponse response = SeeOther("/counter");
    response.headers.emplace_back("Set-Cookie",
                                  SessionCookie(services, "", std::chrono::seconds(0)));
    co_return response;
  }
  if (path == "/counter/redeem") co_return co_await RedeemCode(services, request, visit);
  if (path == kCounterFramePath) co_return co_await ScanPostedFrame(services, request, visit);
  co_return HttpResponse::Json(
      200, boost::json::serialize(CounterCameraJson(services.camera->Snapshot())));
}

}  // namespace kiosk_edge
