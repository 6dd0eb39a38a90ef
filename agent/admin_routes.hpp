#pragma once

#include "agent/shopper_routes.hpp"
#include "common/http_types.hpp"

namespace kiosk_edge {

// The local admin API that kioskctl uses, served only on the Unix socket in the state folder
// (the socket file's owner-only permissions are the access check). JSON in and out:
//   GET  /admin/channels               every channel with its code URL
//   POST /admin/channels               define (or redefine) a channel: {"id","name","medium",
//                                      "path","campaign"?,"store"?,"active_from_ms"?,
//                                      "active_until_ms"?}; 201 with the channel
//   POST /admin/channels/<ID>/retire   retire a channel: its code then lands on the page as
//                                      "not active" but is still recorded
// Errors are {"error": "..."} with 400 (bad input), 404 (unknown channel) or 503 (journal full).
HttpHandler MakeAdminRoutes(const ShopperServices* services, std::string store_id);

}  // namespace kiosk_edge
