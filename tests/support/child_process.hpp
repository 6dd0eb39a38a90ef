#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <utility>
#include <vector>

extern char** environ;

namespace kiosk_edge::testing {

// A process started from a test with its stdout and stderr on pipes. Killed (SIGKILL) and
// reaped on destruction if still running.
class ChildProcess {
 public:
  explicit ChildProcess(std::vector<std::string> argv) {
    int out[2], err[2];
    if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) return;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
    std::vector<char*> raw;
    for (auto& arg : argv) raw.push_back(arg.data());
    raw.push_back(nullptr);
    if (posix_spawn(&pid_, raw[0], &actions, nullptr, raw.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    ::close(err[1]);
    stdout_fd_ = out[0];
    stderr_fd_ = err[0];
  }
  ~ChildProcess() {
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      Wait();
    }
    if (stdout_fd_ >= 0) ::close(stdout_fd_);
    if (stderr_fd_ >= 0) ::close(stderr_fd_);
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool started() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  int stdout_fd() const { return stdout_fd_; }

  // Reads stdout up to the next newline; false at end of stream.
  bool ReadStdoutLine(std::string& line) { return ReadLine(stdout_fd_, stdout_buffer_, line); }
  // Reads stderr up to the next newline; false at end of stream.
  bool ReadStderrLine(std::string& line) { return ReadLine(stderr_fd_, stderr_buffer_, line); }
  // Everything the child writes to stderr (beyond what ReadStderrLine took) until it closes it
  // (normally: until it exits).
  std::string ReadAllStderr() {
    std::string all = std::exchange(stderr_buffer_, {});
    char chunk[4096];
    for (ssize_t n; (n = ::read(stderr_fd_, chunk, sizeof chunk)) > 0;) all.append(chunk, n);
    return all;
  }
  void Signal(int signal_number) { ::kill(pid_, signal_number); }
  // Waits for the child to end; the raw wait status.
  int Wait() {
    ::waitpid(pid_, &status_, 0);
    reaped_ = true;
    return status_;
  }

 private:
  static bool ReadLine(int fd, std::string& buffer, std::string& line) {
    while (true) {
      if (auto newline = buffer.find('\n'); newline != std::string::npos) {
        line = buffer.substr(0, newline);
        buffer.erase(0, newline + 1);
        return true;
      }
      char chunk[1024];
      const ssize_t n = ::read(fd, chunk, sizeof chunk);
      if (n <= 0) return false;
      buffer.append(chunk, static_cast<std::size_t>(n));
    }
  }

  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
  std::string stdout_buffer_;
  std::string stderr_buffer_;
  bool reaped_ = false;
  int status_ = 0;
};

// A command run to completion: its exit code (-1 when it did not exit normally) and output.
struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline CommandResult RunProgram(std::vector<std::string> argv) {
  ChildProcess process(std::move(argv));
  CommandResult result;
  std::string line;
  while (process.ReadStdoutLine(line)) result.out += line + "\n";
  result.err = process.ReadAllStderr();
  const int status = process.Wait();
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

}  // namespace kiosk_edge::testing
