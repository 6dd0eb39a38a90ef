// The per-connection half of the HTTP server and its only Beast and TLS user, for any stream (TCP,
// Unix sockets, TLS over TCP). Modelled on Beast's awaitable HTTP server example (boost-1.81.0),
// plus connection accounting and graceful shutdown. The listening half is in http_server.cpp.
#include "common/http_session.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/verify_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/basic_stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "common/http_date.hpp"
#include "common/log.hpp"
#include "common/strings.hpp"
#include "common/tls_certs.hpp"

namespace kiosk_edge::http_detail {

using RevocationCheck = std::function<bool(std::string_view, std::uint64_t)>;

class ServerTlsContext {
 public:
  boost::asio::ssl::context context{boost::asio::ssl::context::tls_server};
  RevocationCheck is_revoked;  // may be empty
};

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;
using Milliseconds = std::chrono::milliseconds;
using Response = http::response<http::string_body>;
using tcp = asio::ip::tcp;
using TlsStream = beast::ssl_stream<beast::basic_stream<tcp>>;
template <class Stream>
constexpr bool kIsTls = std::is_same_v<Stream, TlsStream>;

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

// A verified client certificate's identity, as HttpRequest carries it.
struct PeerIdentity {
  std::string common_name;
  std::uint64_t serial = 0;
  std::chrono::system_clock::time_point not_after;
};

// The identity in `cert`; an error (for the log) when it has none we accept: exactly one CN of
// 1..64 printable ASCII characters and a serial of at most 64 bits.
Result<PeerIdentity> IdentityOf(X509* cert) {
  const int length = i2d_X509(cert, nullptr);
  if (length <= 0) return Error(ErrorKind::kInvalidArgument, "unencodable certificate");
  std::string der(static_cast<std::size_t>(length), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_X509(cert, &out) != length) {
    return Error(ErrorKind::kInvalidArgument, "unencodable certificate");
  }
  auto info = ReadCertificateDer(der);
  if (!info) return info.error();
  if (!IsValidCommonName(info->common_name)) {
    return Error(ErrorKind::kInvalidArgument, "no common name of 1..64 printable characters");
  }
  return PeerIdentity{std::move(info->common_name), info->serial, info->not_after};
}

// Asks the revocation hook; a throwing hook refuses the certificate.
bool IsRevoked(const RevocationCheck& is_revoked, const PeerIdentity& peer) {
  if (!is_revoked) return false;
  try {
    return is_revoked(peer.common_name, peer.serial);
  } catch (const std::exception& e) {
    LogError(kComponent, "revocation check failed, refusing ", peer.common_name, ": ", e.what());
  } catch (...) {
    LogError(kComponent, "revocation check failed, refusing ", peer.common_name);
  }
  return true;
}

// The client-certificate check run during the handshake, after OpenSSL's own chain
// verification: the leaf must carry an identity we accept and must not be revoked.
bool VerifyClientCertificate(const RevocationCheck& is_revoked, bool preverified,
                             asio::ssl::verify_context& verify) {
  X509_STORE_CTX* store = verify.native_handle();
  if (!preverified) return false;
  if (X509_STORE_CTX_get_error_depth(store) != 0) return true;  // an issuer, verified by OpenSSL
  auto identity = IdentityOf(X509_STORE_CTX_get_current_cert(store));
  if (!identity) {
    LogInfo(kComponent, "refused a client certificate: ", identity.error().message());
    X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
    return false;
  }
  if (IsRevoked(is_revoked, *identity)) {
    LogWarning(kComponent, "refused the revoked client certificate of ", identity->common_name,
               " (serial ", identity->serial, ")");
    X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REVOKED);
    return false;
  }
  return true;
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

HttpRequest ToHttpRequest(http::request<http::string_body>& request, const std::string& remote,
                          const std::optional<PeerIdentity>& peer) {
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
  if (peer) {
    out.peer_common_name = peer->common_name;
    out.peer_certificate_serial = peer->serial;
    out.peer_certificate_not_after = peer->not_after;
  }
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
  out.set(http::field::date, FormatHttpDate(std::chrono::system_clock::now()));
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

// One accepted connection over `Stream`: beast::basic_stream<Protocol> (TCP, Unix sockets) or
// TlsStream. Lives in its Run() coroutine's frame; the server's registry points at it while it
// runs, so that shutdown can reach it.
template <class Stream>
class Session final : public Connection {
 public:
  Session(ServerCore& server, Stream stream) : server_(server), stream_(std::move(stream)) {}

  static asio::awaitable<void> Run(std::shared_ptr<ServerCore> server, Stream stream, bool reject);

  void CancelIo() override { Lowest().cancel(); }

 private:
  // The TCP or Unix-socket stream, with the deadlines.
  auto& Lowest() { return beast::get_lowest_layer(stream_); }

  // TLS only: the handshake, within limits.read_deadline. False when it failed (logged).
  asio::awaitable<bool> Handshake();
  asio::awaitable<void> Serve();
  asio::awaitable<bool> Write(Response& response);
  asio::awaitable<void> CloseGracefully();

  ServerCore& server_;
  Stream stream_;
  std::string remote_address_;
  std::optional<PeerIdentity> peer_;  // TLS with a verified client certificate
};

template <class Stream>
asio::awaitable<void> Session<Stream>::Run(std::shared_ptr<ServerCore> server, Stream stream,
                                           bool reject) {
  Session session(*server, std::move(stream));
  session.remote_address_ = RemoteAddress(session.Lowest().socket());
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
      if (!co_await session.Handshake()) {
        // Nothing to answer on: the client cannot read a response without a TLS session.
      } else if (reject) {
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

template <class Stream>
asio::awaitable<bool> Session<Stream>::Handshake() {
  if constexpr (!kIsTls<Stream>) {
    co_return true;
  } else {
    if (server_.shutting_down) co_return false;
    Lowest().expires_after(server_.limits.read_deadline);
    awaiting_request = true;  // shutdown closes connections still in their handshake
    auto [ec] = co_await stream_.async_handshake(asio::ssl::stream_base::server,
                                                 asio::as_tuple(asio::use_awaitable));
    awaiting_request = false;
    SSL* ssl = stream_.native_handle();
    if (ec) {
      const long verify = SSL_get_verify_result(ssl);
      LogInfo(kComponent, "TLS handshake with ", remote_address_, " failed: ", ec.message(),
              verify == X509_V_OK ? "" : StrCat(" (", X509_verify_cert_error_string(verify), ")"));
      ERR_clear_error();
      co_return false;
    }
    // Set only when the client sent a certificate, which the handshake then verified (a
    // certificate that fails verification fails the handshake).
    X509* peer = SSL_get0_peer_certificate(ssl);
    if (peer != nullptr && SSL_get_verify_result(ssl) == X509_V_OK) {
      auto identity = IdentityOf(peer);
      if (!identity) co_return false;  // checked during verification already
      peer_ = std::move(*identity);
    }
    co_return true;
  }
}

template <class Stream>
asio::awaitable<void> Session<Stream>::Serve() {
  const HttpServerLimits& limits = server_.limits;
  beast::flat_buffer buffer(limits.max_header_bytes + kReadBufferSlack);
  for (bool first = true;; first = false) {
    // The read deadline runs from the connection's start for the first request and from the first
    // byte for later ones; between requests the connection may idle for idle_timeout.
    Lowest().expires_after(first ? limits.read_deadline : limits.idle_timeout);
    if (buffer.size() == 0) {  // else a pipelined request has begun already
      if (server_.shutting_down) co_return;
      awaiting_request = true;
      auto [wait_ec, n] = co_await stream_.async_read_some(buffer.prepare(buffer.max_size()),
                                                           asio::as_tuple(asio::use_awaitable));
      awaiting_request = false;
      if (wait_ec) co_return;  // closed by the client, idle too long, or shutting down
      buffer.commit(n);
    }
    if (!first) Lowest().expires_after(limits.read_deadline);

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

    if (peer_ && IsRevoked(server_.tls->is_revoked, *peer_)) {
      LogWarning(kComponent, "closed the connection of revoked client ", peer_->common_name,
                 " (serial ", peer_->serial, ")");
      Response forbidden = ErrorResponse(403);
      if (co_await Write(forbidden)) co_await CloseGracefully();
      co_return;
    }

    auto& request = parser.get();
    bool keep_alive = request.keep_alive();
    const unsigned version = request.version();
    const bool head = request.method() == http::verb::head;
    HttpRequest app_request = ToHttpRequest(request, remote_address_, peer_);
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

template <class Stream>
asio::awaitable<bool> Session<Stream>::Write(Response& response) {
  if (server_.response_observer) server_.response_observer(response.result_int());
  Lowest().expires_after(server_.limits.write_deadline);
  auto [ec, unused] =
      co_await http::async_write(stream_, response, asio::as_tuple(asio::use_awaitable));
  if (ec) LogDebug(kComponent, "response not written: ", ec.message());
  co_return !ec;
}

template <class Stream>
asio::awaitable<void> Session<Stream>::CloseGracefully() {
  const Milliseconds linger = std::min<Milliseconds>(server_.limits.read_deadline, kMaxLinger);
  if constexpr (kIsTls<Stream>) {
    // close_notify, so that the client can tell the end from a truncation. OpenSSL then waits for
    // the client's close_notify (or its EOF): bounded by the linger time.
    if (force_closed) co_return;
    Lowest().expires_after(linger);
    co_await stream_.async_shutdown(asio::as_tuple(asio::use_awaitable));
    ERR_clear_error();
  }
  error_code ec;
  Lowest().socket().shutdown(asio::socket_base::shutdown_send, ec);
  if (ec || force_closed) co_return;
  Lowest().expires_after(linger);
  std::array<char, 2048> sink;  // raw bytes: for TLS, whatever records are still arriving
  for (std::size_t drained = 0; drained < kMaxDrainBytes;) {
    auto [read_ec, n] =
        co_await Lowest().async_read_some(asio::buffer(sink), asio::as_tuple(asio::use_awaitable));
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
  if constexpr (std::is_same_v<Protocol, tcp>) {
    if (server->tls) {
      // The completion handler keeps this connection's context alive until its session (and
      // the stream using the context) has ended, even after ReplaceTls swapped it.
      std::shared_ptr<ServerTlsContext> tls = server->tls;
      TlsStream stream(std::move(socket), tls->context);
      asio::co_spawn(io, Session<TlsStream>::Run(std::move(server), std::move(stream), reject),
                     [tls](std::exception_ptr error) { LogIfFailed(error); });
      return;
    }
  }
  using PlainStream = beast::basic_stream<Protocol>;
  PlainStream stream(std::move(socket));
  asio::co_spawn(io, Session<PlainStream>::Run(std::move(server), std::move(stream), reject),
                 LogIfFailed);
}

Result<std::shared_ptr<ServerTlsContext>> MakeServerTlsContext(const TlsServerOptions& options) {
  const auto invalid = [](std::string_view what, std::string_view why) {
    ERR_clear_error();
    return Error(ErrorKind::kInvalidArgument, StrCat("TLS server ", what, ": ", why));
  };
  if (options.require_client_certificate && options.client_ca_pem.empty()) {
    return invalid("options", "require_client_certificate needs client_ca_pem");
  }
  if (options.certificate_chain_pem.empty()) return invalid("certificate chain", "empty");
  if (options.private_key_pem.empty()) return invalid("private key", "empty");
  auto tls = std::make_shared<ServerTlsContext>();
  tls->is_revoked = options.is_revoked;
  asio::ssl::context& context = tls->context;
  SSL_CTX* native = context.native_handle();
  ERR_clear_error();
  // TLS 1.2 and 1.3 only; for 1.2, forward-secret AEAD suites only (1.3 has nothing else).
  // No session resumption: a resumed session would skip the client certificate's verification
  // and revocation check.
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(native, "ECDHE+AESGCM:ECDHE+CHACHA20") != 1 ||
      SSL_CTX_set_num_tickets(native, 0) != 1) {
    return Error(ErrorKind::kInternal, "TLS server: OpenSSL refused the protocol settings");
  }
  SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION |
                                  SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_OFF);
  // Never prompt for a passphrase: an encrypted key fails to load instead.
  context.set_password_callback(
      [](std::size_t, asio::ssl::context::password_purpose) { return std::string(); });
  error_code ec;
  context.use_certificate_chain(asio::buffer(options.certificate_chain_pem), ec);
  if (ec) return invalid("certificate chain", ec.message());
  context.use_private_key(asio::buffer(options.private_key_pem), asio::ssl::context::pem, ec);
  if (ec) {
    const bool mismatch =
        ec.category() == asio::error::get_ssl_category() &&
        ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == X509_R_KEY_VALUES_MISMATCH;
    return invalid("private key", mismatch ? "does not match the certificate" : ec.message());
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    return invalid("private key", "does not match the certificate");
  }
  if (!options.client_ca_pem.empty()) {
    context.add_certificate_authority(asio::buffer(options.client_ca_pem), ec);
    if (ec) return invalid("client CA", ec.message());
    context.set_verify_mode(asio::ssl::verify_peer | (options.require_client_certificate
                                                          ? asio::ssl::verify_fail_if_no_peer_cert
                                                          : asio::ssl::verify_none));
    context.set_verify_depth(4);
    context.set_verify_callback(
        [is_revoked = options.is_revoked](bool preverified, asio::ssl::verify_context& verify) {
          return VerifyClientCertificate(is_revoked, preverified, verify);
        });
  } else {
    context.set_verify_mode(asio::ssl::verify_none);
  }
  ERR_clear_error();
  return tls;
}

template void SpawnSession<asio::ip::tcp>(std::shared_ptr<ServerCore>, asio::ip::tcp::socket, bool);
template void SpawnSession<asio::local::stream_protocol>(std::shared_ptr<ServerCore>,
                                                         asio::local::stream_protocol::socket,
                                                         bool);

}  // namespace kiosk_edge::http_detail
