// The per-connection half of the HTTP server and its only Beast user, for any stream protocol
// (TCP and Unix sockets). Modelled on Beast's awaitable HTTP server example (boost-1.81.0), plus
// connection accounting and graceful shutdown. The listening half is in http_server.cpp.
#include "common/http_session.hpp"

#include <algorithm>
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/basic_stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>

#include "common/log.hpp"
#include "common/strings.hpp"

namespace kiosk_edge::http_detail {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;
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

// What HttpRequest::remote_address says about the peer.
std::string RemoteAddress(const asio::ip::tcp::socket& socket) {
  error_code ec;
  const asio::ip::tcp::endpoint remote = socket.remote_endpoint(ec);
  return ec ? std::string() : remote.address().to_string();
}
std::string RemoteAddress(const asio::local::stream_protocol::socket&) { return "local"; }

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

// One accepted connection. Lives in its Run() coroutine's frame; the server's registry points at
// it while it runs, so that shutdown can reach it.
template <class Protocol>
class Session final : public Connection {
 public:
  Session(ServerCore& server, typename Protocol::socket socket)
      : server_(server), stream_(std::move(socket)) {}

  static asio::awaitable<void> Run(std::shared_ptr<ServerCore> server,
                                   typename Protocol::socket socket, bool reject);

  void CancelIo() override { stream_.cancel(); }

 private:
  asio::awaitable<void> Serve();
  asio::awaitable<bool> Write(Response& response);
  asio::awaitable<void> CloseGracefully();

  ServerCore& server_;
  beast::basic_stream<Protocol> stream_;
};

template <class Protocol>
asio::awaitable<void> Session<Protocol>::Run(std::shared_ptr<ServerCore> server,
                                             typename Protocol::socket socket, bool reject) {
  Session session(*server, std::move(socket));
  // Unregisters the session however the frame ends, including when the io_context is destroyed
  // with the session suspended.
  struct Registration {
    Registration(ServerCore& s, Connection& c, std::atomic<std::size_t>& n)
        : state(s), conn(c), count(n) {
      state.connections.insert(&conn);
      ++count;
    }
    ~Registration() {
      state.connections.erase(&conn);
      --count;
    }
    ServerCore& state;
    Connection& conn;
    std::atomic<std::size_t>& count;
  };
  {
    Registration registration(*server, session, reject ? server->rejecting : server->active);
    try {
      if (reject) {
        Response busy = ErrorResponse(503);
        if (co_await session.Write(busy)) co_await session.CloseGracefully();
      } else {
        co_await session.Serve();
      }
    } catch (const std::exception& e) {
      LogError(kComponent, "connection failed: ", e.what());
    }
  }
  server->FinishShutdownIfIdle();
}

template <class Protocol>
asio::awaitable<void> Session<Protocol>::Serve() {
  const HttpServerLimits& limits = server_.limits;
  const std::string remote_address = RemoteAddress(stream_.socket());
  beast::flat_buffer buffer(limits.max_header_bytes + kReadBufferSlack);
  for (bool first = true;; first = false) {
    // The read deadline runs from the connection's start for the first request and from the first
    // byte for later ones; between requests the connection may idle for idle_timeout.
    stream_.expires_after(first ? limits.read_deadline : limits.idle_timeout);
    if (buffer.size() == 0) {  // else a pipelined request has begun already
      if (server_.shutting_down) co_return;
      awaiting_request = true;
      auto [wait_ec, n] = co_await stream_.async_read_some(buffer.prepare(buffer.max_size()),
                                                           asio::as_tuple(asio::use_awaitable));
      awaiting_request = false;
      if (wait_ec) co_return;  // closed by the client, idle too long, or shutting down
      buffer.commit(n);
    }
    if (!first) stream_.expires_after(limits.read_deadline);

    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
    // Beast checks Content-Length against the body limit as the header completes: start with the
    // larger limit, then hold the request to its path's own.
    parser.body_limit(
        static_cast<std::uint64_t>(std::max(limits.max_body_bytes, limits.max_upload_body_bytes)));
    auto [read_ec, unused] = co_await http::async_read_header(stream_, buffer, parser,
                                                              asio::as_tuple(asio::use_awaitable));
    if (!read_ec) {
      const std::string_view target = parser.get().target();
      const std::string_view path = target.substr(0, target.find('?'));
      const bool upload = std::find(limits.upload_paths.begin(), limits.upload_paths.end(), path) !=
                          limits.upload_paths.end();
      const auto body_limit =
          static_cast<std::uint64_t>(upload ? limits.max_upload_body_bytes : limits.max_body_bytes);
      if (parser.content_length() && *parser.content_length() > body_limit) {
        read_ec = http::error::body_limit;
      } else {
        parser.body_limit(body_limit);  // chunked bodies count down from here
        std::tie(read_ec, unused) =
            co_await http::async_read(stream_, buffer, parser, asio::as_tuple(asio::use_awaitable));
      }
    }
    if (read_ec) {
      const std::optional<unsigned> status = StatusForReadError(read_ec, parser.is_header_done());
      LogDebug(kComponent, "request not read: ", read_ec.message());
      if (!status) co_return;
      Response error = ErrorResponse(*status);
      if (co_await Write(error)) co_await CloseGracefully();
      co_return;
    }

    auto& request = parser.get();
    bool keep_alive = request.keep_alive();
    const unsigned version = request.version();
    const bool head = request.method() == http::verb::head;
    HttpRequest app_request = ToHttpRequest(request, remote_address);
    const std::string method = app_request.method;
    const std::string path(app_request.Path());
    // Spawned so that a shutdown past its grace can cancel whatever the handler awaits. Named
    // locals, not temporaries in the co_await expression (GCC 12 may destroy those twice).
    asio::awaitable<HttpResponse> call = CallHandler(server_.handler, std::move(app_request));
    auto token =
        asio::bind_cancellation_slot(handler_cancel.slot(), asio::as_tuple(asio::use_awaitable));
    auto [error, response] =
        co_await asio::co_spawn(stream_.get_executor(), std::move(call), std::move(token));
    if (force_closed) co_return;
    if (error) {
      LogError(kComponent, "handler failed for ", method, " ", path, ": ", Describe(error));
      response = HttpResponse::Text(500, "internal server error\n");
      keep_alive = false;
    }
    if (server_.shutting_down) keep_alive = false;
    Response out = ToBeastResponse(std::move(response), version, keep_alive, head);
    LogDebug(kComponent, method, " ", path, " ", out.result_int());
    if (!co_await Write(out)) co_return;
    if (!keep_alive) {
      co_await CloseGracefully();
      co_return;
    }
  }
}

template <class Protocol>
asio::awaitable<bool> Session<Protocol>::Write(Response& response) {
  stream_.expires_after(server_.limits.write_deadline);
  auto [ec, unused] =
      co_await http::async_write(stream_, response, asio::as_tuple(asio::use_awaitable));
  if (ec) LogDebug(kComponent, "response not written: ", ec.message());
  co_return !ec;
}

template <class Protocol>
asio::awaitable<void> Session<Protocol>::CloseGracefully() {
  error_code ec;
  stream_.socket().shutdown(asio::socket_base::shutdown_send, ec);
  if (ec || force_closed) co_return;
  stream_.expires_after(std::min<Milliseconds>(server_.limits.read_deadline, kMaxLinger));
  std::array<char, 2048> sink;
  for (std::size_t drained = 0; drained < kMaxDrainBytes;) {
    auto [read_ec, n] =
        co_await stream_.async_read_some(asio::buffer(sink), asio::as_tuple(asio::use_awaitable));
    if (read_ec) break;  // normally the client's EOF
    drained += n;
  }
}

}  // namespace

void LogIfFailed(std::exception_ptr error) {
  if (error) LogError(kComponent, "server coroutine failed: ", Describe(error));
}

template <class Protocol>
void SpawnSession(std::shared_ptr<ServerCore> server, typename Protocol::socket socket,
                  bool reject) {
  asio::io_context& io = server->io;  // before `server` is moved into the coroutine
  asio::co_spawn(io, Session<Protocol>::Run(std::move(server), std::move(socket), reject),
                 LogIfFailed);
}

template void SpawnSession<asio::ip::tcp>(std::shared_ptr<ServerCore>, asio::ip::tcp::socket, bool);
template void SpawnSession<asio::local::stream_protocol>(std::shared_ptr<ServerCore>,
                                                         asio::local::stream_protocol::socket,
                                                         bool);

}  // namespace kiosk_edge::http_detail
