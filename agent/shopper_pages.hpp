#pragma once

#include <string>
#include <string_view>

#include "agent/messages.hpp"
#include "agent/signup.hpp"
#include "agent/voucher_token.hpp"

namespace kiosk_edge {

// The shopper's pages: mobile-first HTML with inline CSS, no external fonts, scripts or CDNs.
// Their styles and scripts come from page_assets.hpp, whose policy admits nothing else. Every
// piece of data is HTML-escaped here; callers pass raw text.

// After a scan: the offer and the way to sign up. `invalid_code` adds a notice that the code was
// not recognised (the shopper can still sign up, attributed to no channel).
std::string RenderLandingPage(Language language, std::string_view channel_id, bool invalid_code);

// The signup form, with what was typed kept and each error shown next to its field.
// `kiosk_touch` marks the kiosk's own touchscreen: the page returns to /kiosk when left idle, and
// its fields turn autocomplete off, so that the kiosk's browser keeps nothing for the next shopper.
std::string RenderSignupPage(Language language, const SignupFields& typed,
                             const SignupErrors& errors, std::string_view csrf_token,
                             bool kiosk_touch);

// After a signup, or when the phone number had already signed up for this campaign.
std::string RenderThanksPage(Language language, bool already_signed_up, bool kiosk_touch);

// The shopper's gift voucher: its QR code large on a white field (with a hint to turn the
// screen brightness up), the token text for typing, the gift, the store and the expiry.
// kJustIssued also thanks for the signup and moves the address bar to /v/<token>, so that a
// reload or a bookmark shows the voucher again instead of re-sending the form.
enum class VoucherPageKind { kJustIssued, kShown, kExpired };
std::string RenderVoucherPage(Language language, const Voucher& voucher, std::string_view token,
                              VoucherPageKind kind, bool kiosk_touch);

// A page that only says `message` (too many attempts, kiosk full, try again).
std::string RenderNoticePage(Language language, Msg message);

// The kiosk's attract screen: the rotating presence code (an inline SVG), the offer, a touch
// button to sign up on the kiosk itself, and an offline badge. The page fetches
// /kiosk/code every few seconds and swaps the code in when it changes.
std::string RenderKioskScreen(Language language, std::string_view qr_svg, bool offline);

}  // namespace kiosk_edge
