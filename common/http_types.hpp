#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kiosk_edge {

// One HTTP request as the application sees it, independent of the HTTP library.
struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // origin-form, e.g. "/c/ABCD?lang=en"
  // Header names lower-cased; values as received.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Peer IP, for rate limits ("local" over a Unix socket); never logged with personal data.
  std::string remote_address;
  // Over TLS with client certificates (HttpServer::ListenTls with a client CA): the subject CN
  // (e.g. a kiosk id), serial and end of validity of the certificate the client presented, set
  // only when that certificate verified against the client CA and was not revoked. Unset
  // otherwise, and always on plain TCP and Unix sockets. The CN is 1..64 printable ASCII
  // characters.
  std::optional<std::string> peer_common_name;
  std::optional<std::uint64_t> peer_certificate_serial;
  std::optional<std::chrono::system_clock::time_point> peer_certificate_not_after;

  // The first header named `name` (case-insensitive), if any.
  std::optional<std::string_view> Header(std::string_view name) const;
  // The path part of `target`, without the query string.
  std::string_view Path() const;
};

struct HttpResponse {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers, e.g. Set-Cookie
  std::string body;

  static HttpResponse Text(unsigned status, std::string body);
  static HttpResponse Json(unsigned status, std::string body);
  static HttpResponse Html(unsigned status, std::string body);
};

// Handles one request. Runs on the server's I/O thread: it must not block (hand blocking work,
// such as a durable journal append, to another thread and co_await its completion).
using HttpHandler = std::function<boost::asio::awaitable<HttpResponse>(HttpRequest)>;

// Every network read has a deadline and a size limit (DESIGN.md §10).
struct HttpServerLimits {
  std::size_t max_header_bytes = 8 * 1024;  // request line + headers; over it: 431
  std::size_t max_body_bytes = 64 * 1024;   // over it: 413
  // Paths (exact, without the query) whose bodies may be up to max_upload_body_bytes instead:
  // camera frames posted by the counter page.
  std::vector<std::string> upload_paths;
  std::size_t max_upload_body_bytes = 2 * 1024 * 1024;
  std::chrono::milliseconds read_deadline{10'000};   // whole request, from its first byte
  std::chrono::milliseconds write_deadline{10'000};  // whole response
  std::chrono::milliseconds idle_timeout{30'000};    // keep-alive wait for the next request
  std::size_t max_connections = 256;                 // over it: 503 and close
  std::chrono::milliseconds shutdown_grace{5'000};   // in-flight requests get this long
};

// What HttpServer::ListenTls serves with. TLS 1.2 and 1.3 only (1.3 preferred), forward-secret
// AEAD cipher suites only, no session resumption (so that every connection's client certificate
// is verified and checked against is_revoked afresh).
struct TlsServerOptions {
  // The server's certificate, then any intermediates (PEM), and its private key (PKCS#8 PEM;
  // key material).
  std::string certificate_chain_pem;
  std::string private_key_pem;
  // The CAs (PEM, one or more certificates) that client certificates must chain to. Empty: no
  // client certificate is asked for, and peer_common_name is never set. When not empty, a client
  // that presents a certificate which does not verify (another CA, expired, not for client
  // authentication, revoked, without exactly one valid CN) fails the handshake, even when
  // require_client_certificate is false.
  std::string client_ca_pem;
  // A client without a certificate fails the handshake. Needs client_ca_pem.
  bool require_client_certificate = false;
  // Optional. Asked during the handshake, for each client certificate that otherwise verified:
  // true refuses it (the handshake fails with a "certificate revoked" alert; with TLS 1.3 the
  // client sees the alert on its first read). Asked again before every request on the
  // connection, so a certificate revoked since the handshake gets 403 and the connection is
  // closed; the handler never sees a revoked certificate's request. Runs on the server's I/O
  // thread: it must be quick and must not block (e.g. look up an in-memory set under a mutex).
  // If it throws, the certificate is treated as revoked.
  std::function<bool(std::string_view common_name, std::uint64_t serial)> is_revoked;
};

}  // namespace kiosk_edge
