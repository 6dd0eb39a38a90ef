// The HTTPS client (see https_client.hpp): Beast over Asio's OpenSSL stream. With
// http_session.cpp, the only file that uses TLS.
#include "common/https_client.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <poll.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/basic_stream.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <limits>
#include <string>

#include "common/strings.hpp"

namespace kiosk_edge {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;
using tcp = asio::ip::tcp;
using TlsStream = beast::ssl_stream<beast::basic_stream<tcp>>;
using Request = http::request<http::string_body>;

// Read buffer room beyond the header limit, for chunk-size lines and body bytes in flight.
constexpr std::size_t kReadBufferSlack = 64 * 1024;

char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return AsciiLower(x) == AsciiLower(y);
         });
}

bool IsToken(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c <= ' ' || c >= 127 ||
        std::string_view("()<>@,;:\\\"/[]?={}").find(c) != std::string_view::npos) {
      return false;
    }
  }
  return true;
}

std::string FormatDuration(std::chrono::milliseconds duration) {
  return duration.count() % 1000 == 0 ? StrCat(duration.count() / 1000, " s")
                                      : StrCat(duration.count(), " ms");
}

// A readable reason: OpenSSL's own words for TLS errors (without Asio's library suffix).
std::string Describe(const error_code& ec) {
  if (ec.category() == asio::error::get_ssl_category()) {
    if (const char* reason = ERR_reason_error_string(static_cast<unsigned long>(ec.value()))) {
      return reason;
    }
  }
  return ec.message();
}

// OpenSSL's "key values mismatch": a private key that does not belong to the certificate.
bool IsKeyMismatch(const error_code& ec) {
  return ec.category() == asio::error::get_ssl_category() &&
         ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == X509_R_KEY_VALUES_MISMATCH;
}

// An alert the server sent: it refused us (our certificate, usually) or the TLS parameters.
bool IsPeerAlert(const error_code& ec) {
  if (ec.category() != asio::error::get_ssl_category()) return false;
  const int reason = ERR_GET_REASON(static_cast<unsigned long>(ec.value()));
  return reason >= SSL_AD_REASON_OFFSET && reason < SSL_AD_REASON_OFFSET + 256;
}

// The connection ended under us: the server closed or reset it.
bool IsDropped(const error_code& ec) {
  return ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe || ec == asio::error::connection_aborted ||
         ec == asio::ssl::error::stream_truncated || ec == http::error::end_of_stream ||
         ec == http::error::partial_message;
}

Error Invalid(std::string message) {
  return Error(ErrorKind::kInvalidArgument, std::move(message));
}

Result<Request> BuildRequest(const HttpClientRequest& request, const std::string& host_header) {
  Request out;
  const http::verb verb = http::string_to_verb(request.method);
  if (verb != http::verb::unknown) {
    out.method(verb);
  } else if (IsToken(request.method)) {
    out.method_string(request.method);
  } else {
    return Invalid("HTTPS request: the method is not an HTTP token");
  }
  const bool target_ok =
      request.target.starts_with('/') && std::none_of(request.target.begin(), request.target.end(),
                                                      [](char c) { return c <= ' ' || c >= 127; });
  if (!target_ok) return Invalid("HTTPS request: the target must be a path without spaces");
  out.target(request.target);
  out.version(11);
  out.set(http::field::host, host_header);
  bool has_user_agent = false;
  for (const auto& [name, value] : request.headers) {
    if (!IsToken(name) || value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      return Invalid("HTTPS request: a header name is not a token or a value contains CR/LF/NUL");
    }
    if (EqualsIgnoringCase(name, "host") || EqualsIgnoringCase(name, "content-length") ||
        EqualsIgnoringCase(name, "transfer-encoding")) {
      return Invalid(StrCat("HTTPS request: the ", name, " header is the client's to set"));
    }
    has_user_agent = has_user_agent || EqualsIgnoringCase(name, "user-agent");
    out.insert(name, value);
  }
  if (!has_user_agent) out.set(http::field::user_agent, "kiosk-edge/" KIOSK_EDGE_VERSION);
  out.body() = request.body;
  out.prepare_payload();
  return out;
}

// How one exchange on an open connection ended.
struct ExchangeOutcome {
  std::optional<HttpClientResponse> response;
  bool keep_alive = false;
  Error error;
  bool dropped_before_response = false;  // nothing of a response arrived: may be retried
};

}  // namespace

std::optional<std::string_view> HttpClientResponse::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoringCase(key, name)) return std::string_view(value);
  }
  return std::nullopt;
}

namespace {

// A TLS client context for `options`: TLS 1.2 or later, ECDHE with AES-GCM or ChaCha20, the
// server verified against options.ca_pem, and the client certificate when there is one.
Result<std::shared_ptr<asio::ssl::context>> MakeContext(const HttpsClientOptions& options) {
  const auto invalid = [](std::string_view option, std::string_view why) {
    ERR_clear_error();
    return Invalid(StrCat("HTTPS client option ", option, ": ", why));
  };
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  SSL_CTX* native = context->native_handle();
  ERR_clear_error();
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(native, "ECDHE+AESGCM:ECDHE+CHACHA20") != 1) {
    return Error(ErrorKind::kInternal, "HTTPS client: OpenSSL refused the protocol settings");
  }
  SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  context->set_password_callback(
      [](std::size_t, asio::ssl::context::password_purpose) { return std::string(); });
  error_code ec;
  context->add_certificate_authority(asio::buffer(options.ca_pem), ec);
  if (ec) return invalid("ca_pem", Describe(ec));
  context->set_verify_mode(asio::ssl::verify_peer);
  if (!options.client_certificate_pem.empty()) {
    context->use_certificate_chain(asio::buffer(options.client_certificate_pem), ec);
    if (ec) return invalid("client_certificate_pem", Describe(ec));
    context->use_private_key(asio::buffer(options.client_private_key_pem), asio::ssl::context::pem,
                             ec);
    if (ec) {
      return invalid("client_private_key_pem",
                     IsKeyMismatch(ec) ? "does not match the client certificate" : Describe(ec));
    }
    if (SSL_CTX_check_private_key(native) != 1) {
      return invalid("client_private_key_pem", "does not match the client certificate");
    }
  }
  ERR_clear_error();
  return context;
}

}  // namespace

class HttpsClient::Impl {
 public:
  Impl(asio::any_io_executor executor, HttpsClientOptions options)
      : executor_(std::move(executor)), options_(std::move(options)) {
    const bool ipv6 = options_.host.find(':') != std::string::npos;
    authority_ = ipv6 ? StrCat("[", options_.host, "]:", options_.port)
                      : StrCat(options_.host, ":", options_.port);
    host_header_ = options_.port == 443 ? (ipv6 ? StrCat("[", options_.host, "]") : options_.host)
                                        : authority_;
  }

  Result<void> Configure();
  Result<void> ReplaceClientCertificate(std::string certificate_pem, std::string private_key_pem);
  asio::awaitable<Result<HttpClientResponse>> Send(const HttpClientRequest& request);
  void Close();
  std::size_t connections_opened() const { return opened_; }

 private:
  auto& Lowest() { return beast::get_lowest_layer(*stream_); }
  void Drop();
  bool StillOpen();
  asio::awaitable<Result<tcp::resolver::results_type>> Resolve();
  asio::awaitable<Result<void>> Connect();
  asio::awaitable<ExchangeOutcome> Exchange(const Request& request);

  asio::any_io_executor executor_;
  HttpsClientOptions options_;
  // What new connections use; stream_context_ is the one stream_ was opened with, kept alive
  // with it after a ReplaceClientCertificate.
  std::shared_ptr<asio::ssl::context> context_;
  std::shared_ptr<asio::ssl::context> stream_context_;
  bool reconnect_ = false;   // the credentials changed: the next Send opens a new connection
  std::string authority_;    // "host:port", for messages
  std::string host_header_;  // the Host header
  std::unique_ptr<TlsStream> stream_;  // the open connection, if any
  beast::flat_buffer buffer_;          // bytes read on stream_ and not parsed yet
  std::size_t exchanges_ = 0;          // responses read on stream_
  std::size_t opened_ = 0;
  bool busy_ = false;
};

Result<void> HttpsClient::Impl::Configure() {
  const auto invalid = [](std::string_view option, std::string_view why) {
    ERR_clear_error();
    return Invalid(StrCat("HTTPS client option ", option, ": ", why));
  };
  if (options_.host.empty() ||
      options_.host.find_first_of(std::string_view(" /\r\n\0", 5)) != std::string::npos) {
    return invalid("host", "empty or malformed");
  }
  if (options_.port == 0) return invalid("port", "must not be 0");
  if (options_.ca_pem.empty()) return invalid("ca_pem", "empty (the server cannot be verified)");
  if (options_.client_certificate_pem.empty() != options_.client_private_key_pem.empty()) {
    return invalid("client_certificate_pem", "needs client_private_key_pem too (both or neither)");
  }
  using std::chrono::milliseconds;
  if (options_.connect_timeout <= milliseconds(0) ||
      options_.handshake_timeout <= milliseconds(0) || options_.write_timeout <= milliseconds(0) ||
      options_.read_timeout <= milliseconds(0) || options_.max_response_header_bytes == 0 ||
      options_.max_response_header_bytes > std::numeric_limits<std::uint32_t>::max()) {
    return invalid("timeouts and limits", "must be positive");
  }
  auto context = MakeContext(options_);
  if (!context) return context.error();
  context_ = std::move(*context);
  return {};
}

Result<void> HttpsClient::Impl::ReplaceClientCertificate(std::string certificate_pem,
                                                         std::string private_key_pem) {
  HttpsClientOptions renewed = options_;
  renewed.client_certificate_pem = std::move(certificate_pem);
  renewed.client_private_key_pem = std::move(private_key_pem);
  if (renewed.client_certificate_pem.empty() || renewed.client_private_key_pem.empty()) {
    return Invalid("HTTPS client: a client certificate and its key are both required");
  }
  auto context = MakeContext(renewed);
  if (!context) return context.error();
  options_ = std::move(renewed);
  context_ = std::move(*context);
  reconnect_ = true;
  return {};
}

void HttpsClient::Impl::Drop() {
  if (stream_) {
    error_code ignored;
    Lowest().socket().close(ignored);
  }
  stream_.reset();
  stream_context_.reset();
  buffer_.clear();
  exchanges_ = 0;
}

void HttpsClient::Impl::Close() {
  if (!stream_) return;
  if (busy_) {
    Lowest().cancel();  // the Send in flight fails and drops the connection itself
    return;
  }
  Drop();
}

// False when the server has closed the connection (or sent something unasked, which leaves it
// unusable too): between exchanges nothing may arrive.
bool HttpsClient::Impl::StillOpen() {
  if (buffer_.size() != 0) return false;
  pollfd probe{};
  probe.fd = Lowest().socket().native_handle();
  probe.events = POLLIN | POLLRDHUP;
  return ::poll(&probe, 1, 0) == 0;
}

asio::awaitable<Result<tcp::resolver::results_type>> HttpsClient::Impl::Resolve() {
  const std::string service = std::to_string(options_.port);
  error_code ec;
  const asio::ip::address address = asio::ip::make_address(options_.host, ec);
  if (!ec) {
    co_return tcp::resolver::results_type::create(tcp::endpoint(address, options_.port),
                                                  options_.host, service);
  }
  // Name resolution runs on Asio's resolver thread and cannot take a deadline: a timer cancels it.
  auto resolver = std::make_shared<tcp::resolver>(executor_);
  auto timed_out = std::make_shared<bool>(false);
  asio::steady_timer timer(executor_, options_.connect_timeout);
  timer.async_wait([weak = std::weak_ptr<tcp::resolver>(resolver), timed_out](error_code wait) {
    if (wait) return;
    *timed_out = true;
    if (auto alive = weak.lock()) alive->cancel();
  });
  auto [resolve_ec, results] =
      co_await resolver->async_resolve(options_.host, service, asio::as_tuple(asio::use_awaitable));
  timer.cancel();
  if (*timed_out) {
    co_return Error(ErrorKind::kUnavailable, StrCat("resolve ", options_.host, " timed out after ",
                                                    FormatDuration(options_.connect_timeout)));
  }
  if (resolve_ec) {
    co_return Error(ErrorKind::kUnavailable,
                    StrCat("resolve ", options_.host, ": ", resolve_ec.message()));
  }
  co_return results;
}

asio::awaitable<Result<void>> HttpsClient::Impl::Connect() {
  Drop();
  auto endpoints = co_await Resolve();
  if (!endpoints) co_return endpoints.error();
  stream_context_ = context_;
  stream_ = std::make_unique<TlsStream>(executor_, *stream_context_);
  Lowest().expires_after(options_.connect_timeout);
  auto [connect_ec, endpoint] =
      co_await Lowest().async_connect(*endpoints, asio::as_tuple(asio::use_awaitable));
  if (connect_ec) {
    Drop();
    co_return Error(ErrorKind::kUnavailable,
                    connect_ec == beast::error::timeout
                        ? StrCat("connect to ", authority_, " timed out after ",
                                 FormatDuration(options_.connect_timeout))
                        : StrCat("connect to ", authority_, ": ", connect_ec.message()));
  }
  ++opened_;
  error_code ignored;
  Lowest().socket().set_option(tcp::no_delay(true), ignored);

  // The server's certificate must name the host: a DNS name (also sent as SNI) or an IP address.
  SSL* ssl = stream_->native_handle();
  error_code not_ip;
  asio::ip::make_address(options_.host, not_ip);
  const bool host_set =
      not_ip ? SSL_set_tlsext_host_name(ssl, options_.host.c_str()) == 1 &&
                   SSL_set1_host(ssl, options_.host.c_str()) == 1
             : X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), options_.host.c_str()) == 1;
  if (!host_set) {
    ERR_clear_error();
    Drop();
    co_return Error(ErrorKind::kInternal, "HTTPS client: cannot set the expected host name");
  }
  Lowest().expires_after(options_.handshake_timeout);
  auto [handshake_ec] = co_await stream_->async_handshake(asio::ssl::stream_base::client,
                                                          asio::as_tuple(asio::use_awaitable));
  if (handshake_ec) {
    const long verify = SSL_get_verify_result(stream_->native_handle());
    std::string message =
        handshake_ec == beast::error::timeout
            ? StrCat("TLS handshake with ", authority_, " timed out after ",
                     FormatDuration(options_.handshake_timeout))
            : StrCat("TLS handshake with ", authority_, ": ", Describe(handshake_ec),
                     verify == X509_V_OK
                         ? ""
                         : StrCat(" (", X509_verify_cert_error_string(verify), ")"));
    ERR_clear_error();
    Drop();
    const bool transient = handshake_ec == beast::error::timeout || IsDropped(handshake_ec);
    co_return Error(transient ? ErrorKind::kUnavailable : ErrorKind::kIo, std::move(message));
  }
  co_return Result<void>();
}

asio::awaitable<ExchangeOutcome> HttpsClient::Impl::Exchange(const Request& request) {
  ExchangeOutcome outcome;
  const auto failed = [&](std::string_view step, const error_code& ec,
                          std::chrono::milliseconds deadline) {
    ErrorKind kind = ErrorKind::kIo;
    std::string message;
    if (ec == beast::error::timeout) {
      kind = ErrorKind::kUnavailable;
      message = StrCat(step, " ", authority_, " timed out after ", FormatDuration(deadline));
    } else if (IsPeerAlert(ec)) {
      message =
          StrCat(step, " ", authority_, ": the server refused the TLS session: ", Describe(ec));
    } else if (IsDropped(ec) || ec == asio::error::operation_aborted) {
      kind = ErrorKind::kUnavailable;
      message = StrCat(step, " ", authority_, ": the connection was closed (", Describe(ec), ")");
    } else {
      message = StrCat(step, " ", authority_, ": ", Describe(ec));
    }
    ERR_clear_error();
    outcome.error = Error(kind, std::move(message));
  };

  Lowest().expires_after(options_.write_timeout);
  auto [write_ec, written] =
      co_await http::async_write(*stream_, request, asio::as_tuple(asio::use_awaitable));
  if (write_ec) {
    failed("write to", write_ec, options_.write_timeout);
    outcome.dropped_before_response = IsDropped(write_ec);
    co_return outcome;
  }

  http::response_parser<http::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(options_.max_response_header_bytes));
  parser.body_limit(static_cast<std::uint64_t>(options_.max_response_body_bytes));
  if (request.method() == http::verb::head) parser.skip(true);
  Lowest().expires_after(options_.read_timeout);
  auto [read_ec, read] =
      co_await http::async_read(*stream_, buffer_, parser, asio::as_tuple(asio::use_awaitable));
  if (read_ec == http::error::body_limit) {
    outcome.error = Error(ErrorKind::kIo, StrCat("response from ", authority_, ": body over ",
                                                 options_.max_response_body_bytes, " bytes"));
    co_return outcome;
  }
  if (read_ec == http::error::header_limit || read_ec == http::error::buffer_overflow) {
    outcome.error = Error(ErrorKind::kIo, StrCat("response from ", authority_, ": header over ",
                                                 options_.max_response_header_bytes, " bytes"));
    co_return outcome;
  }
  if (read_ec) {
    failed("read from", read_ec, options_.read_timeout);
    outcome.dropped_before_response = IsDropped(read_ec) && !parser.got_some();
    co_return outcome;
  }

  auto& message = parser.get();
  HttpClientResponse response;
  response.status = message.result_int();
  for (const auto& field : message) {
    std::string name(field.name_string());
    std::transform(name.begin(), name.end(), name.begin(), AsciiLower);
    response.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  response.body = std::move(message.body());
  outcome.keep_alive = message.keep_alive() && !parser.need_eof();
  outcome.response = std::move(response);
  co_return outcome;
}

asio::awaitable<Result<HttpClientResponse>> HttpsClient::Impl::Send(
    const HttpClientRequest& request) {
  auto built = BuildRequest(request, host_header_);
  if (!built) co_return built.error();
  if (busy_) {
    co_return Error(ErrorKind::kUnavailable, "HTTPS client: another request is in flight");
  }
  busy_ = true;
  struct Idle {
    bool& busy;
    ~Idle() { busy = false; }
  } idle{busy_};
  buffer_.max_size(options_.max_response_header_bytes + kReadBufferSlack);
  if (reconnect_) {
    Drop();
    reconnect_ = false;
  }

  for (int attempt = 0;; ++attempt) {
    bool reused = stream_ && exchanges_ > 0;
    if (reused && !StillOpen()) {
      Drop();
      reused = false;
    }
    if (!stream_) {
      auto connected = co_await Connect();
      if (!connected) co_return connected.error();
    }
    ExchangeOutcome outcome = co_await Exchange(*built);
    if (outcome.response) {
      ++exchanges_;
      if (!outcome.keep_alive) Drop();
      co_return std::move(*outcome.response);
    }
    Drop();
    // The server closed a kept-alive connection as the request went out: once more, afresh.
    if (reused && attempt == 0 && outcome.dropped_before_response) continue;
    co_return outcome.error;
  }
}

HttpsClient::HttpsClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpsClient::~HttpsClient() = default;

Result<std::unique_ptr<HttpsClient>> HttpsClient::Create(asio::any_io_executor executor,
                                                         HttpsClientOptions options) {
  auto impl = std::make_unique<Impl>(std::move(executor), std::move(options));
  if (auto configured = impl->Configure(); !configured) return configured.error();
  return std::unique_ptr<HttpsClient>(new HttpsClient(std::move(impl)));
}

asio::awaitable<Result<HttpClientResponse>> HttpsClient::Send(const HttpClientRequest& request) {
  co_return co_await impl_->Send(request);
}

void HttpsClient::Close() { impl_->Close(); }

Result<void> HttpsClient::ReplaceClientCertificate(std::string certificate_pem,
                                                   std::string private_key_pem) {
  return impl_->ReplaceClientCertificate(std::move(certificate_pem), std::move(private_key_pem));
}

std::size_t HttpsClient::connections_opened() const { return impl_->connections_opened(); }

}  // namespace kiosk_edge
