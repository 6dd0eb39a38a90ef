#include "agent/command_line.hpp"

#include <charconv>

#include "common/strings.hpp"

namespace kiosk_edge {

std::string_view AgentUsage() {
  return R"(usage: kiosk-agent [--config FILE] [--state-dir DIR] [--port N]

The kiosk-edge kiosk daemon: records scans, signups and redemptions durably and serves the
kiosk's pages. With no config file it runs on the embedded defaults (every key is described
in /etc/kiosk-edge/kiosk-agent.toml as installed, config/kiosk-agent.toml in the sources).

  --config FILE     read settings from this TOML file
  --state-dir DIR   keep the journal and keys here (overrides [state] dir)
  --port N          listen on this port; 0 picks a free one (overrides [http] port)
  --help            show this text
  --version         show the version

Environment: STATE_DIRECTORY is the state folder when neither --state-dir nor [state] dir
says (systemd's StateDirectory=); NOTIFY_SOCKET and WATCHDOG_USEC make it report readiness
and feed the watchdog (Type=notify, WatchdogSec=). SIGTERM or SIGINT stops it after the
requests in flight. Exit status: 0 after a clean stop, 2 for a bad command line or config,
1 when startup fails. See kiosk-agent(8).
)";
}

Result<AgentCommandLine> ParseAgentCommandLine(std::span<const std::string_view> args) {
  AgentCommandLine parsed;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view flag = args[i];
    if (flag == "--help" || flag == "-h") {
      parsed.show_help = true;
      continue;
    }
    if (flag == "--version") {
      parsed.show_version = true;
      continue;
    }
    if (flag != "--config" && flag != "--state-dir" && flag != "--port") {
      return Error(ErrorKind::kInvalidArgument, StrCat("unknown option '", flag, "' (see --help)"));
    }
    if (i + 1 == args.size()) {
      return Error(ErrorKind::kInvalidArgument, StrCat(flag, " needs a value"));
    }
    const std::string_view value = args[++i];
    if (flag == "--config") {
      parsed.config_file = std::filesystem::path(value);
    } else if (flag == "--state-dir") {
      parsed.state_dir = std::filesystem::path(value);
    } else {
      std::uint16_t port = 0;
      const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), port);
      if (error != std::errc() || end != value.data() + value.size()) {
        return Error(ErrorKind::kInvalidArgument,
                     StrCat("--port must be a number from 0 to 65535, got '", value, "'"));
      }
      parsed.port = port;
    }
  }
  return parsed;
}

}  // namespace kiosk_edge
