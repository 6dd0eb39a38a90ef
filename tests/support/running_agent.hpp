#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <string>

#include "support/child_process.hpp"

namespace kiosk_edge::testing {

// A kiosk-agent process on a free loopback port with its own state folder, started from the
// banner it prints: the port, the [https] port when it listens for phones, and the URL of every
// channel code.
class RunningAgent {
 public:
  // `config_toml` is written to a file beside the state folder; "" means no config file.
  RunningAgent(const std::filesystem::path& dir, const std::string& config_toml = "")
      : state_dir_(dir / "state") {
    std::vector<std::string> argv = {KIOSK_AGENT_BINARY, "--state-dir", state_dir_.string(),
                                     "--port", "0"};
    if (!config_toml.empty()) {
      const auto config = dir / "kiosk-agent.toml";
      std::ofstream(config) << config_toml;
      argv.insert(argv.end(), {"--config", config.string()});
    }
    process_ = std::make_unique<ChildProcess>(argv);
    const std::regex health(R"(health:\s+http://127\.0\.0\.1:(\d+)/healthz)");
    const std::regex phones(R"(phones:\s+https://[^:]+:(\d+))");
    const std::regex channel(R"(channel code:\s+(\S+/C/([A-Z0-9-]+)\.\S+))");
    const std::regex demo_pin(R"(counter:.*demo staff ID "demo", PIN (\d+))");
    std::string line;
    while (process_->ReadStdoutLine(line)) {
      std::smatch match;
      if (std::regex_search(line, match, channel)) channel_urls_[match[2]] = match[1];
      if (std::regex_search(line, match, demo_pin)) demo_pin_ = match[1];
      if (std::regex_search(line, match, phones)) {
        phones_port_ = static_cast<std::uint16_t>(std::stoi(match[1]));
      }
      if (std::regex_search(line, match, health)) {
        port_ = static_cast<std::uint16_t>(std::stoi(match[1]));
        break;
      }
    }
  }

  std::uint16_t port() const { return port_; }
  // The [https] listener's port; 0 when the agent does not listen for phones.
  std::uint16_t phones_port() const { return phones_port_; }
  const std::filesystem::path& state_dir() const { return state_dir_; }
  // A channel's code URL ("HTTP://127.0.0.1:8470/C/EL3-POSTER-V2.A…": upper case, for the QR
  // code's alphanumeric mode), from the banner.
  std::string ChannelUrl(const std::string& channel_id) const {
    const auto found = channel_urls_.find(channel_id);
    return found == channel_urls_.end() ? std::string() : found->second;
  }
  // The path part ("/C/EL3-POSTER-V2.A…") of a channel's code.
  std::string ChannelPath(const std::string& channel_id) const {
    const std::string url = ChannelUrl(channel_id);
    return url.empty() ? url : url.substr(url.find("/C/"));
  }
  // The counter's demo staff PIN (staff ID "demo"), when the agent runs without [staff.*].
  const std::string& demo_pin() const { return demo_pin_; }
  // Kills the agent with SIGKILL, as a power cut would; its exit status.
  int Kill() {
    process_->Signal(SIGKILL);
    return process_->Wait();
  }
  // Sends SIGHUP (reload the [https] certificate and the HQ enrollment) and waits for the agent
  // to log the outcome `about` one of them; that line ("" if the agent closed stderr first).
  std::string Reload(std::string_view about = "[https]") {
    process_->Signal(SIGHUP);
    for (std::string line; process_->ReadStderrLine(line);) {
      if (line.find("SIGHUP: ") != std::string::npos && line.find(about) != std::string::npos) {
        return line;
      }
    }
    return "";
  }
  // Stops the agent with SIGTERM; its exit status, and everything it wrote to stderr.
  int Stop(std::string* log = nullptr) {
    process_->Signal(SIGTERM);
    if (log != nullptr) *log = process_->ReadAllStderr();
    return process_->Wait();
  }

 private:
  std::filesystem::path state_dir_;
  std::unique_ptr<ChildProcess> process_;
  std::uint16_t port_ = 0;
  std::uint16_t phones_port_ = 0;
  std::map<std::string, std::string> channel_urls_;
  std::string demo_pin_;
};

// kioskctl with `args` against `agent`'s state folder.
inline CommandResult Kioskctl(const RunningAgent& agent, std::vector<std::string> args) {
  args.insert(args.begin(), {KIOSKCTL_BINARY, "--state-dir", agent.state_dir().string()});
  return RunProgram(std::move(args));
}

// Whether `agent`'s counter now refuses voucher `token` for `reason` ("revoked",
// "already_redeemed", ...), asked without redeeming it (kioskctl voucher show). The agent saves
// HQ's config (hq-config.json, hq-redeemed.db) just before the counter gets it: a test that saw
// the file waits for this before the clerk scans.
inline bool CounterRefuses(const RunningAgent& agent, const std::string& token,
                           const std::string& reason) {
  return Kioskctl(agent, {"voucher", "show", token}).out.find("(" + reason + ":") !=
         std::string::npos;
}

}  // namespace kiosk_edge::testing
