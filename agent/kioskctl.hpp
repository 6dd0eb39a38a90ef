#pragma once

#include <iostream>
#include <span>
#include <string_view>

namespace kiosk_edge {

// kioskctl, the store manager's and installer's command line (DESIGN.md §2, flow 4). It talks to
// the running kiosk-agent over the Unix socket in the state folder; reading and writing that
// socket requires the agent's user (the socket is owner-only).
// Returns the exit code: 0 done, 1 failed (the message says why), 2 bad command line.
int RunKioskctl(std::span<const std::string_view> args, std::ostream& out, std::ostream& err,
                std::istream& in = std::cin);

}  // namespace kiosk_edge
