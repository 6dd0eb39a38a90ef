#include "common/systemd_notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <system_error>

#include "common/log.hpp"
#include "common/strings.hpp"

namespace kiosk_edge {
namespace {

// Parses a positive decimal integer filling all of `text`; nullopt otherwise.
template <class Integer>
std::optional<Integer> ParsePositive(const char* text) {
  if (text == nullptr) return std::nullopt;
  const std::string_view view(text);
  Integer value = 0;
  const auto [end, error] = std::from_chars(view.data(), view.data() + view.size(), value);
  if (error != std::errc() || end != view.data() + view.size() || view.empty() || value <= 0) {
    return std::nullopt;
  }
  return value;
}

// Closes a file descriptor on scope exit.
class ScopedFd {
 public:
  explicit ScopedFd(int fd) : fd_(fd) {}
  ~ScopedFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

SystemdNotifier SystemdNotifier::FromEnvironment(const GetEnv& get_env, pid_t own_pid) {
  SystemdNotifier notifier;
  if (const char* socket = get_env("NOTIFY_SOCKET"); socket != nullptr) notifier.socket_ = socket;
  const auto usec = ParsePositive<std::int64_t>(get_env("WATCHDOG_USEC"));
  const char* pid_text = get_env("WATCHDOG_PID");
  const bool for_this_process =
      pid_text == nullptr || ParsePositive<pid_t>(pid_text) == std::optional<pid_t>(own_pid);
  if (usec && for_this_process) notifier.watchdog_interval_ = std::chrono::microseconds(*usec);
  return notifier;
}

SystemdNotifier SystemdNotifier::FromEnvironment() {
  return FromEnvironment([](const char* name) { return std::getenv(name); }, ::getpid());
}

Result<void> SystemdNotifier::Send(std::string_view state) const {
  if (socket_.empty()) return {};
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const auto name_error = [this](std::string_view reason) {
    return Error(ErrorKind::kInvalidArgument, StrCat("NOTIFY_SOCKET '", socket_, "' ", reason));
  };
  if (socket_.size() > sizeof(address.sun_path) - 1) return name_error("is too long");
  socklen_t length = 0;
  if (socket_.front() == '@') {
    // Abstract namespace: a leading NUL, and the length counts exactly the name's bytes.
    std::memcpy(address.sun_path + 1, socket_.data() + 1, socket_.size() - 1);
    length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_.size());
  } else if (socket_.front() == '/') {
    std::memcpy(address.sun_path, socket_.data(), socket_.size());
    length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_.size() + 1);
  } else {
    return name_error("is neither an absolute path nor an @abstract name");
  }
  const ScopedFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) {
    return Error(ErrorKind::kIo, StrCat("notify socket: ", std::system_category().message(errno)));
  }
  const ssize_t sent = ::sendto(fd.get(), state.data(), state.size(), MSG_NOSIGNAL | MSG_DONTWAIT,
                                reinterpret_cast<const sockaddr*>(&address), length);
  if (sent < 0) {
    return Error(ErrorKind::kIo,
                 StrCat("notify ", socket_, ": ", std::system_category().message(errno)));
  }
  if (static_cast<std::size_t>(sent) != state.size()) {
    return Error(ErrorKind::kIo, StrCat("notify ", socket_, ": message cut short"));
  }
  return {};
}

void SystemdNotifier::SendOrWarn(const std::string& state) const {
  if (auto sent = Send(state); !sent) {
    LogWarning("systemd", "could not tell the service manager: ", sent.error().message());
  }
}

void SystemdNotifier::NotifyReady(std::string_view status) const {
  // STATUS= takes one line: a newline in `status` would start another assignment.
  SendOrWarn(StrCat("READY=1\nSTATUS=", OneLine(status)));
}

void SystemdNotifier::NotifyStopping(std::string_view status) const {
  SendOrWarn(StrCat("STOPPING=1\nSTATUS=", OneLine(status)));
}

}  // namespace kiosk_edge
