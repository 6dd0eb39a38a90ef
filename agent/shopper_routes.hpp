#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <optional>
#include <string>
#include <vector>

#include "agent/channel_token.hpp"
#include "agent/channels.hpp"
#include "agent/journal.hpp"
#include "agent/presence_code.hpp"
#include "agent/request_guards.hpp"
#include "agent/voucher_check.hpp"
#include "agent/voucher_issue.hpp"
#include "common/clock.hpp"
#include "common/http_types.hpp"
#include "common/pii_seal.hpp"
#include "common/rate_limiter.hpp"

namespace kiosk_edge {

// Everything the shopper's routes use. All of it outlives the HTTP server. The channel-code keys
// and HQ's sealing key change when HQ's config bundle does (HqConfigKeeper): take one snapshot
// per request.
struct ShopperServices {
  Journal* journal;
  ChannelRegistry* channels;
  const ChannelCodecHolder* channel_codes;
  const PresenceCodec* presence_codes;
  const BlindIndexer* blind_index;
  const CsrfGuard* csrf;
  RateLimiter* signup_limit_per_device;
  RateLimiter* signup_limit_per_address;
  boost::asio::thread_pool* blocking_pool;  // sealing personal data is CPU work
  const Clock* clock;
  const SharedSnapshot<std::string>* hq_public_key;  // X25519: names and phones are sealed for it
  std::vector<std::string> extra_country_codes;
  std::string public_base_url;   // "https://kiosk-12.example.com:8471": what QR codes point at
  bool secure_cookies = false;   // CodesPointAtHttps
  std::string default_campaign;  // for signups that came through no known channel
  std::string consent_text_version;
  std::string kiosk_channel_id;   // the channel of this kiosk's own screen
  std::string store_id;           // the store this kiosk stands in
  const VoucherIssuer* vouchers;  // signs the signup gift voucher
  TrustStore* trust;              // which kiosks' vouchers are genuine
};

// The shopper's routes (DESIGN.md §2, flows 1 and 2):
//   GET  /c/<token>    scan of a channel code: recorded durably, then the landing page
//   GET  /k/<token>    scan of the kiosk screen's presence code: likewise
//   GET  /signup       the signup form;  POST /signup  a signup, durable before the answer
//   GET  /v/<token>    the shopper's gift voucher (shown after signup, and at this address)
//   GET  /kiosk        the kiosk's attract screen;  GET /kiosk/code  its current code as JSON
// Returns nullopt for any other path.
boost::asio::awaitable<std::optional<HttpResponse>> RouteShopper(const ShopperServices& services,
                                                                 const HttpRequest& request);

// The URL a channel's printed code carries: BASE/C/<token>, upper-cased so that the whole URL
// encodes in QR alphanumeric mode.
Result<std::string> ChannelCodeUrl(const ShopperServices& services, std::string_view channel_id);

}  // namespace kiosk_edge
