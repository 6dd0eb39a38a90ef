#include "bench/sync_drain_fleet.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fstream>
#include <sstream>
#include <thread>

#include "bench/sync_drain_events.hpp"
#include "common/crypto.hpp"
#include "common/https_client.hpp"
#include "common/strings.hpp"
#include "common/tls_certs.hpp"
#include "sync/client/sync_client.hpp"

extern char** environ;

namespace kiosk_edge::bench {
namespace {

using boost::asio::awaitable;
using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

constexpr int kMaxFailedRounds = 50;

std::string ReadFileText(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string Tail(const std::string& text) {
  return text.size() <= 2000 ? text : text.substr(text.size() - 2000);
}

// The port in profile-store's banner line "  sync URL:      https://127.0.0.1:8443".
std::optional<std::uint16_t> BannerPort(const std::string& out) {
  const auto line = out.find("sync URL:");
  if (line == std::string::npos) return std::nullopt;
  const auto end = out.find('\n', line);
  if (end == std::string::npos) return std::nullopt;
  const auto colon = out.rfind(':', end);
  if (colon == std::string::npos || colon < line + 10) return std::nullopt;
  const int port = std::atoi(out.substr(colon + 1, end - colon - 1).c_str());
  if (port <= 0 || port > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(port);
}

Error Failed(std::string what) { return Error(ErrorKind::kIo, std::move(what)); }

// The kiosk's transport, as kiosk-agent's HttpsSyncTransport (agent/hq_sync.cpp) is.
class HttpsTransport final : public SyncTransport {
 public:
  explicit HttpsTransport(HttpsClient& client) : client_(client) {}
  awaitable<Result<SyncResponse>> Send(
      const std::string& method, const std::string& target,
      const std::vector<std::pair<std::string, std::string>>& headers,
      const std::string& body) override {
    HttpClientRequest request{method, target, headers, body};
    auto response = co_await client_.Send(request);
    if (!response) co_return response.error();
    co_return SyncResponse{response->status, std::move(response->headers),
                           std::move(response->body)};
  }

 private:
  HttpsClient& client_;
};

HttpsClientOptions Connection(std::uint16_t port, const std::string& ca_pem) {
  HttpsClientOptions options;
  options.host = "127.0.0.1";
  options.port = port;
  options.ca_pem = ca_pem;
  return options;
}

struct Enrollee {
  std::string kiosk_id;
  std::string token;
  std::string key_pem;
  std::string csr;
  std::unique_ptr<HttpsClient> https;
  Result<std::string> certificate = Error(ErrorKind::kInternal, "not enrolled");
};

awaitable<void> EnrollOne(Enrollee& enrollee) {
  HttpClientRequest request;
  request.method = "POST";
  request.target = "/v1/enroll";
  request.headers = {{"content-type", "application/json"}};
  request.body =
      boost::json::serialize(boost::json::object{{"token", enrollee.token}, {"csr", enrollee.csr}});
  auto response = co_await enrollee.https->Send(request);
  if (!response) {
    enrollee.certificate = response.error();
    co_return;
  }
  if (response->status != 200) {
    enrollee.certificate = Failed(StrCat("enroll ", enrollee.kiosk_id, ": ", response->status, " ",
                                         response->body.substr(0, 200)));
    co_return;
  }
  boost::system::error_code error;
  const boost::json::value answer = boost::json::parse(response->body, error);
  const boost::json::object* object = error ? nullptr : answer.if_object();
  const boost::json::value* certificate =
      object == nullptr ? nullptr : object->if_contains("certificate");
  if (certificate == nullptr || !certificate->is_string()) {
    enrollee.certificate = Failed(StrCat("enroll ", enrollee.kiosk_id, ": no certificate"));
    co_return;
  }
  enrollee.certificate = std::string(certificate->as_string());
}

struct KioskRun {
  std::unique_ptr<MemoryJournal> journal;
  std::unique_ptr<HttpsClient> https;
  std::unique_ptr<HttpsTransport> transport;
  std::unique_ptr<SyncClient> client;
  int failed_rounds = 0;
  std::string first_failure;
  SteadyClock::time_point finished;
};

awaitable<void> DrainKiosk(KioskRun& run, int& running, boost::asio::steady_timer& limit) {
  boost::asio::steady_timer pause(co_await boost::asio::this_coro::executor);
  while (true) {
    std::optional<milliseconds> retry_after;
    Result<void> round = co_await run.client->UploadUntilCaughtUp(&retry_after);
    if (round) break;
    if (run.first_failure.empty()) run.first_failure = round.error().message();
    if (++run.failed_rounds >= kMaxFailedRounds) break;
    pause.expires_after(milliseconds(100));
    boost::system::error_code ignored;
    co_await pause.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ignored));
  }
  run.finished = SteadyClock::now();
  if (--running == 0) limit.cancel();
}

}  // namespace

Result<std::unique_ptr<ProfileStoreProcess>> ProfileStoreProcess::Start(
    const std::filesystem::path& binary, const std::filesystem::path& state_dir,
    const std::filesystem::path& config, const std::filesystem::path& log_dir) {
  const std::filesystem::path out_path = log_dir / "profile-store.out";
  const std::filesystem::path err_path = log_dir / "profile-store.err";
  const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (out < 0 || err < 0) return Failed("cannot create profile-store's log files");
  std::vector<std::string> argv = {binary.string(), "serve",       "--config",
                                   config.string(), "--state-dir", state_dir.string()};
  std::vector<char*> raw;
  for (std::string& arg : argv) raw.push_back(arg.data());
  raw.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {  // only async-signal-safe calls until exec
    ::dup2(out, STDOUT_FILENO);
    ::dup2(err, STDERR_FILENO);
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != parent) ::_exit(126);
    ::execve(raw[0], raw.data(), environ);
    ::_exit(127);
  }
  ::close(out);
  ::close(err);
  if (pid < 0) return Failed("cannot fork profile-store");
  std::unique_ptr<ProfileStoreProcess> process(new ProfileStoreProcess());
  process->pid_ = pid;
  const auto deadline = SteadyClock::now() + std::chrono::seconds(60);
  while (SteadyClock::now() < deadline) {
    if (auto port = BannerPort(ReadFileText(out_path))) {
      process->port_ = *port;
      return process;
    }
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      process->pid_ = -1;
      return Failed(StrCat("profile-store exited (status ", status, ") before serving:\n",
                           Tail(ReadFileText(err_path))));
    }
    std::this_thread::sleep_for(milliseconds(20));
  }
  return Failed("profile-store printed no sync URL within 60 s:\n" + Tail(ReadFileText(err_path)));
}

Result<void> ProfileStoreProcess::Stop() {
  if (pid_ <= 0) return {};
  ::kill(pid_, SIGTERM);
  int status = 0;
  const auto deadline = SteadyClock::now() + std::chrono::seconds(20);
  while (::waitpid(pid_, &status, WNOHANG) != pid_) {
    if (SteadyClock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
      return Failed("profile-store did not stop within 20 s of SIGTERM (killed)");
    }
    std::this_thread::sleep_for(milliseconds(10));
  }
  pid_ = -1;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Failed(StrCat("profile-store ended with status ", status));
  }
  return {};
}

ProfileStoreProcess::~ProfileStoreProcess() { (void)Stop(); }

Result<std::string> RunToCompletion(const std::vector<std::string>& argv) {
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return Failed("pipe failed");
  if (::pipe2(err, O_CLOEXEC) != 0) {
    ::close(out[0]);
    ::close(out[1]);
    return Failed("pipe failed");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
  std::vector<std::string> args = argv;
  std::vector<char*> raw;
  for (std::string& arg : args) raw.push_back(arg.data());
  raw.push_back(nullptr);
  pid_t pid = -1;
  const int spawned = ::posix_spawn(&pid, raw[0], &actions, nullptr, raw.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  ::close(err[1]);
  std::string stdout_text, stderr_text;
  char chunk[4096];
  for (ssize_t n; spawned == 0 && (n = ::read(out[0], chunk, sizeof chunk)) > 0;) {
    stdout_text.append(chunk, static_cast<std::size_t>(n));
  }
  for (ssize_t n; spawned == 0 && (n = ::read(err[0], chunk, sizeof chunk)) > 0;) {
    stderr_text.append(chunk, static_cast<std::size_t>(n));
  }
  ::close(out[0]);
  ::close(err[0]);
  if (spawned != 0) return Failed(StrCat("cannot run ", argv[0]));
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Failed(StrCat(argv[0], " ", argv.size() > 1 ? argv[1] : "", " failed (status ", status,
                         "): ", Tail(stderr_text)));
  }
  return stdout_text;
}

Result<Fleet> EnrollFleet(int kiosks, std::uint16_t port, const std::string& ca_pem,
                          const std::vector<std::string>& token_command) {
  boost::asio::io_context io(1);
  std::vector<Enrollee> enrollees(static_cast<std::size_t>(kiosks));
  for (int i = 0; i < kiosks; ++i) {
    Enrollee& enrollee = enrollees[static_cast<std::size_t>(i)];
    char id[32];
    std::snprintf(id, sizeof id, "bench-kiosk-%03d", i);
    enrollee.kiosk_id = id;
    std::vector<std::string> argv = token_command;
    argv.insert(argv.end(), {"--kiosk", enrollee.kiosk_id});
    auto token = RunToCompletion(argv);
    if (!token) return token.error();
    enrollee.token = token->substr(0, token->find('\n'));
    auto keys = GenerateEd25519KeyPair();
    if (!keys) return keys.error();
    auto key_pem = Ed25519PrivateKeyToPem(keys->private_key);
    if (!key_pem) return key_pem.error();
    enrollee.key_pem = std::move(*key_pem);
    auto csr = CreateCsr(enrollee.key_pem, enrollee.kiosk_id);
    if (!csr) return csr.error();
    enrollee.csr = std::move(*csr);
    auto https = HttpsClient::Create(io.get_executor(), Connection(port, ca_pem));
    if (!https) return https.error();
    enrollee.https = std::move(*https);
  }
  for (Enrollee& enrollee : enrollees) {
    boost::asio::co_spawn(io, EnrollOne(enrollee), boost::asio::detached);
  }
  io.run();
  Fleet fleet;
  fleet.ca_pem = ca_pem;
  for (Enrollee& enrollee : enrollees) {
    if (!enrollee.certificate) return enrollee.certificate.error();
    fleet.kiosks.push_back({enrollee.kiosk_id, enrollee.key_pem, *enrollee.certificate});
  }
  return fleet;
}

Result<DrainFigures> RunDrain(const DrainSpec& spec, boost::asio::thread_pool& pool) {
  if (spec.fleet == nullptr || spec.shares.size() > spec.fleet->kiosks.size()) {
    return Error(ErrorKind::kInvalidArgument, "more shares than enrolled kiosks");
  }
  boost::asio::io_context io(1);
  boost::asio::steady_timer limit(io);
  SyncClientOptions options;
  options.max_batch_events = spec.max_batch_events;
  const ConfigBundleApplier ignore_config = [](const ConfigBundle&) { return Result<void>(); };
  std::vector<KioskRun> runs(spec.shares.size());
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const KioskCredentials& kiosk = spec.fleet->kiosks[i];
    KioskRun& run = runs[i];
    run.journal = std::make_unique<MemoryJournal>(kiosk.kiosk_id, spec.incarnation, spec.shares[i]);
    HttpsClientOptions connection = Connection(spec.port, spec.fleet->ca_pem);
    connection.client_certificate_pem = kiosk.certificate_pem;
    connection.client_private_key_pem = kiosk.device_key_pem;
    auto https = HttpsClient::Create(io.get_executor(), connection);
    if (!https) return https.error();
    run.https = std::move(*https);
    run.transport = std::make_unique<HttpsTransport>(*run.https);
    run.client = std::make_unique<SyncClient>(io.get_executor(), pool, *run.journal, *run.transport,
                                              ignore_config, options, SystemClock());
  }
  int running = static_cast<int>(runs.size());
  const SteadyClock::time_point start = SteadyClock::now();
  for (KioskRun& run : runs) {
    boost::asio::co_spawn(io, DrainKiosk(run, running, limit), boost::asio::detached);
  }
  if (spec.time_limit) {
    limit.expires_after(*spec.time_limit);
    limit.async_wait([&runs](const boost::system::error_code& error) {
      if (error) return;  // cancelled: everything drained in time
      for (KioskRun& run : runs) run.client->Stop();
    });
  }
  io.run();

  DrainFigures figures;
  figures.kiosks = static_cast<int>(runs.size());
  figures.completed = true;
  SteadyClock::time_point last = start;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const KioskRun& run = runs[i];
    last = std::max(last, run.finished);
    figures.events += run.journal->synced();
    figures.dead_letters += run.journal->dead_letters();
    figures.batches += run.client->Status().batches_sent;
    figures.failed_rounds += run.failed_rounds;
    if (figures.first_failure.empty()) figures.first_failure = run.first_failure;
    if (run.journal->synced() != static_cast<std::int64_t>(spec.shares[i].size())) {
      figures.completed = false;
    }
  }
  figures.seconds = std::chrono::duration<double>(last - start).count();
  return figures;
}

}  // namespace kiosk_edge::bench
