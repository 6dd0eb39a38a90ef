#pragma once

// The clerk's pages at /counter: large type and colours readable from a step away, no external
// resources; their style and script come from page_assets.hpp. Every piece of data is
// HTML-escaped here; callers pass raw text.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/messages.hpp"

namespace kiosk_edge {

// The PIN login. `error` is shown above the form; `staff_id` is what was typed.
std::string RenderCounterLogin(Language language, std::optional<Msg> error,
                               std::string_view staff_id);

// The counter: a code field (a keyboard-wedge scanner types into it and ends with Enter), the
// page's own camera, and, when `device_camera` is set, the status and reads of the kiosk's
// camera (polled from /counter/camera). Results appear in #result without leaving the page.
// `csrf_token` goes with every POST; the page's camera sends at most `frame_max_fps` frames a
// second.
std::string RenderCounterPage(Language language, std::string_view staff_name,
                              std::string_view csrf_token, bool device_camera, int frame_max_fps);

// The outcome of one redemption, for a browser without JavaScript (the form posts and lands
// here): green for redeemed, red otherwise. `lines` are label/value pairs under the title.
struct CounterResult {
  bool redeemed = false;
  std::string title;  // "Redeemed: Tote bag" or the refusal
  std::vector<std::pair<std::string, std::string>> lines;
};
std::string RenderCounterResultPage(Language language, const CounterResult& result);

}  // namespace kiosk_edge
