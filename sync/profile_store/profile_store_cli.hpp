#pragma once

// profile-store's commands for HQ's API (run on an analyst's machine or on HQ's, not needing the
// state folder):
//   attribution   the channel attribution report from a running profile-store, as an aligned
//                 table (default), CSV or JSON
//   audience not-redeemed / audience audit
//                 the audience of shoppers who had not redeemed (an audited export with their
//                 contact), and the audit of such exports
//   new-token     a fresh HQ API token and the config lines that accept it
//   hash-token    the config line for a token made elsewhere
// A further report command (an endpoint with its options; one word or two) is one entry in
// kReportCommands (profile_store_cli.cpp).

#include <iosfwd>
#include <span>
#include <string_view>

namespace kiosk_edge {

// The usage lines of these commands, for `profile-store --help`.
extern const std::string_view kHqCommandsUsage;

// True when `command` is one of the commands above.
bool IsHqCommand(std::string_view command);

// Runs `args` (the command first). Exit status: 0, 1 when the command failed (HQ unreachable or
// refusing, a file unreadable), 2 for a usage error.
int RunHqCommand(std::span<const std::string_view> args, std::ostream& out, std::ostream& err);

}  // namespace kiosk_edge
