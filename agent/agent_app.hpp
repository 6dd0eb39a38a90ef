#pragma once

#include <span>
#include <string_view>

namespace kiosk_edge {

// Runs kiosk-agent with its command-line arguments (without the program name) until SIGTERM or
// SIGINT, and returns the process exit code: 0 after a clean shutdown, 2 for a bad command
// line or config (nothing on disk is touched then), 1 when startup or the journal fails.
int RunKioskAgent(std::span<const std::string_view> args);

}  // namespace kiosk_edge
