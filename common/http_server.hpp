#pragma once

#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/error.hpp"
#include "common/http_types.hpp"

namespace kiosk_edge {

// An HTTP/1.1 server on one io_context: accepts connections, reads requests under the size limits
// and deadlines of HttpServerLimits, runs the handler on the io_context's thread and writes its
// response. Everything it does runs on that io_context, which must be run by exactly one thread
// and must outlive this object.
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

  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Stops accepting and drops every connection (handlers in flight are cancelled) without
  // waiting; use Shutdown() first for a graceful stop. Safe from any thread.
  ~HttpServer();

  // The bound port (the one chosen when Listen() was given port 0).
  uint16_t port() const { return port_; }

  // Starts accepting. Safe from any thread; takes effect on the io thread. No effect after
  // Shutdown().
  void Start();

  // Graceful shutdown. Stops accepting at once; connections waiting for a request are closed;
  // requests already being received or handled finish and their responses are written with
  // "Connection: close". After limits.shutdown_grace the remaining connections are closed and
  // their handlers cancelled (a handler that ignores cancellation delays `done` until it
  // returns). `done` runs on the io thread once every connection has ended. Safe from any thread;
  // when called on the io thread it takes effect before returning.
  void Shutdown(std::function<void()> done);

  // Connections being served (not counting those being turned away with 503). Any thread.
  std::size_t active_connections() const;

 private:
  struct State;

  HttpServer(std::shared_ptr<State> state, uint16_t port);

  // Shared with the accept loop and the sessions, which may outlive this object briefly.
  std::shared_ptr<State> state_;
  uint16_t port_;
};

}  // namespace kiosk_edge
