#pragma once

#include <boost/asio/awaitable.hpp>

#include "agent/shopper_routes.hpp"

namespace kiosk_edge {

// POST /signup: checks the form (CSRF, rate limits, every field), seals the name and phone for
// HQ, and records one signup per phone per campaign; the thanks page is sent only after the
// signup event is durable. Errors re-show the form with everything typed kept.
boost::asio::awaitable<HttpResponse> HandleSignupPost(const ShopperServices& services,
                                                      const HttpRequest& request);

}  // namespace kiosk_edge
