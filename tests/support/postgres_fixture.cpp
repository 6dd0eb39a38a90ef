// One throwaway PostgreSQL cluster for a whole ctest run, instead of one per test process. The
// ctest fixture "postgres" (tests/CMakeLists.txt) runs `start`:
//
//   postgres_fixture start FOLDER   starts a cluster (postgres_cluster.hpp) in a background
//                                   process, writes its port to FOLDER/port, and exits 0 once the
//                                   server accepts connections (1, with the reason, if it cannot,
//                                   or if another run still uses FOLDER's cluster);
//   postgres_fixture stop FOLDER    stops that cluster and deletes its files now; exits 0 when
//                                   none was running.
//
// The tests find the port through $KIOSK_EDGE_PG_FIXTURE=FOLDER (SharedPostgresCluster). The
// background process stops the cluster and deletes its files by itself once the process that ran
// `start` (ctest) has exited, within a second, however that process ended.

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

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

bool Alive(pid_t pid) { return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM); }

// The background process: starts the cluster, publishes its port (or why it failed), then keeps
// it until SIGTERM, SIGINT or SIGHUP arrives or `watched` exits. Returns the exit status.
int Serve(const fs::path& folder, pid_t watched, const sigset_t& stop_signals) {
  PostgresCluster cluster;
  if (!cluster.ok()) {
    WriteAtomically(folder / "error", cluster.error());
    return 1;
  }
  WriteAtomically(folder / "port", std::to_string(cluster.port()));
  const timespec second{1, 0};
  while (::sigtimedwait(&stop_signals, nullptr, &second) < 0 && Alive(watched)) {
  }
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
  ::kill(pid, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + kStopDeadline;
  while (Alive(pid)) {
    if (std::chrono::steady_clock::now() > deadline) {
      std::cerr << "the PostgreSQL fixture (pid " << pid << ") did not stop within "
                << kStopDeadline.count() << " s\n";
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::cout << "PostgreSQL fixture stopped\n";
  return 0;
}

int Start(const fs::path& folder) {
  const pid_t owner = ::getppid();
  if (const auto running = RunningFixture(folder); running && Alive(running->owner)) {
    std::cerr << "another test run (pid " << running->owner
              << ") is using the PostgreSQL fixture in " << folder.string()
              << ": wait for it to end, or run the tests from another build folder\n";
    return 1;
  }
  // A fixture whose run has ended stops by itself; this waits for it.
  if (const int stopped = Stop(folder); stopped != 0) return stopped;
  fs::create_directories(folder);
  for (const char* name : {"port", "error", "pid", "serve.log"}) fs::remove(folder / name);

  // The signals that stop the server are blocked here, before fork, so none is lost before the
  // background process waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  for (const int signal : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&stop_signals, signal);
  const pid_t child = ::fork();
  if (child < 0) {
    std::cerr << "fork failed\n";
    return 1;
  }
  if (child == 0) {
    ::setsid();
    ::sigprocmask(SIG_BLOCK, &stop_signals, nullptr);
    // ctest waits for the end of this test's output: the background process must not hold it.
    const int log = ::open((folder / "serve.log").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    const int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    ::dup2(null, STDIN_FILENO);
    ::dup2(log, STDOUT_FILENO);
    ::dup2(log, STDERR_FILENO);
    try {
      ::_exit(Serve(folder, owner, stop_signals));
    } catch (const std::exception& error) {
      std::cerr << error.what() << "\n";
      ::_exit(1);
    }
  }
  WriteAtomically(folder / "pid", std::to_string(child) + " " + std::to_string(owner));

  const auto deadline = std::chrono::steady_clock::now() + kStartDeadline;
  while (std::chrono::steady_clock::now() < deadline) {
    if (const std::string port = ReadFile(folder / "port"); !port.empty()) {
      std::cout << "PostgreSQL fixture on 127.0.0.1:" << port << " (pid " << child << ")\n";
      return 0;
    }
    if (const std::string error = ReadFile(folder / "error"); !error.empty()) {
      std::cerr << "the PostgreSQL fixture did not start: " << error << "\n";
      return 1;
    }
    if (!Alive(child)) {
      std::cerr << "the PostgreSQL fixture exited before it started:\n"
                << ReadFile(folder / "serve.log") << "\n";
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::cerr << "the PostgreSQL fixture did not start within " << kStartDeadline.count() << " s\n";
  ::kill(child, SIGTERM);
  return 1;
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
