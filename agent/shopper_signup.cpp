#include "agent/shopper_signup.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "agent/journal_await.hpp"
#include "agent/shopper_pages.hpp"
#include "agent/signup.hpp"
#include "agent/voucher_issue.hpp"
#include "common/blocking.hpp"
#include "common/http_forms.hpp"
#include "common/log.hpp"

namespace kiosk_edge {
namespace {

using boost::asio::awaitable;

struct SealedContact {
  Result<std::string> name = Error(ErrorKind::kInternal, "not sealed");
  Result<std::string> phone = Error(ErrorKind::kInternal, "not sealed");
};

HttpResponse FormAgain(Language language, unsigned status, const SignupFields& typed,
                       const SignupErrors& errors, const ShopperServices& services,
                       std::string_view device_id, bool touch) {
  return HttpResponse::Html(
      status, RenderSignupPage(language, typed, errors, services.csrf->Issue(device_id), touch));
}

// The page for a capture that could not be made durable.
HttpResponse ErrorPage(Language language, const Error& error) {
  if (error.kind() == ErrorKind::kJournalFull) {
    return HttpResponse::Html(503, RenderNoticePage(language, Msg::kErrorJournalFull));
  }
  LogError("shopper", "signup not recorded: ", error.message());
  return HttpResponse::Html(500, RenderNoticePage(language, Msg::kErrorTryAgain));
}

}  // namespace

awaitable<HttpResponse> HandleSignupPost(const ShopperServices& services,
                                         const HttpRequest& request) {
  const std::string_view cookies = request.Header("cookie").value_or("");
  const Language language =
      ChooseLanguage(FindCookie(cookies, "lang"), request.Header("accept-language"));
  const std::string device_id(FindCookie(cookies, "kd").value_or(""));
  const std::string_view content_type = request.Header("content-type").value_or("");
  if (!content_type.starts_with("application/x-www-form-urlencoded")) {
    co_return HttpResponse::Text(415, "send the form as application/x-www-form-urlencoded\n");
  }
  auto form = ParseFormUrlEncoded(request.body);
  if (!form) co_return HttpResponse::Text(400, form.error().message() + "\n");
  const SignupFields typed = ReadSignupFields(*form);
  const bool touch = FindField(*form, "touch") == "1";

  if (!services.signup_limit_per_device->Allow(device_id.empty() ? "none" : device_id) ||
      !services.signup_limit_per_address->Allow(request.remote_address)) {
    HttpResponse refused =
        HttpResponse::Html(429, RenderNoticePage(language, Msg::kErrorTooManyAttempts));
    refused.headers.emplace_back("Retry-After", "60");
    co_return refused;
  }
  if (!services.csrf->Check(device_id, typed.csrf)) {
    // Expired or missing token (or cookies off): show the form again, nothing typed is lost.
    SignupErrors errors;
    errors.consent = Msg::kErrorFormExpired;
    co_return FormAgain(language, 403, typed, errors, services, device_id, touch);
  }
  ValidSignup valid;
  const SignupErrors errors = ValidateSignup(typed, services.extra_country_codes, valid);
  if (errors.Any()) co_return FormAgain(language, 422, typed, errors, services, device_id, touch);

  const auto channel = services.channels->Find(typed.channel_id);
  const std::string campaign = channel ? channel->campaign : services.default_campaign;
  const std::string phone_index = services.blind_index->Index(valid.e164, "phone");
  const auto seal = [hq_key = services.hq_public_key->Current(), name = valid.name,
                     phone = valid.e164] {
    return SealedContact{SealForHq(*hq_key, name, "signup.name"),
                         SealForHq(*hq_key, phone, "signup.phone")};
  };
  const SealedContact sealed = co_await RunBlocking(*services.blocking_pool, seal);
  if (!sealed.name || !sealed.phone) {
    LogError("shopper", "cannot seal signup: ",
             (!sealed.name ? sealed.name.error() : sealed.phone.error()).message());
    co_return HttpResponse::Html(500, RenderNoticePage(language, Msg::kErrorTryAgain));
  }

  boost::json::object payload{{"device", device_id},
                              {"campaign", campaign},
                              {"name", *sealed.name},
                              {"phone", *sealed.phone},
                              {"phone_index", phone_index},
                              {"consent",
                               {{"service", true},
                                {"marketing", valid.marketing},
                                {"text_version", services.consent_text_version}}},
                              {"language", LanguageTag(language)},
                              {"source", touch ? "kiosk_touch" : "phone"}};
  const std::string signup_claim = StrCat("signup:", campaign, ":", phone_index);
  const std::optional<std::string> channel_id = channel ? std::optional(channel->id) : std::nullopt;
  EventDraft signup{"signup", channel_id, 1, boost::json::serialize(payload), signup_claim};
  auto seq = co_await AppendDurably(*services.journal, signup);
  const bool already_signed_up = !seq && seq.error().kind() == ErrorKind::kConflict;
  if (!seq && !already_signed_up) co_return ErrorPage(language, seq.error());

  // The voucher is its own event, claimed once per signup. After "already signed up" this
  // issues the voucher only if a crash came between the two events; otherwise it conflicts.
  auto voucher =
      co_await IssueSignupVoucher(*services.vouchers, signup_claim, campaign, channel_id);
  if (voucher) {
    co_return HttpResponse::Html(200, RenderVoucherPage(language, voucher->voucher, voucher->token,
                                                        VoucherPageKind::kJustIssued, touch));
  }
  if (voucher.error().kind() == ErrorKind::kConflict) {
    co_return HttpResponse::Html(200, RenderThanksPage(language, true, touch));
  }
  LogError("shopper", "voucher not issued: ", voucher.error().message());
  co_return ErrorPage(language, voucher.error());
}

}  // namespace kiosk_edge
