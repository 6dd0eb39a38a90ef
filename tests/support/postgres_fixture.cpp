// One throwaway PostgreSQL cluster for a whole ctest run, instead of one per test process. The
// ctest fixture "postgres" (tests/CMakeLists.txt) runs `start`:
//
//   postgres_fixture start FOLDER   starts a cluster (postgres_cluster.hpp) in a background
//                                   process, writes its port to FOLDER/port, and exits 0 once the
//                                   server accepts connections (1, with the reason, if it cannot,
//                                   or if another run still uses FOLDER's cluster); run again by
//                                   the same ctest (each round of `ctest --repeat`), it exits 0
//                                   at once and the running cluster stays in use;
//   postgres_fixture stop FOLDER    stops that cluster and deletes its files now; exits 0 when
//                                   none was running.
//
// The tests find the port through $KIOSK_EDGE_PG_FIXTURE=FOLDER (SharedPostgresCluster). The
// background process stops the cluster and deletes its files by itself as soon as the process that
// ran `start` (ctest) has exited, however that process ended.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "support/postgres_cluster.hpp"

namespace fs = std::filesystem;
using kiosk_edge::testing::PostgresCluster;

namespace {

constexpr auto kStartDeadline = std::chrono::seconds(120);
constexpr auto kStopDeadline = std::chrono::seconds(60);

std::string ReadFile(const fs::path& file) {
  std::ifstream in(file);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Writes `text` to `file` whole or not at all (a reader never sees half of it).
void WriteAtomically(const fs::path& file, const std::string& text) {
  const fs::path temporary = file.string() + ".tmp";
  std::ofstream(temporary) << text;
  fs::rename(temporary, file);
}

// pidfd_open(2): a descriptor that becomes readable once `pid` has exited; -1 with errno set
// (ESRCH: no such process). Called directly: Debian 12's <sys/pidfd.h> lacks C linkage for C++.
int OpenPidFd(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

bool Alive(pid_t pid) { return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM); }

// Waits until one of `fds` is readable (a pidfd is once its process has exited) or `deadline`
// passes (none: no deadline); false then.
bool WaitReadable(std::vector<pollfd> fds,
                  std::optional<std::chrono::steady_clock::time_point> deadline = std::nullopt) {
  for (pollfd& fd : fds) fd.events = POLLIN;
  while (true) {
    int wait_ms = -1;
    if (deadline) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(
          *deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      wait_ms = static_cast<int>(left.count());
    }
    const int ready = ::poll(fds.data(), fds.size(), wait_ms);
    if (ready > 0) return true;
    if (ready == 0 || errno != EINTR) return false;
  }
}

// Writes all of `text` to `fd`, then closes it.
void SendAndClose(int fd, const std::string& text) {
  for (std::size_t sent = 0; sent < text.size();) {
    const ssize_t n = ::write(fd, text.data() + sent, text.size() - sent);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  ::close(fd);
}

// The background process: starts the cluster, publishes its port in `folder` and tells `start`
// on `ready_fd` (the port, or why it failed), then keeps the cluster until SIGTERM, SIGINT or
// SIGHUP arrives or `owner` exits. Returns the exit status.
int Serve(const fs::path& folder, pid_t owner, const sigset_t& stop_signals, int ready_fd) {
  PostgresCluster cluster(PostgresCluster::Tls::kOn);
  if (!cluster.ok()) {
    SendAndClose(ready_fd, "error: " + cluster.error());
    return 1;
  }
  const int signals = ::signalfd(-1, &stop_signals, SFD_CLOEXEC);
  if (signals < 0) {
    SendAndClose(ready_fd, "error: signalfd failed: " + std::string(strerror(errno)));
    return 1;
  }
  const int owner_exited = OpenPidFd(owner);
  if (owner_exited < 0 && errno != ESRCH) {
    SendAndClose(ready_fd, "error: pidfd_open failed: " + std::string(strerror(errno)));
    return 1;
  }
  WriteAtomically(folder / "port", std::to_string(cluster.port()));
  SendAndClose(ready_fd, std::to_string(cluster.port()));
  if (owner_exited >= 0) WaitReadable({{signals, 0, 0}, {owner_exited, 0, 0}});
  std::error_code ignored;
  fs::remove(folder / "port", ignored);
  return 0;  // ~PostgresCluster stops the server (fast shutdown) and deletes its folder
}

// Whether `pid` is a postgres_fixture process (not another that reused a recorded pid).
bool IsFixture(pid_t pid) {
  std::error_code failed;
  const fs::path exe = fs::read_symlink("/proc/" + std::to_string(pid) + "/exe", failed);
  return !failed && exe == fs::read_symlink("/proc/self/exe", failed) && !failed;
}

// The background process a `start` left in `folder`, and the process it watches (ctest).
struct Recorded {
  pid_t fixture = 0;
  pid_t owner = 0;
};

// What `folder` records, when the process it names is a fixture still running.
std::optional<Recorded> RunningFixture(const fs::path& folder) {
  std::istringstream pids(ReadFile(folder / "pid"));
  Recorded recorded;
  if (!(pids >> recorded.fixture >> recorded.owner)) return std::nullopt;
  if (!Alive(recorded.fixture) || !IsFixture(recorded.fixture)) return std::nullopt;
  return recorded;
}

// Stops the cluster a `start` left running in `folder`, if any.
int Stop(const fs::path& folder) {
  const auto running = RunningFixture(folder);
  if (!running) {
    std::cout << "no PostgreSQL fixture running in " << folder.string() << "\n";
    return 0;
  }
  const pid_t pid = running->fixture;
  const int exited = OpenPidFd(pid);
  if (exited < 0 && errno != ESRCH) {
    std::cerr << "pidfd_open failed: " << strerror(errno) << "\n";
    return 1;
  }
  ::kill(pid, SIGTERM);
  if (exited >= 0) {
    const bool stopped =
        WaitReadable({{exited, 0, 0}}, std::chrono::steady_clock::now() + kStopDeadline);
    ::close(exited);
    if (!stopped) {
      std::cerr << "the PostgreSQL fixture (pid " << pid << ") did not stop within "
                << kStopDeadline.count() << " s\n";
      return 1;
    }
  }
  std::cout << "PostgreSQL fixture stopped\n";
  return 0;
}

int Start(const fs::path& folder) {
  const pid_t owner = ::getppid();
  if (const auto running = RunningFixture(folder); running && Alive(running->owner)) {
    const std::string port = ReadFile(folder / "port");
    if (running->owner == owner && !port.empty()) {
      std::cout << "PostgreSQL fixture on 127.0.0.1:" << port << " (pid " << running->fixture
                << "), started earlier in this run\n";
      return 0;
    }
    std::cerr << "another test run (pid " << running->owner
              << ") is using the PostgreSQL fixture in " << folder.string()
              << ": wait for it to end, or run the tests from another build folder\n";
    return 1;
  }
  // A fixture whose run has ended stops by itself; this waits for it.
  if (const int stopped = Stop(folder); stopped != 0) return stopped;
  fs::create_directories(folder);
  for (const char* name : {"port", "pid", "serve.log"}) fs::remove(folder / name);

  // The signals that stop the server are blocked here, before fork, so none is lost before the
  // background process waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  for (const int signal : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&stop_signals, signal);
  int ready[2];
  if (::pipe2(ready, O_CLOEXEC) != 0) {
    std::cerr << "pipe failed\n";
    return 1;
  }
  const pid_t child = ::fork();
  if (child < 0) {
    std::cerr << "fork failed\n";
    return 1;
  }
  if (child == 0) {
    ::close(ready[0]);
    ::setsid();
    ::sigprocmask(SIG_BLOCK, &stop_signals, nullptr);
    // ctest waits for the end of this test's output: the background process must not hold it.
    const int log = ::open((folder / "serve.log").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    const int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    ::dup2(null, STDIN_FILENO);
    ::dup2(log, STDOUT_FILENO);
    ::dup2(log, STDERR_FILENO);
    try {
      ::_exit(Serve(folder, owner, stop_signals, ready[1]));
    } catch (const std::exception& error) {
      std::cerr << error.what() << "\n";
      ::_exit(1);
    }
  }
  WriteAtomically(folder / "pid", std::to_string(child) + " " + std::to_string(owner));

  ::close(ready[1]);

  // The background process sends the port or the error, then closes the pipe; it closes with
  // nothing sent if it dies first.
  const auto deadline = std::chrono::steady_clock::now() + kStartDeadline;
  std::string answer;
  char chunk[4096];
  while (WaitReadable({{ready[0], 0, 0}}, deadline)) {
    const ssize_t n = ::read(ready[0], chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    answer.append(chunk, static_cast<std::size_t>(n));
  }
  const bool ended = std::chrono::steady_clock::now() < deadline;
  ::close(ready[0]);
  if (!ended) {
    std::cerr << "the PostgreSQL fixture did not start within " << kStartDeadline.count() << " s\n";
    ::kill(child, SIGTERM);
    return 1;
  }
  if (answer.empty()) {
    std::cerr << "the PostgreSQL fixture exited before it started:\n"
              << ReadFile(folder / "serve.log") << "\n";
    return 1;
  }
  if (answer.starts_with("error: ")) {
    std::cerr << "the PostgreSQL fixture did not start: " << answer.substr(7) << "\n";
    return 1;
  }
  std::cout << "PostgreSQL fixture on 127.0.0.1:" << answer << " (pid " << child << ")\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string command = argc == 3 ? argv[1] : "";
  if (command != "start" && command != "stop") {
    std::cerr << "usage: postgres_fixture start|stop FOLDER\n";
    return 2;
  }
  const fs::path folder = fs::absolute(argv[2]);
  try {
    return command == "start" ? Start(folder) : Stop(folder);
  } catch (const std::exception& error) {
    std::cerr << "postgres_fixture " << command << ": " << error.what() << "\n";
    return 1;
  }
}
