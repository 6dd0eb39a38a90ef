#pragma once

// An HTTPS/1.1 client for the kiosk's sync with profile-store: one kept-alive TLS connection,
// mutual TLS with the kiosk's certificate, the server verified against HQ's CA. The Beast and
// OpenSSL adapter is https_client.cpp; nothing here exposes their types.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.hpp"

namespace kiosk_edge {

struct HttpsClientOptions {
  // The server: a DNS name or an IP address, and a port. The server's certificate must be valid
  // for `host` (a DNS subjectAltName for a name, an IP subjectAltName for an address).
  std::string host;
  std::uint16_t port = 443;
  // The CA certificates (PEM, one or more) the server's certificate must chain to. Required: the
  // system's trust store is never used.
  std::string ca_pem;
  // The client certificate (PEM, then any intermediates) and its private key (PKCS#8 PEM; key
  // material), for servers that ask for one. Both or neither.
  std::string client_certificate_pem;
  std::string client_private_key_pem;
  // Deadlines: name resolution and TCP connect; the TLS handshake; writing a whole request;
  // reading a whole response (from the end of the request to its last byte).
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds handshake_timeout{10'000};
  std::chrono::milliseconds write_timeout{10'000};
  std::chrono::milliseconds read_timeout{10'000};
  // Response size limits: status line + headers, and body (after any chunked decoding).
  std::size_t max_response_header_bytes = 16 * 1024;
  std::size_t max_response_body_bytes = 16 * 1024 * 1024;
};

struct HttpClientRequest {
  std::string method = "GET";
  std::string target = "/";  // origin-form: path and query
  // Extra headers. Host, Content-Length and User-Agent (unless given here) are set by the
  // client; Transfer-Encoding, Content-Length and Host given here are refused. Names must be
  // HTTP tokens and values must not contain CR, LF or NUL (else kInvalidArgument).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct HttpClientResponse {
  unsigned status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;

  // The first header named `name` (case-insensitive), if any.
  std::optional<std::string_view> Header(std::string_view name) const;
};

// One connection at a time to one server; Send() opens it when needed (resolve, connect, TLS
// handshake with server verification and SNI) and keeps it open for the next request while the
// server allows (HTTP/1.1 keep-alive). Runs on the given executor, which must be a single-threaded
// io_context's (or a strand); Send() and Close() must be called on it.
//
// Errors from Send():
//   - kInvalidArgument: a malformed request (no connection is touched).
//   - kUnavailable: the server could not be reached or did not answer in time, and retrying later
//     may work: resolution failed, connect refused or timed out ("connect to 127.0.0.1:8443:
//     Connection refused"), the connection dropped, a deadline passed ("read timed out after
//     10 s"); also a Send() while another is in flight.
//   - kIo: the exchange happened but is unusable: the TLS handshake failed (server certificate
//     from another CA, wrong host: "TLS handshake with 127.0.0.1:8443: certificate verify failed
//     (unable to get local issuer certificate)"), the server refused our certificate (an alert
//     such as "tlsv13 alert certificate required" or "sslv3 alert certificate revoked"), a
//     malformed response, or one over the size limits.
// After any error the connection is closed; the next Send() opens a new one. An HTTP error
// status (4xx, 5xx) is a successful Send().
//
// Stale connections: before reusing a connection Send() checks that the server has not closed
// it; if the server closes it anyway while the request is on its way (a race with its idle
// timeout), so that the connection ends before any byte of the response, the request is sent
// once more on a new connection. The server may therefore receive a request twice: send only
// requests that are safe to repeat (the sync protocol's are idempotent on event identity).
class HttpsClient {
 public:
  // Checks the options and loads the certificates and keys: kInvalidArgument (naming the option)
  // for an empty host or CA, a PEM that does not load, a client certificate without its key (or
  // the reverse) or a key that does not match its certificate, zero timeouts or limits.
  // Connects nothing yet.
  static Result<std::unique_ptr<HttpsClient>> Create(boost::asio::any_io_executor executor,
                                                     HttpsClientOptions options);

  HttpsClient(const HttpsClient&) = delete;
  HttpsClient& operator=(const HttpsClient&) = delete;
  // Closes the connection. Must not be destroyed while a Send() is in flight.
  ~HttpsClient();

  // Sends `request` and reads the response. `request` must stay alive until the returned
  // awaitable completes (a reference, not a value: GCC 12 destroys temporaries created inside a
  // co_await expression twice). One Send() at a time.
  boost::asio::awaitable<Result<HttpClientResponse>> Send(const HttpClientRequest& request);

  // Closes the connection now (e.g. before a long pause); the next Send() opens a new one.
  void Close();

  // A renewed client certificate and its key, checked as Create() checks them, for the
  // connections opened from now on: the next Send() opens a new one (a Send() in flight finishes
  // on its connection). On an error nothing changes. Call where Send() is called.
  Result<void> ReplaceClientCertificate(std::string certificate_pem, std::string private_key_pem);

  // Connections opened (TCP connects that succeeded) since Create(); for tests and statistics.
  std::size_t connections_opened() const;

 private:
  class Impl;
  explicit HttpsClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kiosk_edge
