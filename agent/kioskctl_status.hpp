#pragma once

// kioskctl's operational commands (kioskctl(1)): status, sync now, events tail, voucher show.
// They talk to the running kiosk-agent's admin API (admin_status.hpp) over the Unix socket in the
// state folder. Each returns kioskctl's exit code: 0 done (status: nothing needs attention),
// 1 failed or (status) something needs attention, 2 bad command line.

#include <boost/json/value.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <ostream>
#include <span>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace kiosk_edge {

using KioskctlOptions = std::map<std::string, std::string, std::less<>>;  // --name value

// One admin request to the agent of `state_dir`: the parsed JSON answer, or the agent's error
// message (kInvalidArgument for an HTTP error status, kIo when the agent cannot be reached or
// answered something that is not JSON).
// `deadline` bounds the whole exchange.
Result<boost::json::value> CallAgent(const std::filesystem::path& state_dir,
                                     std::string_view method, std::string_view target,
                                     std::string_view body = {},
                                     std::chrono::milliseconds deadline = std::chrono::seconds(10));

// `status [--max-offline-minutes N]`.
int StatusCommand(const std::filesystem::path& state_dir, const KioskctlOptions& options,
                  std::ostream& out, std::ostream& err);
// `sync now|renew-certificate [--timeout-seconds N]`.
int SyncCommand(const std::filesystem::path& state_dir, std::span<const std::string_view> words,
                const KioskctlOptions& options, std::ostream& out, std::ostream& err);
// `events tail [--n N] [--follow]`. With --follow it prints new events as they arrive until the
// agent goes away (exit 1) or `keep_following` returns false (exit 0; checked between waits).
int EventsCommand(
    const std::filesystem::path& state_dir, std::span<const std::string_view> words,
    const KioskctlOptions& options, std::ostream& out, std::ostream& err,
    const std::function<bool()>& keep_following = [] { return true; });
// `voucher show CODE`.
int VoucherCommand(const std::filesystem::path& state_dir, std::span<const std::string_view> words,
                   std::ostream& out, std::ostream& err);

// The reasons a status answer (GET /admin/status) needs attention, "; "-joined, empty when none:
// dead letters present, the journal over 80% of its budget, the camera configured but failed,
// enrolled and never synced after a finished attempt, not caught up with HQ for longer than
// `max_offline_minutes`, or the [https] certificate expired or expiring within 14 days.
std::string StatusAttention(const boost::json::object& status, std::int64_t max_offline_minutes);

}  // namespace kiosk_edge
