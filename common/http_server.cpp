// The listening half of the HTTP server, for TCP (plain or TLS) and for Unix sockets, and
// shutdown. The per-connection sessions (and Beast and TLS) are in http_session.cpp.
#include "common/http_server.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <cstring>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

#include "common/http_session.hpp"
#include "common/log.hpp"
#include "common/strings.hpp"

namespace kiosk_edge {

namespace http_detail {

ServerCore::ServerCore(boost::asio::io_context& io_context, HttpServerLimits server_limits,
                       HttpHandler request_handler, std::shared_ptr<ServerTlsContext> tls_context)
    : io(io_context),
      limits(server_limits),
      handler(std::move(request_handler)),
      tls(std::move(tls_context)),
      grace_timer(io_context) {}

void ServerCore::BeginShutdown(std::function<void()> done) {
  if (done) on_shutdown_done.push_back(std::move(done));
  if (shutting_down) {
    FinishShutdownIfIdle();  // runs `done` now if the first shutdown has finished already
    return;
  }
  shutting_down = true;
  StopAccepting();
  for (Connection* conn : connections) {
    if (conn->awaiting_request) conn->CancelIo();
  }
  grace_timer.expires_after(limits.shutdown_grace);
  grace_timer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) self->ForceCloseAll();
  });
  FinishShutdownIfIdle();
}

void ServerCore::ForceCloseAll() {
  // Copied: cancelling may end sessions, which unregister themselves.
  const std::vector<Connection*> open(connections.begin(), connections.end());
  for (Connection* conn : open) {
    conn->force_closed = true;
    conn->handler_cancel.emit(boost::asio::cancellation_type::terminal);
    conn->CancelIo();
  }
}

void ServerCore::FinishShutdownIfIdle() {
  if (!shutting_down || !connections.empty()) return;
  if (!shutdown_finished) {
    shutdown_finished = true;
    grace_timer.cancel();
  }
  for (auto& done : on_shutdown_done) boost::asio::post(io, std::move(done));
  on_shutdown_done.clear();
}

}  // namespace http_detail

namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using http_detail::ServerCore;
using local = asio::local::stream_protocol;
using tcp = asio::ip::tcp;

constexpr std::string_view kComponent = "http";
// At most this many connections are being turned away with 503 at once; beyond it they are closed
// without a response, so that a flood cannot pin file descriptors.
constexpr std::size_t kMaxRejecting = 64;
// Pause after a failed accept (e.g. out of file descriptors) so that the loop does not spin.
constexpr std::chrono::milliseconds kAcceptRetryDelay{100};

Result<void> CheckServerArguments(const HttpServerLimits& limits, const HttpHandler& handler) {
  if (!handler) return Error(ErrorKind::kInvalidArgument, "HTTP server: no request handler");
  if (limits.max_connections == 0 || limits.max_header_bytes == 0 ||
      limits.max_header_bytes > std::numeric_limits<std::uint32_t>::max()) {
    return Error(ErrorKind::kInvalidArgument,
                 "HTTP server: max_connections and max_header_bytes must be positive");
  }
  return {};
}

// The socket file a local listener created: removed when the listener stops, unless something
// else has been put at the path since.
class SocketFile {
 public:
  SocketFile(std::filesystem::path path, const struct stat& created)
      : path_(std::move(path)), device_(created.st_dev), inode_(created.st_ino) {}
  SocketFile(const SocketFile&) = delete;
  SocketFile& operator=(const SocketFile&) = delete;
  ~SocketFile() { Remove(); }

  // Any thread; idempotent.
  void Remove() {
    if (removed_.exchange(true)) return;
    struct stat now {};
    if (::lstat(path_.c_str(), &now) != 0 || !S_ISSOCK(now.st_mode) || now.st_dev != device_ ||
        now.st_ino != inode_) {
      return;  // gone already, or no longer ours
    }
    if (::unlink(path_.c_str()) != 0 && errno != ENOENT) {
      LogWarning(kComponent, "cannot remove socket file ", path_, ": ", std::strerror(errno));
    }
  }

 private:
  const std::filesystem::path path_;
  const dev_t device_;
  const ino_t inode_;
  std::atomic<bool> removed_{false};
};

// Accepts connections on one bound, listening acceptor and hands them to sessions.
template <class Protocol>
class Listener final : public ServerCore {
 public:
  Listener(asio::io_context& io_context, typename Protocol::acceptor acceptor,
           HttpServerLimits server_limits, HttpHandler request_handler,
           std::unique_ptr<SocketFile> socket_file = nullptr,
           std::shared_ptr<http_detail::ServerTlsContext> tls_context = nullptr)
      : ServerCore(io_context, server_limits, std::move(request_handler), std::move(tls_context)),
        acceptor_(std::move(acceptor)),
        socket_file_(std::move(socket_file)) {}

  void StartAccepting() override {
    auto self = std::static_pointer_cast<Listener>(shared_from_this());
    asio::co_spawn(io, AcceptLoop(std::move(self)), http_detail::LogIfFailed);
  }

  void StopAccepting() override {
    error_code ignored;
    acceptor_.close(ignored);
    RemoveSocketFile();
  }

  void RemoveSocketFile() override {
    if (socket_file_) socket_file_->Remove();
  }

 private:
  static asio::awaitable<void> AcceptLoop(std::shared_ptr<Listener> self);

  typename Protocol::acceptor acceptor_;
  const std::unique_ptr<SocketFile> socket_file_;  // null for TCP
};

template <class Protocol>
asio::awaitable<void> Listener<Protocol>::AcceptLoop(std::shared_ptr<Listener> self) {
  for (;;) {
    auto [ec, socket] = co_await self->acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
    if (self->shutting_down || !self->acceptor_.is_open()) co_return;
    if (ec) {
      LogWarning(kComponent, "accept failed: ", ec.message());
      asio::steady_timer pause(self->io, kAcceptRetryDelay);
      co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    ++self->accepted;
    if constexpr (std::is_same_v<Protocol, tcp>) {
      // Responses are written whole; Nagle's algorithm would only delay pipelined ones.
      socket.set_option(tcp::no_delay(true), ec);
    }
    const bool reject = self->active.load() >= self->limits.max_connections;
    if (reject && self->rejecting >= kMaxRejecting) continue;  // `socket` closes here
    http_detail::SpawnSession<Protocol>(self, std::move(socket), reject);
  }
}

// Makes way for a new socket at `path`: nothing there is fine; a socket nobody accepts on (left by
// a dead process) is removed; a socket in use or anything else is refused.
Result<void> RemoveStaleSocket(const std::filesystem::path& path) {
  const auto refuse = [&](ErrorKind kind, std::string_view why) {
    return Error(kind, StrCat("HTTP local socket ", path, ": ", why));
  };
  struct stat existing {};
  if (::lstat(path.c_str(), &existing) != 0) {
    if (errno == ENOENT) return {};
    return refuse(ErrorKind::kIo, std::strerror(errno));
  }
  if (!S_ISSOCK(existing.st_mode)) {
    return refuse(ErrorKind::kInvalidArgument, "the path exists and is not a socket");
  }
  // Non-blocking, so that a live server with a full backlog answers EAGAIN instead of hanging us.
  const int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (probe < 0) return refuse(ErrorKind::kIo, std::strerror(errno));
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.c_str(), path.native().size());  // checked to fit
  const int connected =
      ::connect(probe, reinterpret_cast<const sockaddr*>(&address), sizeof address);
  const int connect_errno = connected == 0 ? 0 : errno;
  ::close(probe);
  if (connect_errno == ENOENT) return {};  // removed meanwhile
  if (connect_errno != ECONNREFUSED) {
    return refuse(ErrorKind::kIo,
                  connect_errno == 0 || connect_errno == EAGAIN
                      ? "another process is listening on it"
                      : StrCat("cannot tell whether it is in use: ", std::strerror(connect_errno)));
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return refuse(ErrorKind::kIo, StrCat("cannot remove the stale socket: ", std::strerror(errno)));
  }
  LogInfo(kComponent, "replaced the stale socket file ", path);
  return {};
}

}  // namespace

HttpServer::HttpServer(std::shared_ptr<http_detail::ServerCore> state, uint16_t port,
                       bool serves_tls)
    : state_(std::move(state)), port_(port), serves_tls_(serves_tls) {}

Result<void> HttpServer::ReplaceTls(const TlsServerOptions& tls) {
  if (!serves_tls_) return Error(ErrorKind::kInvalidArgument, "this server does not serve TLS");
  auto context = http_detail::MakeServerTlsContext(tls);
  if (!context) return context.error();
  asio::post(state_->io, [state = state_, context = std::move(*context)]() mutable {
    state->tls = std::move(context);
  });
  return {};
}

HttpServer::~HttpServer() {
  // Now rather than on the io thread, which might never run again.
  state_->RemoveSocketFile();
  asio::post(state_->io, [state = state_] {
    state->shutting_down = true;
    state->StopAccepting();
    state->ForceCloseAll();
    state->FinishShutdownIfIdle();
  });
}

namespace {

// A bound, listening TCP acceptor on address:port; `bound_port` receives the port chosen.
Result<tcp::acceptor> BindTcp(asio::io_context& io, const std::string& address, uint16_t port,
                              uint16_t& bound_port) {
  error_code ec;
  const asio::ip::address ip = asio::ip::make_address(address, ec);
  if (ec) {
    return Error(ErrorKind::kInvalidArgument,
                 StrCat("HTTP listen address \"", address, "\" is not an IP address"));
  }
  const tcp::endpoint endpoint(ip, port);
  const auto failed = [&](std::string_view step) {
    return Error(ErrorKind::kIo,
                 StrCat("HTTP listen on ", endpoint, ": ", step, ": ", ec.message()));
  };
  tcp::acceptor acceptor(io);
  if (acceptor.open(endpoint.protocol(), ec); ec) return failed("open");
  // Lets a restarted server bind while old connections linger in TIME_WAIT; on Linux it does
  // not let two servers listen on one port.
  if (acceptor.set_option(asio::socket_base::reuse_address(true), ec); ec) return failed("open");
  if (acceptor.bind(endpoint, ec); ec) return failed("bind");
  if (acceptor.listen(asio::socket_base::max_listen_connections, ec); ec) return failed("listen");
  const tcp::endpoint bound = acceptor.local_endpoint(ec);
  if (ec) return failed("local address");
  bound_port = bound.port();
  return acceptor;
}

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::Listen(asio::io_context& io,
                                                       const std::string& address, uint16_t port,
                                                       HttpServerLimits limits,
                                                       HttpHandler handler) {
  if (auto checked = CheckServerArguments(limits, handler); !checked) return checked.error();
  uint16_t bound_port = 0;
  auto acceptor = BindTcp(io, address, port, bound_port);
  if (!acceptor) return acceptor.error();
  auto state =
      std::make_shared<Listener<tcp>>(io, std::move(*acceptor), limits, std::move(handler));
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(state), bound_port, false));
}

Result<std::unique_ptr<HttpServer>> HttpServer::ListenTls(asio::io_context& io,
                                                          const std::string& address, uint16_t port,
                                                          HttpServerLimits limits,
                                                          const TlsServerOptions& tls,
                                                          HttpHandler handler) {
  if (auto checked = CheckServerArguments(limits, handler); !checked) return checked.error();
  auto context = http_detail::MakeServerTlsContext(tls);
  if (!context) return context.error();
  uint16_t bound_port = 0;
  auto acceptor = BindTcp(io, address, port, bound_port);
  if (!acceptor) return acceptor.error();
  auto state = std::make_shared<Listener<tcp>>(io, std::move(*acceptor), limits, std::move(handler),
                                               nullptr, std::move(*context));
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(state), bound_port, true));
}

Result<std::unique_ptr<HttpServer>> HttpServer::ListenLocal(
    asio::io_context& io, const std::filesystem::path& socket_path, HttpServerLimits limits,
    HttpHandler handler) {
  const std::string& path = socket_path.native();
  if (path.empty() || path.find('\0') != std::string::npos ||
      path.size() >= sizeof(sockaddr_un{}.sun_path)) {
    return Error(ErrorKind::kInvalidArgument,
                 StrCat("HTTP local socket path ", socket_path, " is empty or longer than ",
                        sizeof(sockaddr_un{}.sun_path) - 1, " bytes"));
  }
  if (auto checked = CheckServerArguments(limits, handler); !checked) return checked.error();
  if (auto cleared = RemoveStaleSocket(socket_path); !cleared) return cleared.error();

  error_code ec;
  const auto failed = [&](std::string_view step, std::string_view why) {
    return Error(ErrorKind::kIo, StrCat("HTTP local socket ", socket_path, ": ", step, ": ", why));
  };
  local::acceptor acceptor(io);
  const local::endpoint endpoint(path);
  if (acceptor.open(endpoint.protocol(), ec); ec) return failed("open", ec.message());
  if (acceptor.bind(endpoint, ec); ec) return failed("bind", ec.message());
  struct stat created {};
  if (::lstat(path.c_str(), &created) != 0) return failed("bind", std::strerror(errno));
  if (!S_ISSOCK(created.st_mode)) return failed("bind", "the path was replaced");
  // Removed on failure, and later by its absolute path, which a chdir() does not change.
  std::error_code no_cwd;
  std::filesystem::path absolute_path = std::filesystem::absolute(socket_path, no_cwd);
  if (no_cwd) absolute_path = socket_path;
  auto socket_file = std::make_unique<SocketFile>(std::move(absolute_path), created);
  // Owner only before listen(): until then nobody can connect, whatever the umask allowed.
  if (::chmod(path.c_str(), S_IRUSR | S_IWUSR) != 0) return failed("chmod", std::strerror(errno));
  struct stat secured {};
  if (::lstat(path.c_str(), &secured) != 0 || secured.st_ino != created.st_ino ||
      secured.st_dev != created.st_dev || (secured.st_mode & 07777) != (S_IRUSR | S_IWUSR)) {
    return failed("chmod", "the socket file was replaced or its mode did not stick");
  }
  if (acceptor.listen(asio::socket_base::max_listen_connections, ec); ec) {
    return failed("listen", ec.message());
  }
  auto state = std::make_shared<Listener<local>>(io, std::move(acceptor), limits,
                                                 std::move(handler), std::move(socket_file));
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(state), 0, false));
}

void HttpServer::Start() {
  asio::dispatch(state_->io, [state = state_] {
    if (state->started || state->shutting_down) return;
    state->started = true;
    state->StartAccepting();
  });
}

void HttpServer::ObserveResponses(std::function<void(unsigned status)> observer) {
  state_->response_observer = std::move(observer);
}

void HttpServer::Shutdown(std::function<void()> done) {
  asio::dispatch(state_->io, [state = state_, done = std::move(done)]() mutable {
    state->BeginShutdown(std::move(done));
  });
}

std::size_t HttpServer::active_connections() const { return state_->active.load(); }

std::size_t HttpServer::accepted_connections() const { return state_->accepted.load(); }

}  // namespace kiosk_edge
