// Private to the HTTP server: included only by http_server.cpp (the listeners) and
// http_session.cpp (the per-connection sessions, the only Beast and TLS user). Not part of the
// API.
#pragma once

#include <atomic>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <unordered_set>
#include <vector>

#include "common/error.hpp"
#include "common/http_types.hpp"

namespace kiosk_edge::http_detail {

// A TLS server context (certificate, key, client verification, revocation hook). Opaque here so
// that only http_session.cpp sees OpenSSL; shared by a server's TLS sessions.
class ServerTlsContext;

// Checks `options` and builds the context: kInvalidArgument (naming the option) for a certificate
// or key that does not load, a key that does not match the certificate, or
// require_client_certificate without client_ca_pem.
Result<std::shared_ptr<ServerTlsContext>> MakeServerTlsContext(const TlsServerOptions& options);

// One connection being served or turned away with 503, as shutdown sees it.
class Connection {
 public:
  // Cancels the connection's pending reads and writes, which ends its session. io thread.
  virtual void CancelIo() = 0;

  bool awaiting_request = false;  // no byte of the next request yet: shutdown may close it
  bool force_closed = false;      // the shutdown grace ended: write nothing more
  boost::asio::cancellation_signal handler_cancel;

 protected:
  ~Connection() = default;
};

// One server's state, shared by its accept loop and its sessions (which may outlive the
// HttpServer briefly). The members are used on the io thread only, except the two counters and
// RemoveSocketFile(). The listening side is implemented per transport in http_server.cpp.
class ServerCore : public std::enable_shared_from_this<ServerCore> {
 public:
  // `tls_context`: null for plain HTTP; otherwise TCP connections are served over TLS with it.
  ServerCore(boost::asio::io_context& io_context, HttpServerLimits server_limits,
             HttpHandler request_handler, std::shared_ptr<ServerTlsContext> tls_context);
  ServerCore(const ServerCore&) = delete;
  ServerCore& operator=(const ServerCore&) = delete;
  virtual ~ServerCore() = default;

  // Spawns the accept loop.
  virtual void StartAccepting() = 0;
  // Closes the listening socket and removes its socket file, if any. Idempotent.
  virtual void StopAccepting() = 0;
  // Removes the socket file (if this server has one and it is still ours). Any thread; idempotent.
  virtual void RemoveSocketFile() = 0;

  // Stops accepting; connections waiting for a request are closed, the others get
  // limits.shutdown_grace to finish. `done` is posted once no connection is left.
  void BeginShutdown(std::function<void()> done);
  // Ends every connection now, cancelling the handlers in flight.
  void ForceCloseAll();
  // Completes a shutdown once the last connection has ended.
  void FinishShutdownIfIdle();

  boost::asio::io_context& io;
  const HttpServerLimits limits;
  const HttpHandler handler;
  // Null: plain HTTP. New connections use the one here (HttpServer::ReplaceTls swaps it).
  std::shared_ptr<ServerTlsContext> tls;
  boost::asio::steady_timer grace_timer;
  std::unordered_set<Connection*> connections;      // every session, rejected ones included
  std::atomic<std::size_t> active{0};               // sessions being served
  std::atomic<std::size_t> rejecting{0};            // sessions answering 503
  std::atomic<std::size_t> accepted{0};             // connections accepted since the start
  std::function<void(unsigned)> response_observer;  // set before the start; may be empty
  bool started = false;
  bool shutting_down = false;
  bool shutdown_finished = false;
  std::vector<std::function<void()>> on_shutdown_done;
};

// Serves `socket` (with `reject`: answers 503 and closes it) in a coroutine on server->io, over
// TLS when server->tls is set (TCP only); the session is in server->connections while it runs.
// Defined for the two transports below.
template <class Protocol>
void SpawnSession(std::shared_ptr<ServerCore> server, typename Protocol::socket socket,
                  bool reject);

extern template void SpawnSession<boost::asio::ip::tcp>(std::shared_ptr<ServerCore>,
                                                        boost::asio::ip::tcp::socket, bool);
extern template void SpawnSession<boost::asio::local::stream_protocol>(
    std::shared_ptr<ServerCore>, boost::asio::local::stream_protocol::socket, bool);

// A co_spawn completion handler: logs an exception that escaped a server coroutine.
void LogIfFailed(std::exception_ptr error);

}  // namespace kiosk_edge::http_detail
