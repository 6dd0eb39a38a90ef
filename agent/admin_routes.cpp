#include "agent/admin_routes.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "agent/journal_await.hpp"
#include "agent/phone_number.hpp"
#include "common/blocking.hpp"
#include "common/crypto.hpp"
#include "common/json_fields.hpp"

namespace kiosk_edge {
namespace {

using boost::asio::awaitable;

HttpResponse JsonError(unsigned status, std::string_view message) {
  boost::json::object body{{"error", message}};
  return HttpResponse::Json(status, boost::json::serialize(body));
}

boost::json::object ChannelJson(const ShopperServices& services, const Channel& channel) {
  boost::json::object json{{"id", channel.id},
                           {"name", channel.name},
                           {"medium", ToString(channel.medium)},
                           {"path", channel.path},
                           {"campaign", channel.campaign},
                           {"store", channel.store},
                           {"retired", channel.retired}};
  if (channel.active_from_ms) json["active_from_ms"] = *channel.active_from_ms;
  if (channel.active_until_ms) json["active_until_ms"] = *channel.active_until_ms;
  if (auto url = ChannelCodeUrl(services, channel.id)) json["code_url"] = *url;
  return json;
}

// Appends `draft`, then applies it to the registry, so the kiosk uses what it has recorded.
awaitable<HttpResponse> Record(const ShopperServices& services, EventDraft& draft,
                               unsigned success_status, const std::string& channel_id) {
  const std::string type = draft.type;
  const std::string payload = draft.payload_json;
  auto seq = co_await AppendDurably(*services.journal, draft);
  if (!seq) {
    co_return JsonError(seq.error().kind() == ErrorKind::kJournalFull ? 503 : 500,
                        seq.error().message());
  }
  if (auto applied = services.channels->Apply(type, payload); !applied) {
    co_return JsonError(500, applied.error().message());
  }
  const auto channel = services.channels->Find(channel_id);
  co_return HttpResponse::Json(success_status,
                               boost::json::serialize(ChannelJson(services, *channel)));
}

awaitable<HttpResponse> DefineChannel(const ShopperServices& services, const std::string& store_id,
                                      const HttpRequest& request) {
  boost::system::error_code parse_error;
  const boost::json::value parsed = boost::json::parse(request.body, parse_error);
  if (parse_error || !parsed.is_object()) co_return JsonError(400, "send a JSON object");
  const auto& json = parsed.as_object();
  Channel channel;
  channel.id = JsonString(json, "id");
  channel.name = JsonString(json, "name");
  const auto medium = ParseMedium(JsonString(json, "medium", "poster"));
  if (!medium) {
    co_return JsonError(400,
                        "medium must be poster, elevator, flyer, counter_card, kiosk_screen or "
                        "online");
  }
  channel.medium = *medium;
  channel.path = JsonString(json, "path");
  channel.campaign = JsonString(json, "campaign", services.default_campaign);
  channel.store = JsonString(json, "store", store_id);
  channel.active_from_ms = JsonInt(json, "active_from_ms");
  channel.active_until_ms = JsonInt(json, "active_until_ms");
  if (auto valid = ValidateChannel(channel); !valid) {
    co_return JsonError(400, valid.error().message());
  }
  if (const auto known = services.channels->Find(channel.id); known && known->defined_by_hq) {
    co_return JsonError(409, "channel " + channel.id + " is defined by HQ; change it there");
  }
  EventDraft draft = ChannelDefinedEvent(channel);
  co_return co_await Record(services, draft, 201, channel.id);
}

// A shopper withdraws marketing consent through staff (at the counter, or by phone to support):
// journals consent_withdrawn with the number sealed for HQ, which takes the shopper out of its
// audiences when the event syncs. Neither the number nor anything derived from it is logged or
// echoed.
awaitable<HttpResponse> WithdrawConsent(const ShopperServices& services,
                                        const HttpRequest& request) {
  boost::system::error_code parse_error;
  const boost::json::value parsed = boost::json::parse(request.body, parse_error);
  if (parse_error || !parsed.is_object()) co_return JsonError(400, "send a JSON object");
  const PhoneResult phone =
      NormalizePhone(JsonString(parsed.as_object(), "phone"), services.extra_country_codes);
  if (phone.problem) {
    co_return JsonError(400, "phone: must be a mobile number this kiosk accepts at signup");
  }
  const auto seal = [hq_key = services.hq_public_key->Current(), e164 = phone.e164] {
    return SealForHq(*hq_key, e164, "signup.phone");
  };
  const Result<std::string> sealed = co_await RunBlocking(*services.blocking_pool, seal);
  if (!sealed) co_return JsonError(500, "cannot seal the number for HQ");
  const boost::json::object payload{{"phone", *sealed}, {"purpose", "marketing"}};
  EventDraft draft{"consent_withdrawn", std::nullopt, 1, boost::json::serialize(payload),
                   std::nullopt};
  auto seq = co_await AppendDurably(*services.journal, draft);
  if (!seq) {
    co_return JsonError(seq.error().kind() == ErrorKind::kJournalFull ? 503 : 500,
                        seq.error().message());
  }
  const boost::json::object body{{"seq", *seq}, {"purpose", "marketing"}};
  co_return HttpResponse::Json(201, boost::json::serialize(body));
}

awaitable<HttpResponse> RouteAdmin(const ShopperServices* services, std::string store_id,
                                   HttpRequest request) {
  const std::string_view path = request.Path();
  if (path == "/admin/channels" && request.method == "GET") {
    boost::json::array channels;
    for (const Channel& channel : services->channels->All()) {
      channels.push_back(ChannelJson(*services, channel));
    }
    boost::json::object body{{"channels", std::move(channels)}};
    co_return HttpResponse::Json(200, boost::json::serialize(body));
  }
  if (path == "/admin/channels" && request.method == "POST") {
    co_return co_await DefineChannel(*services, store_id, request);
  }
  if (path == "/admin/consent-withdrawals" && request.method == "POST") {
    co_return co_await WithdrawConsent(*services, request);
  }
  constexpr std::string_view kPrefix = "/admin/channels/";
  constexpr std::string_view kRetire = "/retire";
  if (request.method == "POST" && path.starts_with(kPrefix) && path.ends_with(kRetire)) {
    const std::string id(
        path.substr(kPrefix.size(), path.size() - kPrefix.size() - kRetire.size()));
    const auto known = services->channels->Find(id);
    if (!known) co_return JsonError(404, "no channel " + id);
    if (known->defined_by_hq) {
      co_return JsonError(409, "channel " + id + " is defined by HQ; retire it there");
    }
    EventDraft draft = ChannelRetiredEvent(id);
    co_return co_await Record(*services, draft, 200, id);
  }
  co_return JsonError(404, "no such admin endpoint");
}

}  // namespace

HttpHandler MakeAdminRoutes(const ShopperServices* services, std::string store_id) {
  return [services, store_id](HttpRequest request) {
    return RouteAdmin(services, store_id, std::move(request));
  };
}

}  // namespace kiosk_edge
