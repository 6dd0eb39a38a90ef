#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace kiosk_edge {

// kiosk-agent's command line. Flags override the config file, which overrides the defaults.
struct AgentCommandLine {
  std::optional<std::filesystem::path> config_file;
  std::optional<std::filesystem::path> state_dir;
  std::optional<std::uint16_t> port;
  bool show_help = false;
  bool show_version = false;
};

// kInvalidArgument with a one-line reason for an unknown flag or a bad value.
Result<AgentCommandLine> ParseAgentCommandLine(std::span<const std::string_view> args);

std::string_view AgentUsage();

}  // namespace kiosk_edge
