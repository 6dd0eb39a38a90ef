#pragma once

// A profile-store process on 127.0.0.1 with its own state folder (and SQLite, unless its config
// names another backend: hq_database.hpp), started from the banner it prints, and the
// command-line calls the sync tests make against it.

#include <filesystem>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "support/child_process.hpp"

namespace kiosk_edge::testing {

// Runs a command to completion; its stdout (stderr is kept in *err when given) and exit code.
inline int RunCommand(std::vector<std::string> argv, std::string* out, std::string* err = nullptr) {
  ChildProcess process(std::move(argv));
  std::string line;
  out->clear();
  while (process.ReadStdoutLine(line)) *out += line + "\n";
  const std::string errors = process.ReadAllStderr();
  if (err != nullptr) *err = errors;
  return process.Wait();
}

class RunningProfileStore {
 public:
  // `port` 0: any free port (read from the banner). `config`: a profile-store.toml, if any; the
  // command-line calls below use it too.
  RunningProfileStore(std::filesystem::path state_dir, std::uint16_t port = 0,
                      std::filesystem::path config = {})
      : state_dir_(std::move(state_dir)), config_(std::move(config)) {
    process_ = std::make_unique<ChildProcess>(
        Command({PROFILE_STORE_BINARY, "--state-dir", state_dir_.string(), "--port",
                 std::to_string(port)}));
    const std::regex url(R"(sync URL:\s+https://127\.0\.0\.1:(\d+))");
    std::string line;
    while (process_->ReadStdoutLine(line)) {
      std::smatch match;
      if (std::regex_search(line, match, url)) {
        port_ = static_cast<std::uint16_t>(std::stoi(match[1]));
        break;
      }
    }
  }

  std::uint16_t port() const { return port_; }
  const std::filesystem::path& state_dir() const { return state_dir_; }
  std::filesystem::path ca_file() const { return state_dir_ / "ca.pem"; }
  std::filesystem::path database() const { return state_dir_ / "profile-store.db"; }

  // A one-time enrollment token for `kiosk_id` (empty on failure).
  std::string EnrollToken(const std::string& kiosk_id) const {
    std::string out;
    if (RunCommand(Command({PROFILE_STORE_BINARY, "enroll-token", "--kiosk", kiosk_id,
                            "--state-dir", state_dir_.string()}),
                   &out) != 0) {
      return {};
    }
    return out.substr(0, out.find('\n'));
  }
  // `kioskctl enroll` of `kiosk_id`, with a fresh token and the kiosk's `agent_config` and
  // `kiosk_state` folder, reaching HQ on `via_port` (0: HQ's own; else a proxy's in front of it).
  CommandResult EnrollKiosk(const std::string& kiosk_id, const std::filesystem::path& agent_config,
                            const std::filesystem::path& kiosk_state,
                            std::uint16_t via_port = 0) const {
    return RunProgram({KIOSKCTL_BINARY, "--config", agent_config.string(), "--state-dir",
                       kiosk_state.string(), "enroll", "--hq",
                       "https://127.0.0.1:" + std::to_string(via_port != 0 ? via_port : port_),
                       "--token", EnrollToken(kiosk_id), "--ca", ca_file().string()});
  }
  int Revoke(const std::string& kiosk_id) const {
    std::string out;
    return RunCommand(Command({PROFILE_STORE_BINARY, "revoke-kiosk", kiosk_id, "--state-dir",
                               state_dir_.string()}),
                      &out);
  }

  // `argv` with --config FILE added when the store has a config file.
  std::vector<std::string> Command(std::vector<std::string> argv) const {
    if (!config_.empty()) argv.insert(argv.end(), {"--config", config_.string()});
    return argv;
  }

  // Sends SIGHUP (reload the HQ API tokens) and waits for the log line that answers it; that
  // line, or "" when profile-store ended first.
  std::string Reload() {
    process_->Signal(SIGHUP);
    for (std::string line; process_->ReadStderrLine(line);) {
      if (line.find("SIGHUP: ") != std::string::npos) return line;
    }
    return "";
  }

  // Stops it (SIGTERM) and waits; with `log`, first reads everything it wrote to stderr (its log)
  // until it exits.
  int Stop(std::string* log = nullptr) {
    process_->Signal(SIGTERM);
    if (log != nullptr) *log = process_->ReadAllStderr();
    return process_->Wait();
  }
  int Kill() {
    process_->Signal(SIGKILL);
    return process_->Wait();
  }

 private:
  std::filesystem::path state_dir_;
  std::filesystem::path config_;
  std::unique_ptr<ChildProcess> process_;
  std::uint16_t port_ = 0;
};

}  // namespace kiosk_edge::testing
