// The Beast adapter: the only file that includes boost/beast. Modelled on Beast's awaitable HTTP
// server example (boost-1.81.0), plus connection accounting and graceful shutdown.
#include "common/http_server.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <exception>
#include <limits>
#include <optional>
#include <unordered_set>
#include <utility>
#include <vector>

#include "common/log.hpp"
#include "common/strings.hpp"

namespace kiosk_edge {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;
using tcp = asio::ip::tcp;
using Milliseconds = std::chrono::milliseconds;
using Response = http::response<http::string_body>;

constexpr std::string_view kComponent = "http";
// Read buffer room beyond max_header_bytes, so that the parser's header limit (431) trips before
// the buffer overflows, and so that chunk-size lines fit while a chunked body streams in.
constexpr std::size_t kReadBufferSlack = 1024;
// A connection closed right after a response is drained of what the client is still sending (at
// most this much, for at most kMaxLinger): closing a socket with unread input sends a reset, which
// can destroy the response before the client has read it.
constexpr std::size_t kMaxDrainBytes = 256 * 1024;
constexpr Milliseconds kMaxLinger{1000};
// At most this many connections are being turned away with 503 at once; beyond it they are closed
// without a response, so that a flood cannot pin file descriptors.
constexpr std::size_t kMaxRejecting = 64;
// Pause after a failed accept (e.g. out of file descriptors) so that the loop does not spin.
constexpr Milliseconds kAcceptRetryDelay{100};

// One accepted connection. Lives in its session coroutine's frame; the server's registry points at
// it while the session runs, so that shutdown can reach it.
struct Connection {
  explicit Connection(tcp::socket socket) : stream(std::move(socket)) {}
  beast::tcp_stream stream;
  bool awaiting_request = false;  // no byte of the next request yet: shutdown may close it
  asio::cancellation_signal handler_cancel;
  bool force_closed = false;  // the shutdown grace ended: write nothing more
};

char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string Describe(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown exception";
  }
}

void LogIfFailed(std::exception_ptr error) {
  if (error) LogError(kComponent, "server coroutine failed: ", Describe(error));
}

// Token characters only in names and no line breaks in values, so that a handler cannot split
// the response (header injection) by passing on something a client sent.
bool IsSafeHeader(std::string_view name, std::string_view value) {
  if (name.empty()) return false;
  for (char c : name) {
    if (c <= ' ' || c >= 127 || c == ':' || c == '(' || c == ')' || c == ',' || c == '"') {
      return false;
    }
  }
  return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

// The status to answer a failed read with, or nullopt to drop the connection silently (the client
// went away, stalled past the deadline, or the server is shutting down).
std::optional<unsigned> StatusForReadError(const error_code& ec, bool header_done) {
  if (ec == http::error::header_limit) return 431;
  if (ec == http::error::body_limit) return 413;
  // The buffer fills only when a header (or a chunk-size line) is longer than it can hold.
  if (ec == http::error::buffer_overflow) return header_done ? 400 : 431;
  if (ec == http::error::end_of_stream || ec == http::error::partial_message) return std::nullopt;
  if (ec.category() == make_error_code(http::error::bad_method).category()) return 400;
  return std::nullopt;
}

HttpRequest ToHttpRequest(http::request<http::string_body>& request, const std::string& remote) {
  HttpRequest out;
  out.method = std::string(request.method_string());
  out.target = std::string(request.target());
  for (const auto& field : request) {
    std::string name(field.name_string());
    std::transform(name.begin(), name.end(), name.begin(), AsciiLower);
    out.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  out.body = std::move(request.body());
  out.remote_address = remote;
  return out;
}

Response ToBeastResponse(HttpResponse response, unsigned version, bool keep_alive, bool head) {
  if (response.status < 200 || response.status > 599 ||
      !IsSafeHeader("Content-Type", response.content_type)) {
    LogError(kComponent, "handler returned an invalid response (status ", response.status, ")");
    response = HttpResponse::Text(500, "internal server error\n");
  }
  Response out;
  out.version(version);
  out.result(response.status);
  out.set(http::field::content_type, response.content_type);
  bool has_cache_control = false;
  for (const auto& [name, value] : response.headers) {
    if (!IsSafeHeader(name, value)) {
      LogError(kComponent, "dropped a response header with invalid characters");
      continue;
    }
    // Framing and the content type are the server's to set.
    const http::field field = http::string_to_field(name);
    if (field == http::field::content_length || field == http::field::transfer_encoding ||
        field == http::field::connection || field == http::field::content_type) {
      continue;
    }
    has_cache_control = has_cache_control || field == http::field::cache_control;
    out.insert(name, value);
  }
  if (!has_cache_control) out.set(http::field::cache_control, "no-store");
  out.set("X-Content-Type-Options", "nosniff");
  out.keep_alive(keep_alive);
  if (response.status == 204 || response.status == 304) return out;  // never a body
  // A HEAD response announces the length of the body it does not carry.
  out.content_length(response.body.size());
  if (!head) out.body() = std::move(response.body);
  return out;
}

// A coroutine, so that a handler throwing before its first suspension is caught like any other
// handler failure. Not a lambda: GCC 12 miscompiles a temporary lambda with init-captures inside a
// co_await expression (the captured strings keep pointing into the caller's frame).
asio::awaitable<HttpResponse> CallHandler(const HttpHandler& handler, HttpRequest request) {
  co_return co_await handler(std::move(request));
}

// A response that ends the connection, for requests the handler never sees.
Response ErrorResponse(unsigned status) {
  const auto reason = http::obsolete_reason(static_cast<http::status>(status));
  Response out =
      ToBeastResponse(HttpResponse::Text(status, StrCat(reason, "\n")), 11, false, false);
  if (status == 503) out.set(http::field::retry_after, "1");
  return out;
}

}  // namespace

struct HttpServer::State {
  State(asio::io_context& io_context, tcp::acceptor bound_acceptor, HttpServerLimits server_limits,
        HttpHandler request_handler)
      : io(io_context),
        acceptor(std::move(bound_acceptor)),
        limits(server_limits),
        handler(std::move(request_handler)),
        grace_timer(io_context) {}

  static asio::awaitable<void> AcceptLoop(std::shared_ptr<State> self);
  static asio::awaitable<void> RunSession(std::shared_ptr<State> self, tcp::socket socket,
                                          bool reject);
  asio::awaitable<void> Serve(Connection& conn);
  asio::awaitable<bool> Write(Connection& conn, Response& response);
  asio::awaitable<void> CloseGracefully(Connection& conn);
  void BeginShutdown(const std::shared_ptr<State>& self, std::function<void()> done);
  void ForceCloseAll();
  void FinishShutdownIfIdle();

  asio::io_context& io;
  tcp::acceptor acceptor;
  const HttpServerLimits limits;
  const HttpHandler handler;
  asio::steady_timer grace_timer;
  std::unordered_set<Connection*> connections;  // every session, rejected ones included
  std::atomic<std::size_t> active{0};           // sessions being served
  std::atomic<std::size_t> rejecting{0};        // sessions answering 503
  bool started = false;
  bool shutting_down = false;
  bool shutdown_finished = false;
  std::vector<std::function<void()>> on_shutdown_done;
};

asio::awaitable<void> HttpServer::State::AcceptLoop(std::shared_ptr<State> self) {
  for (;;) {
    auto [ec, socket] = co_await self->acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
    if (self->shutting_down || !self->acceptor.is_open()) co_return;
    if (ec) {
      LogWarning(kComponent, "accept failed: ", ec.message());
      asio::steady_timer pause(self->io, kAcceptRetryDelay);
      co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    // Responses are written whole; Nagle's algorithm would only delay pipelined ones.
    socket.set_option(tcp::no_delay(true), ec);
    const bool reject = self->active.load() >= self->limits.max_connections;
    if (reject && self->rejecting >= kMaxRejecting) continue;  // `socket` closes here
    asio::co_spawn(self->io, RunSession(self, std::move(socket), reject), LogIfFailed);
  }
}

asio::awaitable<void> HttpServer::State::RunSession(std::shared_ptr<State> self, tcp::socket socket,
                                                    bool reject) {
  Connection conn(std::move(socket));
  // Unregisters the connection however the frame ends, including when the io_context is
  // destroyed with the session suspended.
  struct Registration {
    Registration(State& s, Connection& c, std::atomic<std::size_t>& n)
        : state(s), conn(c), count(n) {
      state.connections.insert(&conn);
      ++count;
    }
    ~Registration() {
      state.connections.erase(&conn);
      --count;
    }
    State& state;
    Connection& conn;
    std::atomic<std::size_t>& count;
  };
  {
    Registration registration(*self, conn, reject ? self->rejecting : self->active);
    try {
      if (reject) {
        Response busy = ErrorResponse(503);
        if (co_await self->Write(conn, busy)) co_await self->CloseGracefully(conn);
      } else {
        co_await self->Serve(conn);
      }
    } catch (const std::exception& e) {
      LogError(kComponent, "connection failed: ", e.what());
    }
  }
  self->FinishShutdownIfIdle();
}

asio::awaitable<void> HttpServer::State::Serve(Connection& conn) {
  error_code ec;
  const tcp::endpoint remote = conn.stream.socket().remote_endpoint(ec);
  const std::string remote_address = ec ? std::string() : remote.address().to_string();
  beast::flat_buffer buffer(limits.max_header_bytes + kReadBufferSlack);
  for (bool first = true;; first = false) {
    // The read deadline runs from the connection's start for the first request and from the first
    // byte for later ones; between requests the connection may idle for idle_timeout.
    conn.stream.expires_after(first ? limits.read_deadline : limits.idle_timeout);
    if (buffer.size() == 0) {  // else a pipelined request has begun already
      if (shutting_down) co_return;
      conn.awaiting_request = true;
      auto [wait_ec, n] = co_await conn.stream.async_read_some(buffer.prepare(buffer.max_size()),
                                                               asio::as_tuple(asio::use_awaitable));
      conn.awaiting_request = false;
      if (wait_ec) co_return;  // closed by the client, idle too long, or shutting down
      buffer.commit(n);
    }
    if (!first) conn.stream.expires_after(limits.read_deadline);

    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
    parser.body_limit(static_cast<std::uint64_t>(limits.max_body_bytes));
    auto [read_ec, unused] =
        co_await http::async_read(conn.stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
    if (read_ec) {
      const std::optional<unsigned> status = StatusForReadError(read_ec, parser.is_header_done());
      LogDebug(kComponent, "request not read: ", read_ec.message());
      if (!status) co_return;
      Response error = ErrorResponse(*status);
      if (co_await Write(conn, error)) co_await CloseGracefully(conn);
      co_return;
    }

    auto& request = parser.get();
    bool keep_alive = request.keep_alive();
    const unsigned version = request.version();
    const bool head = request.method() == http::verb::head;
    HttpRequest app_request = ToHttpRequest(request, remote_address);
    const std::string method = app_request.method;
    const std::string path(app_request.Path());
    // Spawned so that a shutdown past its grace can cancel whatever the handler awaits.
    auto [error, response] = co_await asio::co_spawn(
        conn.stream.get_executor(), CallHandler(handler, std::move(app_request)),
        asio::bind_cancellation_slot(conn.handler_cancel.slot(),
                                     asio::as_tuple(asio::use_awaitable)));
    if (conn.force_closed) co_return;
    if (error) {
      LogError(kComponent, "handler failed for ", method, " ", path, ": ", Describe(error));
      response = HttpResponse::Text(500, "internal server error\n");
      keep_alive = false;
    }
    if (shutting_down) keep_alive = false;
    Response out = ToBeastResponse(std::move(response), version, keep_alive, head);
    LogDebug(kComponent, method, " ", path, " ", out.result_int());
    if (!co_await Write(conn, out)) co_return;
    if (!keep_alive) {
      co_await CloseGracefully(conn);
      co_return;
    }
  }
}

asio::awaitable<bool> HttpServer::State::Write(Connection& conn, Response& response) {
  conn.stream.expires_after(limits.write_deadline);
  auto [ec, unused] =
      co_await http::async_write(conn.stream, response, asio::as_tuple(asio::use_awaitable));
  if (ec) LogDebug(kComponent, "response not written: ", ec.message());
  co_return !ec;
}

asio::awaitable<void> HttpServer::State::CloseGracefully(Connection& conn) {
  error_code ec;
  conn.stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  if (ec || conn.force_closed) co_return;
  conn.stream.expires_after(std::min<Milliseconds>(limits.read_deadline, kMaxLinger));
  std::array<char, 2048> sink;
  for (std::size_t drained = 0; drained < kMaxDrainBytes;) {
    auto [read_ec, n] = co_await conn.stream.async_read_some(asio::buffer(sink),
                                                             asio::as_tuple(asio::use_awaitable));
    if (read_ec) break;  // normally the client's EOF
    drained += n;
  }
}

void HttpServer::State::BeginShutdown(const std::shared_ptr<State>& self,
                                      std::function<void()> done) {
  if (done) on_shutdown_done.push_back(std::move(done));
  if (shutting_down) {
    FinishShutdownIfIdle();  // runs `done` now if the first shutdown has finished already
    return;
  }
  shutting_down = true;
  error_code ignored;
  acceptor.close(ignored);
  for (Connection* conn : connections) {
    if (conn->awaiting_request) conn->stream.cancel();
  }
  grace_timer.expires_after(limits.shutdown_grace);
  grace_timer.async_wait([self](error_code ec) {
    if (!ec) self->ForceCloseAll();
  });
  FinishShutdownIfIdle();
}

void HttpServer::State::ForceCloseAll() {
  // Copied: cancelling may end sessions, which unregister themselves.
  const std::vector<Connection*> open(connections.begin(), connections.end());
  for (Connection* conn : open) {
    conn->force_closed = true;
    conn->handler_cancel.emit(asio::cancellation_type::terminal);
    conn->stream.cancel();
  }
}

void HttpServer::State::FinishShutdownIfIdle() {
  if (!shutting_down || !connections.empty()) return;
  if (!shutdown_finished) {
    shutdown_finished = true;
    grace_timer.cancel();
  }
  for (auto& done : on_shutdown_done) asio::post(io, std::move(done));
  on_shutdown_done.clear();
}

HttpServer::HttpServer(std::shared_ptr<State> state, uint16_t port)
    : state_(std::move(state)), port_(port) {}

HttpServer::~HttpServer() {
  asio::post(state_->io, [state = state_] {
    state->shutting_down = true;
    error_code ignored;
    state->acceptor.close(ignored);
    state->ForceCloseAll();
    state->FinishShutdownIfIdle();
  });
}

Result<std::unique_ptr<HttpServer>> HttpServer::Listen(asio::io_context& io,
                                                       const std::string& address, uint16_t port,
                                                       HttpServerLimits limits,
                                                       HttpHandler handler) {
  error_code ec;
  const asio::ip::address ip = asio::ip::make_address(address, ec);
  if (ec) {
    return Error(ErrorKind::kInvalidArgument,
                 StrCat("HTTP listen address \"", address, "\" is not an IP address"));
  }
  if (!handler) return Error(ErrorKind::kInvalidArgument, "HTTP server: no request handler");
  if (limits.max_connections == 0 || limits.max_header_bytes == 0 ||
      limits.max_header_bytes > std::numeric_limits<std::uint32_t>::max()) {
    return Error(ErrorKind::kInvalidArgument,
                 "HTTP server: max_connections and max_header_bytes must be positive");
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
  auto state = std::make_shared<State>(io, std::move(acceptor), limits, std::move(handler));
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(state), bound.port()));
}

void HttpServer::Start() {
  asio::dispatch(state_->io, [state = state_] {
    if (state->started || state->shutting_down) return;
    state->started = true;
    asio::co_spawn(state->io, State::AcceptLoop(state), LogIfFailed);
  });
}

void HttpServer::Shutdown(std::function<void()> done) {
  asio::dispatch(state_->io, [state = state_, done = std::move(done)]() mutable {
    state->BeginShutdown(state, std::move(done));
  });
}

std::size_t HttpServer::active_connections() const { return state_->active.load(); }

}  // namespace kiosk_edge
