#pragma once

#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "common/error.hpp"
#include "common/http_types.hpp"

namespace kiosk_edge {

namespace http_detail {
class ServerCore;  // in http_session.hpp, private to the server
}  // namespace http_detail

// An HTTP/1.1 server on one io_context, on TCP (Listen), TLS over TCP (ListenTls) or a Unix
// socket (ListenLocal), which behave alike apart from addressing and encryption: accepts
// connections, reads requests under the size limits and deadlines of HttpServerLimits, runs the
// handler on the io_context's thread and writes its response. Everything it does runs on that
// io_context, which must be run by exactly one thread and must outlive this object.
//
// What clients see, beyond the handler's responses:
//   - 400 for a malformed request, 431 for a request line + headers over max_header_bytes, 413
//     for a body over max_body_bytes; the connection is then closed.
//   - 503 (and close) for a connection beyond max_connections; the others are not disturbed.
//   - 500 (and close) when the handler throws; the server keeps serving.
//   - A request that does not arrive in full within read_deadline of its first byte (for the
//     first request: of the connection's start), a keep-alive connection idle for idle_timeout,
//     or a response that cannot be written within write_deadline: the connection is dropped.
//   - Every response carries Content-Length, Content-Type, "X-Content-Type-Options: nosniff"
//     and "Cache-Control: no-store" unless the handler set its own Cache-Control.
class HttpServer {
 public:
  // Binds and listens on address:port (port 0: any free port) on `io`. Fails with
  // kInvalidArgument for a malformed address, unusable limits or an empty handler, and with kIo
  // when the socket cannot be bound (e.g. the port is taken). Does not accept until Start().
  static Result<std::unique_ptr<HttpServer>> Listen(boost::asio::io_context& io,
                                                    const std::string& address, uint16_t port,
                                                    HttpServerLimits limits, HttpHandler handler);

  // As Listen(), serving HTTPS: every connection starts with a TLS handshake (TLS 1.2 or 1.3),
  // which must finish within limits.read_deadline of the connection's start (then the first
  // request gets limits.read_deadline of its own); a connection that fails it is closed without
  // a response. Client certificates, verification, revocation and what the handler sees of them:
  // see TlsServerOptions and HttpRequest::peer_common_name. Graceful shutdown closes connections
  // still in their handshake at once. Argument errors as for Listen(), and kInvalidArgument for
  // unusable `tls` (the message names the option).
  static Result<std::unique_ptr<HttpServer>> ListenTls(boost::asio::io_context& io,
                                                       const std::string& address, uint16_t port,
                                                       HttpServerLimits limits,
                                                       const TlsServerOptions& tls,
                                                       HttpHandler handler);

  // Binds and listens on a Unix stream socket at `socket_path`, for local clients such as the
  // admin CLI, whose access check is the socket file's permissions: the file is created with mode
  // 0600 (owner only), so put it in a folder that only the owner can write to. A stale socket file
  // (one nobody accepts on, left by a dead process) is replaced; a socket another process is
  // listening on is refused with kIo, and any other existing file (or a symlink) with
  // kInvalidArgument; both errors name the path. The file is removed by Shutdown() and by the
  // destructor (unless something else has been put at the path since). port() is 0;
  // HttpRequest::remote_address is "local". Argument errors as for Listen().
  static Result<std::unique_ptr<HttpServer>> ListenLocal(boost::asio::io_context& io,
                                                         const std::filesystem::path& socket_path,
                                                         HttpServerLimits limits,
                                                         HttpHandler handler);

  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Stops accepting and drops every connection (handlers in flight are cancelled) without
  // waiting; use Shutdown() first for a graceful stop. A local socket's file is removed before
  // this returns. Safe from any thread.
  ~HttpServer();

  // The bound port (the one chosen when Listen() was given port 0); 0 for ListenLocal().
  uint16_t port() const { return port_; }

  // Starts accepting. Safe from any thread; takes effect on the io thread. No effect after
  // Shutdown().
  void Start();

  // Calls `observer` on the io thread with the status of every response about to be written,
  // the server's own (400, 413, 431, 503, ...) included: a hook for response counters. It must be
  // quick. Call before Start(); later calls have no defined effect.
  void ObserveResponses(std::function<void(unsigned status)> observer);

  // Graceful shutdown. Stops accepting (and removes a local socket's file) at once; connections
  // waiting for a request are closed; requests already being received or handled finish and
  // their responses are written with "Connection: close". After limits.shutdown_grace the
  // remaining connections are closed and their handlers cancelled (a handler that ignores
  // cancellation delays `done` until it returns). `done` runs on the io thread once every
  // connection has ended. Safe from any thread; when called on the io thread it takes effect before
  // returning.
  void Shutdown(std::function<void()> done);

  // A server made by ListenTls serves new connections with `tls` from now on (a renewed
  // certificate, say); connections already open keep the certificate they started with.
  // kInvalidArgument for unusable `tls`, as for ListenTls (the server keeps its certificate), or
  // for a server without TLS. Safe from any thread; takes effect on the io thread.
  Result<void> ReplaceTls(const TlsServerOptions& tls);

  // Connections being served (not counting those being turned away with 503). Any thread.
  std::size_t active_connections() const;

  // Connections accepted since Start(), including those turned away. Any thread.
  std::size_t accepted_connections() const;

 private:
  HttpServer(std::shared_ptr<http_detail::ServerCore> state, uint16_t port, bool serves_tls);

  // Shared with the accept loop and the sessions, which may outlive this object briefly.
  std::shared_ptr<http_detail::ServerCore> state_;
  uint16_t port_;
  bool serves_tls_;
};

}  // namespace kiosk_edge
