#pragma once

// The styles and scripts of kiosk-agent's pages, and the Content-Security-Policy that admits
// exactly them. They go inline, so that a page is one request (phones on store Wi-Fi); the policy
// allows each by its SHA-256 and nothing else: no other script or style, no inline `style=` or
// event-handler attributes, no framing, no form posted elsewhere. A page's style or script
// belongs here, never in its markup: one written elsewhere is refused by every browser.

#include <string>
#include <string_view>

#include "common/http_types.hpp"

namespace kiosk_edge {
namespace page_assets {

// The shopper's pages (agent/shopper_pages.cpp).
extern const std::string_view kShopperStyle;
extern const std::string_view kVoucherStyle;
extern const std::string_view kKioskScreenStyle;
// Moves the address bar to the voucher's own address, named by <meta name="voucher-path">.
extern const std::string_view kVoucherAddressScript;
// Returns the kiosk's own touchscreen to the attract screen after two idle minutes.
extern const std::string_view kIdleResetScript;
// Keeps the kiosk screen's code current, polling /kiosk/code.
extern const std::string_view kKioskScreenScript;

// The clerk's counter (agent/counter_pages.cpp).
extern const std::string_view kCounterStyle;
extern const std::string_view kCounterScript;

}  // namespace page_assets

// "<style>css</style>" and "<script>js</script>", for the assets above only.
std::string InlineStyle(std::string_view css);
std::string InlineScript(std::string_view js);

// The Content-Security-Policy of kiosk-agent's answers: the assets above by hash, fetches and
// forms to the kiosk itself only, never in a frame.
std::string_view KioskContentSecurityPolicy();

// Adds that policy, X-Frame-Options: DENY and Referrer-Policy: same-origin to `response`: a
// voucher's address holds its token, so no other site may see it as a referrer. (no-referrer
// would also blank the Origin of the pages' own form posts, which the kiosk checks.)
void AddPageSecurityHeaders(HttpResponse& response);

}  // namespace kiosk_edge
