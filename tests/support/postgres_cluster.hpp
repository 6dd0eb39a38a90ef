#pragma once

// A throwaway PostgreSQL server for the tests (and benchmarks): initdb into a fresh temporary
// folder, the server on a free loopback port, everything removed at the end. Started at most once
// per process (SharedPostgresCluster), on first use; under ctest, once per run instead (the
// fixture "postgres", tests/support/postgres_fixture.cpp), which the processes attach to.
//
// - Binaries: $KIOSK_EDGE_PG_BINDIR, else the newest /usr/lib/postgresql/<version>/bin (Debian's
//   postgresql package; not on PATH), else initdb and postgres on PATH. When none is found the
//   cluster reports an error saying how to install them, and tests using it FAIL (never skip).
// - Root: initdb and postgres refuse to run as root, so a root process runs them as the
//   `postgres` system user (which Debian's package creates) in a folder that user owns. A normal
//   user runs them as itself.
// - Settings: the server's defaults, fsync included; only initdb runs with --no-sync (it writes
//   the throwaway template files; the server's own durability is untouched). Authentication is
//   "trust" and the server listens on 127.0.0.1 only, with no Unix socket.
// - TLS (Tls::kOn, the tests' cluster): the server has a fresh self-signed P-256 certificate and
//   conninfo() asks for TLS (sslmode=require), so the tests' connections go as a production
//   database's would. The benchmarks' clusters (Tls::kOff) measure without it.
// - Locale: none (--no-locale: text compares bytewise) unless $KIOSK_EDGE_PG_LOCALE names one
//   the machine has (e.g. en_US.UTF-8), to measure a production cluster's locale in benchmarks.
// - Lifetime: stopped (fast shutdown) and deleted when the process exits normally. Should the
//   process die, the server gets SIGQUIT from the kernel (parent-death signal) and exits; the
//   folder under $TMPDIR is then left behind. The first use must come from a thread that lives
//   as long as the process (the main thread): the parent-death signal follows that thread.

#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "common/files.hpp"
#include "common/tls_certs.hpp"

extern char** environ;

namespace kiosk_edge::testing {

class PostgresCluster {
 public:
  enum class Tls { kOff, kOn };

  // Starts a cluster; check ok() and error().
  explicit PostgresCluster(Tls tls = Tls::kOff) : tls_(tls == Tls::kOn) { error_ = Start(); }
  // Attaches to the cluster postgres_fixture started in `fixture_folder` (with TLS), which it
  // neither starts nor stops.
  explicit PostgresCluster(const std::filesystem::path& fixture_folder) : tls_(true) {
    error_ = Attach(fixture_folder);
  }
  ~PostgresCluster() { Stop(); }
  PostgresCluster(const PostgresCluster&) = delete;
  PostgresCluster& operator=(const PostgresCluster&) = delete;

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  int port() const { return port_; }
  // A libpq connection string for the cluster's "postgres" database.
  std::string conninfo() const {
    return "host=127.0.0.1 port=" + std::to_string(port_) +
           " user=kiosk_edge dbname=postgres connect_timeout=10" + (tls_ ? " sslmode=require" : "");
  }
  // A schema name no other call returns, in this process or another sharing the cluster (pids
  // are reused): one per test keeps tests apart.
  std::string FreshSchema() {
    static const std::string process = [] {
      std::random_device random;
      return std::to_string(::getpid()) + "_" + std::to_string(random());
    }();
    static std::atomic<int> counter{0};
    return "t_" + process + "_" + std::to_string(counter++);
  }

  // The folder of the PostgreSQL programs the clusters run (pg_dump and pg_restore are beside
  // initdb there), or nothing when none was found.
  static std::optional<std::filesystem::path> FindBinDir() {
    namespace fs = std::filesystem;
    const auto usable = [](const fs::path& dir) {
      return ::access((dir / "initdb").c_str(), X_OK) == 0 &&
             ::access((dir / "postgres").c_str(), X_OK) == 0;
    };
    if (const char* configured = std::getenv("KIOSK_EDGE_PG_BINDIR")) {
      if (usable(configured)) return fs::path(configured);
      return std::nullopt;
    }
    std::vector<std::pair<int, fs::path>> found;
    std::error_code ignored;
    for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ignored)) {
      const std::string name = entry.path().filename().string();
      if (!name.empty() && std::all_of(name.begin(), name.end(), ::isdigit) &&
          usable(entry.path() / "bin")) {
        found.emplace_back(std::stoi(name), entry.path() / "bin");
      }
    }
    if (!found.empty()) return std::max_element(found.begin(), found.end())->second;
    if (const char* path = std::getenv("PATH")) {
      std::string_view rest(path);
      while (!rest.empty()) {
        const auto colon = rest.find(':');
        const fs::path dir(std::string(rest.substr(0, colon)));
        if (!dir.empty() && usable(dir)) return dir;
        rest = colon == std::string_view::npos ? "" : rest.substr(colon + 1);
      }
    }
    return std::nullopt;
  }

 private:
  struct Account {
    bool switch_user = false;
    uid_t uid = 0;
    gid_t gid = 0;
  };

  static int FreePort() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    int port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) == 0) {
      port = ntohs(address.sin_port);
    }
    ::close(fd);
    return port;
  }

  // Forks and execs `argv` as `account`, its stdout and stderr on `output_fd`. In the child only
  // async-signal-safe calls happen before exec.
  static pid_t Spawn(const std::vector<std::string>& argv, const Account& account, int output_fd,
                     bool die_with_parent) {
    std::vector<char*> raw;
    for (const std::string& arg : argv) raw.push_back(const_cast<char*>(arg.c_str()));
    raw.push_back(nullptr);
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid != 0) return pid;
    ::dup2(output_fd, STDOUT_FILENO);
    ::dup2(output_fd, STDERR_FILENO);
    if (account.switch_user) {
      const gid_t groups[] = {account.gid};
      if (::setgroups(1, groups) != 0 || ::setgid(account.gid) != 0 || ::setuid(account.uid) != 0) {
        ::_exit(126);
      }
    }
    // After the switch of user, which clears it.
    if (die_with_parent && (::prctl(PR_SET_PDEATHSIG, SIGQUIT) != 0 || ::getppid() != parent)) {
      ::_exit(126);
    }
    ::execve(raw[0], raw.data(), environ);
    ::_exit(127);
  }

  // Everything `fd` delivers until EOF.
  static std::string ReadAll(int fd) {
    std::string all;
    char chunk[4096];
    for (ssize_t n; (n = ::read(fd, chunk, sizeof chunk)) > 0;) {
      all.append(chunk, static_cast<std::size_t>(n));
    }
    return all;
  }

  // Runs `argv` to completion; "" on success, else what went wrong with its output.
  static std::string RunToEnd(const std::vector<std::string>& argv, const Account& account) {
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return "pipe failed";
    const pid_t pid = Spawn(argv, account, pipe_fds[1], false);
    ::close(pipe_fds[1]);
    const std::string output = ReadAll(pipe_fds[0]);
    ::close(pipe_fds[0]);
    int status = 0;
    if (pid < 0 || ::waitpid(pid, &status, 0) != pid) return argv[0] + ": cannot start";
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "";
    return argv[0] + " failed (status " + std::to_string(status) + "):\n" + output;
  }

  std::string Attach(const std::filesystem::path& fixture_folder) {
    std::ifstream file(fixture_folder / "port");
    if (!(file >> port_) || port_ <= 0 || port_ > 65535) {
      port_ = 0;
      return "no PostgreSQL cluster is running in " + fixture_folder.string() +
             " ($KIOSK_EDGE_PG_FIXTURE): ctest's test postgres.start starts it; see its output";
    }
    return "";
  }

  std::string Start() {
    namespace fs = std::filesystem;
    const auto bin = FindBinDir();
    if (!bin) {
      return "PostgreSQL server binaries (initdb, postgres) not found in $KIOSK_EDGE_PG_BINDIR, "
             "/usr/lib/postgresql/*/bin or PATH. Install them with scripts/install-deps.sh "
             "(Debian: sudo apt-get install postgresql), or point KIOSK_EDGE_PG_BINDIR at them.";
    }
    Account account;
    if (::geteuid() == 0) {
      const passwd* user = ::getpwnam("postgres");
      if (user == nullptr) {
        return "running as root: the throwaway PostgreSQL server runs as the 'postgres' system "
               "user, which does not exist (Debian's postgresql package creates it: sudo apt-get "
               "install postgresql)";
      }
      account = Account{true, user->pw_uid, user->pw_gid};
    }
    std::string templ = (fs::temp_directory_path() / "kiosk-edge-pg-XXXXXX").string();
    if (::mkdtemp(templ.data()) == nullptr) return "cannot create a temporary folder";
    dir_ = templ;
    if (account.switch_user && ::chown(dir_.c_str(), account.uid, account.gid) != 0) {
      return "cannot hand " + dir_.string() + " to the postgres user";
    }
    const fs::path data = dir_ / "data";
    const char* locale = std::getenv("KIOSK_EDGE_PG_LOCALE");
    const std::string locale_flag =
        locale != nullptr && *locale != '\0' ? std::string("--locale=") + locale : "--no-locale";
    if (std::string failed =
            RunToEnd({(*bin / "initdb").string(), "-D", data.string(), "-U", "kiosk_edge", "-A",
                      "trust", "-E", "UTF8", locale_flag, "--no-sync"},
                     account);
        !failed.empty()) {
      return failed;
    }
    if (tls_) {
      if (std::string failed = WriteCertificate(data, account); !failed.empty()) return failed;
    }
    // Another process may take the free port between FreePort and the server's bind: try again.
    std::string failure;
    for (int attempt = 0; attempt < 5; ++attempt) {
      failure = StartServer(*bin, data, account);
      if (failure.empty()) return "";
    }
    return failure;
  }

  // server.crt and server.key (0600, the server's user's) in `data`, where the server reads them.
  static std::string WriteCertificate(const std::filesystem::path& data, const Account& account) {
    auto certificate =
        CreateCertificateAuthority("kiosk-edge throwaway PostgreSQL", std::chrono::days(30));
    if (!certificate) return "cannot make a certificate: " + certificate.error().message();
    for (const auto& [name, text] : {std::pair{"server.crt", &certificate->cert_pem},
                                     std::pair{"server.key", &certificate->key_pem}}) {
      const std::filesystem::path path = data / name;
      if (!WriteFileAtomically(path, *text, 0600) ||
          (account.switch_user && ::chown(path.c_str(), account.uid, account.gid) != 0)) {
        return "cannot write " + path.string();
      }
    }
    return "";
  }

  std::string StartServer(const std::filesystem::path& bin, const std::filesystem::path& data,
                          const Account& account) {
    port_ = FreePort();
    if (port_ == 0) return "no free port";
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return "pipe failed";
    pid_ = Spawn({(bin / "postgres").string(), "-D", data.string(), "-p", std::to_string(port_),
                  "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c",
                  "logging_collector=off", "-c", tls_ ? "ssl=on" : "ssl=off"},
                 account, pipe_fds[1], true);
    ::close(pipe_fds[1]);
    const int log_fd = pipe_fds[0];
    if (pid_ < 0) {
      ::close(log_fd);
      return "cannot start postgres";
    }
    // Reads the log until the server says it is ready, exits, or a minute passes.
    std::string log;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(1);
    bool ready = false;
    while (!ready) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd wait{log_fd, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&wait, 1, static_cast<int>(left.count())) <= 0) break;
      char chunk[4096];
      const ssize_t n = ::read(log_fd, chunk, sizeof chunk);
      if (n <= 0) break;
      log.append(chunk, static_cast<std::size_t>(n));
      ready = log.find("database system is ready to accept connections") != std::string::npos;
    }
    if (!ready) {
      ::kill(pid_, SIGQUIT);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
      ::close(log_fd);
      return "postgres did not start:\n" + log;
    }
    // Keeps draining the log so that the server never blocks on a full pipe.
    drain_ = std::thread([log_fd] {
      char chunk[4096];
      while (::read(log_fd, chunk, sizeof chunk) > 0) {
      }
      ::close(log_fd);
    });
    return "";
  }

  void Stop() {
    if (pid_ > 0) {
      ::kill(pid_, SIGINT);  // fast shutdown: disconnects clients, then exits cleanly
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
    if (drain_.joinable()) drain_.join();
    if (!dir_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(dir_, ignored);
    }
  }

  bool tls_ = false;
  std::string error_;
  std::filesystem::path dir_;
  int port_ = 0;
  pid_t pid_ = -1;
  std::thread drain_;
};

// The process's one cluster, on first use: the ctest fixture's when $KIOSK_EDGE_PG_FIXTURE names
// its folder, else one started now and stopped at exit.
inline PostgresCluster& SharedPostgresCluster() {
  static const std::unique_ptr<PostgresCluster> cluster = [] {
    const char* fixture = std::getenv("KIOSK_EDGE_PG_FIXTURE");
    return fixture != nullptr && *fixture != '\0'
               ? std::make_unique<PostgresCluster>(fixture)
               : std::make_unique<PostgresCluster>(PostgresCluster::Tls::kOn);
  }();
  return *cluster;
}

}  // namespace kiosk_edge::testing
