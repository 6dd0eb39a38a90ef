// HTTPS end to end on 127.0.0.1: HttpServer::ListenTls with client certificates, and HttpsClient.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "common/crypto.hpp"
#include "common/http_server.hpp"
#include "common/https_client.hpp"
#include "common/tls_certs.hpp"
#include "support/http_test_client.hpp"
#include "support/legacy_ed25519_ca.hpp"

namespace kiosk_edge {
namespace {

namespace asio = boost::asio;
using std::chrono::days;
using std::chrono::milliseconds;
using testing::kHttpTestPatience;

std::string NewKeyPem() {
  auto pair = GenerateEd25519KeyPair();
  EXPECT_TRUE(pair);
  auto pem = Ed25519PrivateKeyToPem(pair->private_key);
  EXPECT_TRUE(pem);
  return *pem;
}

// A CA with a server certificate and client certificates, as HQ would issue them.
struct Pki {
  CertificateAuthority ca;
  std::string server_key;
  std::string server_cert;

  explicit Pki(std::vector<std::string> server_names = {"localhost", "127.0.0.1"})
      : Pki(*CreateCertificateAuthority("test CA", days(30)), *NewCertificateKeyPem(),
            std::move(server_names)) {}
  Pki(CertificateAuthority authority, std::string key, std::vector<std::string> server_names)
      : ca(std::move(authority)), server_key(std::move(key)) {
    server_cert = *IssueServerCertificate(ca, server_key, std::move(server_names), days(30));
  }

  struct Client {
    std::string cert;
    std::string key;
  };
  // A kiosk's enrollment: a CSR with its own key, signed by the CA.
  Client Enroll(const std::string& kiosk_id, std::uint64_t serial) const {
    Client client{"", NewKeyPem()};
    auto csr = CreateCsr(client.key, kiosk_id);
    EXPECT_TRUE(csr);
    auto cert = SignClientCertificate(ca, *csr, kiosk_id, serial, days(30));
    EXPECT_TRUE(cert) << cert.error().message();
    client.cert = *cert;
    return client;
  }
};

asio::awaitable<void> SendInto(HttpsClient* client, const HttpClientRequest* request,
                               std::optional<Result<HttpClientResponse>>* out) {
  *out = co_await client->Send(*request);
}

// Waits until the handler of a "/stall" request is cancelled, which only shutdown does.
asio::awaitable<HttpResponse> Stall() {
  asio::steady_timer forever(co_await asio::this_coro::executor, std::chrono::hours(1));
  co_await forever.async_wait(asio::use_awaitable);
  co_return HttpResponse::Text(200, "too late");
}

class HttpsTest : public ::testing::Test {
 protected:
  static HttpServerLimits TestLimits() {
    HttpServerLimits limits;
    limits.read_deadline = milliseconds(2000);
    limits.idle_timeout = milliseconds(5000);
    limits.shutdown_grace = milliseconds(200);
    return limits;
  }

  TlsServerOptions ServerOptions(bool require_client_certificate = true) const {
    TlsServerOptions options;
    options.certificate_chain_pem = pki_.server_cert;
    options.private_key_pem = pki_.server_key;
    options.client_ca_pem = pki_.ca.cert_pem;
    options.require_client_certificate = require_client_certificate;
    return options;
  }

  void StartServer(const TlsServerOptions& options, HttpServerLimits limits = TestLimits(),
                   std::uint16_t port = 0) {
    auto server = HttpServer::ListenTls(server_io_, "127.0.0.1", port, limits, options,
                                        [this](HttpRequest request) { return Handle(request); });
    ASSERT_TRUE(server) << server.error().message();
    server_ = std::move(*server);
    server_->Start();
    if (!server_thread_.joinable()) {
      server_thread_ = std::thread([this] { server_io_.run(); });
    }
  }

  // Shuts the server down gracefully and waits until every connection has ended.
  void StopServer() {
    if (!server_) return;
    std::promise<void> done;
    server_->Shutdown([&done] { done.set_value(); });
    ASSERT_EQ(done.get_future().wait_for(kHttpTestPatience), std::future_status::ready);
    server_.reset();
  }

  void TearDown() override {
    StopServer();
    work_.reset();
    if (server_thread_.joinable()) server_thread_.join();
  }

  asio::awaitable<HttpResponse> Handle(HttpRequest request) {
    ++handled_;
    if (request.Path() == "/stall") co_return co_await Stall();
    if (request.Path() == "/big") co_return HttpResponse::Text(200, std::string(2 << 20, 'b'));
    if (request.Path() == "/echo") co_return HttpResponse::Text(200, request.body);
    if (request.Path() == "/not-after" && request.peer_certificate_not_after) {
      co_return HttpResponse::Text(
          200, std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                  request.peer_certificate_not_after->time_since_epoch())
                                  .count()));
    }
    std::string who = "anonymous";
    if (request.peer_common_name) {
      who = *request.peer_common_name + " " + std::to_string(*request.peer_certificate_serial);
    }
    co_return HttpResponse::Text(200, who);
  }

  HttpsClientOptions ClientOptions(const std::optional<Pki::Client>& identity) const {
    HttpsClientOptions options;
    options.host = "127.0.0.1";
    options.port = server_ ? server_->port() : 0;
    options.ca_pem = pki_.ca.cert_pem;
    if (identity) {
      options.client_certificate_pem = identity->cert;
      options.client_private_key_pem = identity->key;
    }
    options.connect_timeout = options.handshake_timeout = options.write_timeout =
        options.read_timeout = kHttpTestPatience;
    return options;
  }

  std::unique_ptr<HttpsClient> NewClient(const HttpsClientOptions& options) {
    auto client = HttpsClient::Create(client_io_.get_executor(), options);
    EXPECT_TRUE(client) << client.error().message();
    return client ? std::move(*client) : nullptr;
  }

  // Runs one Send() to completion on the test thread (every step of it has a deadline).
  Result<HttpClientResponse> Send(HttpsClient& client, const HttpClientRequest& request) {
    std::optional<Result<HttpClientResponse>> out;
    asio::co_spawn(client_io_, SendInto(&client, &request, &out), asio::detached);
    client_io_.restart();
    client_io_.run_for(4 * kHttpTestPatience);
    if (!out) return Error(ErrorKind::kInternal, "the client did not finish");
    return std::move(*out);
  }
  Result<HttpClientResponse> Get(HttpsClient& client, std::string target = "/whoami") {
    HttpClientRequest request;
    request.target = std::move(target);
    return Send(client, request);
  }

  // Expects `result` to be an error of `kind` whose message contains `text`.
  static void ExpectError(const Result<HttpClientResponse>& result, ErrorKind kind,
                          std::string_view text) {
    ASSERT_FALSE(result) << "status " << result->status << ": " << result->body;
    EXPECT_EQ(result.error().kind(), kind) << result.error().message();
    EXPECT_NE(result.error().message().find(text), std::string::npos) << result.error().message();
  }

  Pki pki_;
  asio::io_context server_io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ =
      asio::make_work_guard(server_io_);
  std::thread server_thread_;
  std::unique_ptr<HttpServer> server_;
  asio::io_context client_io_;
  std::atomic<int> handled_{0};
};

TEST_F(HttpsTest, HandlerSeesTheKioskIdOfAVerifiedClientCertificate) {
  StartServer(ServerOptions());
  auto client = NewClient(ClientOptions(pki_.Enroll("K1", 7)));
  auto response = Get(*client);
  ASSERT_TRUE(response) << response.error().message();
  EXPECT_EQ(response->status, 200u);
  EXPECT_EQ(response->body, "K1 7");
  EXPECT_EQ(response->Header("Content-Type"), "text/plain; charset=utf-8");
}

TEST_F(HttpsTest, HandlerSeesTheEndOfTheClientCertificate) {
  StartServer(ServerOptions());
  const Pki::Client kiosk = pki_.Enroll("K1", 7);
  auto client = NewClient(ClientOptions(kiosk));
  auto response = Get(*client, "/not-after");
  ASSERT_TRUE(response) << response.error().message();
  const auto presented = ReadCertificate(kiosk.cert);
  ASSERT_TRUE(presented) << presented.error().message();
  EXPECT_EQ(response->body, std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                               presented->not_after.time_since_epoch())
                                               .count()));
}

// Kiosks enrolled by an Ed25519 CA (before HQ's CAs were P-256) keep syncing: its Ed25519 client
// and server certificates still make a handshake.
TEST_F(HttpsTest, AnEd25519ChainStillConnects) {
  pki_ = Pki(CertificateAuthority{std::string(testing::kLegacyEd25519CaCertPem),
                                  std::string(testing::kLegacyEd25519CaKeyPem)},
             NewKeyPem(), {"localhost", "127.0.0.1"});
  StartServer(ServerOptions());
  auto client = NewClient(ClientOptions(pki_.Enroll("K1", 7)));
  auto response = Get(*client);
  ASSERT_TRUE(response) << response.error().message();
  EXPECT_EQ(response->body, "K1 7");
}

TEST_F(HttpsTest, WithoutRequirementAClientWithoutCertificateIsAnonymous) {
  StartServer(ServerOptions(/*require_client_certificate=*/false));
  auto anonymous = NewClient(ClientOptions(std::nullopt));
  auto response = Get(*anonymous);
  ASSERT_TRUE(response) << response.error().message();
  EXPECT_EQ(response->body, "anonymous");
  auto kiosk = NewClient(ClientOptions(pki_.Enroll("K2", 8)));
  response = Get(*kiosk);
  ASSERT_TRUE(response) << response.error().message();
  EXPECT_EQ(response->body, "K2 8");
}

TEST_F(HttpsTest, ClientWithoutCertificateIsRefusedWhenOneIsRequired) {
  StartServer(ServerOptions());
  auto client = NewClient(ClientOptions(std::nullopt));
  ExpectError(Get(*client), ErrorKind::kIo, "certificate");
  EXPECT_EQ(handled_, 0);
}

TEST_F(HttpsTest, ClientCertificateFromAnotherCaIsRefused) {
  const Pki other;
  const Pki::Client stranger = other.Enroll("K1", 7);
  for (bool required : {true, false}) {
    SCOPED_TRACE(required ? "required" : "optional");
    StartServer(ServerOptions(required));
    auto client = NewClient(ClientOptions(stranger));
    ExpectError(Get(*client), ErrorKind::kIo, "unknown ca");
    StopServer();
  }
  EXPECT_EQ(handled_, 0);
}

TEST_F(HttpsTest, AServerCertificateCannotServeAsAClientCertificate) {
  StartServer(ServerOptions());
  // Issued by the right CA, but for serverAuth only.
  auto client = NewClient(ClientOptions(Pki::Client{pki_.server_cert, pki_.server_key}));
  ExpectError(Get(*client), ErrorKind::kIo, "unsupported certificate");
  EXPECT_EQ(handled_, 0);
}

TEST_F(HttpsTest, RevokedSerialsAndKioskIdsAreRefusedAtTheHandshake) {
  TlsServerOptions options = ServerOptions();
  options.is_revoked = [](std::string_view kiosk_id, std::uint64_t serial) {
    return serial == 13 || kiosk_id == "K-STOLEN";
  };
  StartServer(options);
  auto revoked_serial = NewClient(ClientOptions(pki_.Enroll("K2", 13)));
  ExpectError(Get(*revoked_serial), ErrorKind::kIo, "revoked");
  auto revoked_kiosk = NewClient(ClientOptions(pki_.Enroll("K-STOLEN", 14)));
  ExpectError(Get(*revoked_kiosk), ErrorKind::kIo, "revoked");
  EXPECT_EQ(handled_, 0);
  auto good = NewClient(ClientOptions(pki_.Enroll("K3", 15)));
  auto response = Get(*good);
  ASSERT_TRUE(response) << response.error().message();
  EXPECT_EQ(response->body, "K3 15");
}

TEST_F(HttpsTest, AConnectionRevokedSinceItsHandshakeGets403) {
  auto revoked = std::make_shared<std::atomic<bool>>(false);
  TlsServerOptions options = ServerOptions();
  options.is_revoked = [revoked](std::string_view, std::uint64_t) { return revoked->load(); };
  StartServer(options);
  auto client = NewClient(ClientOptions(pki_.Enroll("K1", 7)));
  auto before = Get(*client);
  ASSERT_TRUE(before) << before.error().message();
  EXPECT_EQ(before->status, 200u);

  revoked->store(true);
  auto after = Get(*client);  // same connection
  ASSERT_TRUE(after) << after.error().message();
  EXPECT_EQ(after->status, 403u);
  EXPECT_EQ(client->connections_opened(), 1u);
  EXPECT_EQ(handled_, 1);
  ExpectError(Get(*client), ErrorKind::kIo, "revoked");  // a new connection: its handshake
  EXPECT_EQ(handled_, 1);
}

// A renewed certificate: new connections get it, one already open keeps the one it started with,
// and an unusable replacement leaves the server as it was.
TEST_F(HttpsTest, ReplaceTlsServesNewConnectionsWithTheNewCertificate) {
  StartServer(ServerOptions(false));
  auto kept_alive = NewClient(ClientOptions(std::nullopt));
  ASSERT_TRUE(Get(*kept_alive));

  const Pki renewed;  // another CA, so a client tells the two certificates apart
  TlsServerOptions options = ServerOptions(false);
  options.certificate_chain_pem = renewed.server_cert;
  options.private_key_pem = renewed.server_key;
  ASSERT_TRUE(server_->ReplaceTls(options));
  HttpsClientOptions trusts_renewed = ClientOptions(std::nullopt);
  trusts_renewed.ca_pem = renewed.ca.cert_pem;
  auto renewed_client = NewClient(trusts_renewed);
  auto fresh = Get(*renewed_client);
  ASSERT_TRUE(fresh) << fresh.error().message();
  EXPECT_EQ(fresh->status, 200u);
  ExpectError(Get(*NewClient(ClientOptions(std::nullopt))), ErrorKind::kIo,
              "certificate verify failed");
  auto still = Get(*kept_alive);  // the connection opened before the replacement
  ASSERT_TRUE(still) << still.error().message();
  EXPECT_EQ(kept_alive->connections_opened(), 1u);

  options.private_key_pem = pki_.server_key;  // not the certificate's key
  const auto refused = server_->ReplaceTls(options);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind(), ErrorKind::kInvalidArgument);
  auto after_refusal = Get(*NewClient(trusts_renewed));
  ASSERT_TRUE(after_refusal) << after_refusal.error().message();
}

// A kiosk enrolled again gets a new certificate: the kept-alive connection made
// with the one before is closed, and the next request goes out on a new one with the new
// certificate. A certificate without its key changes nothing.
TEST_F(HttpsTest, ReplaceClientCertificateUsesItFromTheNextConnection) {
  StartServer(ServerOptions());
  const Pki::Client before = pki_.Enroll("K1", 7);
  auto client = NewClient(ClientOptions(before));
  auto first = Get(*client);
  ASSERT_TRUE(first) << first.error().message();
  EXPECT_EQ(first->body, "K1 7");

  const Pki::Client renewed = pki_.Enroll("K1", 8);
  ASSERT_TRUE(client->ReplaceClientCertificate(renewed.cert, renewed.key));
  auto second = Get(*client);
  ASSERT_TRUE(second) << second.error().message();
  EXPECT_EQ(second->body, "K1 8");
  EXPECT_EQ(client->connections_opened(), 2u);

  const Pki::Client other = pki_.Enroll("K2", 9);
  const auto mismatched = client->ReplaceClientCertificate(other.cert, renewed.key);
  ASSERT_FALSE(mismatched);
  EXPECT_NE(mismatched.error().message().find("does not match"), std::string::npos)
      << mismatched.error().message();
  EXPECT_FALSE(client->ReplaceClientCertificate("", ""));
  auto third = Get(*client);
  ASSERT_TRUE(third) << third.error().message();
  EXPECT_EQ(third->body, "K1 8");
  EXPECT_EQ(client->connections_opened(), 2u) << "a refused replacement keeps the connection";
}

TEST_F(HttpsTest, ClientRefusesAServerCertificateFromAnotherCa) {
  StartServer(ServerOptions(false));
  HttpsClientOptions options = ClientOptions(std::nullopt);
  options.ca_pem = Pki().ca.cert_pem;
  auto client = NewClient(options);
  ExpectError(Get(*client), ErrorKind::kIo, "certificate verify failed");
  EXPECT_EQ(handled_, 0);
}

TEST_F(HttpsTest, ClientChecksTheServerCertificatesHostName) {
  pki_ = Pki({"localhost"});  // no IP address in the certificate
  StartServer(ServerOptions(false));
  auto by_address = NewClient(ClientOptions(std::nullopt));
  ExpectError(Get(*by_address), ErrorKind::kIo, "IP address mismatch");
  HttpsClientOptions options = ClientOptions(std::nullopt);
  options.host = "localhost";
  auto by_name = NewClient(options);
  auto response = Get(*by_name);
  ASSERT_TRUE(response) << response.error().message();
  EXPECT_EQ(response->body, "anonymous");
}

TEST_F(HttpsTest, KeepAliveReusesOneConnectionAndReconnectsWhenTheServerClosedIt) {
  StartServer(ServerOptions());
  const std::uint16_t port = server_->port();
  auto client = NewClient(ClientOptions(pki_.Enroll("K1", 7)));
  for (int i = 0; i < 3; ++i) {
    HttpClientRequest request;
    request.method = "POST";
    request.target = "/echo";
    request.headers = {{"Content-Type", "application/json"}};
    request.body = "{\"batch\":" + std::to_string(i) + "}";
    auto response = Send(*client, request);
    ASSERT_TRUE(response) << response.error().message();
    EXPECT_EQ(response->body, request.body);
  }
  EXPECT_EQ(server_->accepted_connections(), 1u);
  EXPECT_EQ(client->connections_opened(), 1u);

  // The server restarts: its end of the kept-alive connection is gone.
  StopServer();
  StartServer(ServerOptions(), TestLimits(), port);
  auto response = Get(*client);
  ASSERT_TRUE(response) << response.error().message();
  EXPECT_EQ(response->body, "K1 7");
  EXPECT_EQ(client->connections_opened(), 2u);
  EXPECT_EQ(server_->accepted_connections(), 1u);

  // A server that answers "Connection: close" (here: because the client asked) is reconnected to.
  HttpClientRequest closing;
  closing.target = "/whoami";
  closing.headers = {{"Connection", "close"}};
  ASSERT_TRUE(Send(*client, closing));
  ASSERT_TRUE(Get(*client));
  EXPECT_EQ(client->connections_opened(), 3u);
  EXPECT_EQ(server_->accepted_connections(), 2u);
}

TEST_F(HttpsTest, StalledServerTripsTheClientsReadDeadline) {
  StartServer(ServerOptions());
  HttpsClientOptions options = ClientOptions(pki_.Enroll("K1", 7));
  options.read_timeout = milliseconds(300);
  auto client = NewClient(options);
  const auto start = std::chrono::steady_clock::now();
  ExpectError(Get(*client, "/stall"), ErrorKind::kUnavailable, "timed out after 300 ms");
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(300));
  auto next = Get(*client);  // on a new connection
  ASSERT_TRUE(next) << next.error().message();
  EXPECT_EQ(next->body, "K1 7");
  EXPECT_EQ(client->connections_opened(), 2u);
}

TEST_F(HttpsTest, OversizedResponseIsRefused) {
  StartServer(ServerOptions());
  HttpsClientOptions options = ClientOptions(pki_.Enroll("K1", 7));
  options.max_response_body_bytes = 1 << 20;
  auto client = NewClient(options);
  ExpectError(Get(*client, "/big"), ErrorKind::kIo, "body over 1048576 bytes");
  options.max_response_body_bytes = 2 << 20;
  auto larger = NewClient(options);
  auto response = Get(*larger, "/big");
  ASSERT_TRUE(response) << response.error().message();
  EXPECT_EQ(response->body.size(), std::size_t{2} << 20);
}

TEST_F(HttpsTest, NothingListeningIsUnavailable) {
  std::uint16_t port = 0;
  {
    asio::ip::tcp::acceptor probe(client_io_, {asio::ip::make_address("127.0.0.1"), 0});
    port = probe.local_endpoint().port();
  }  // closed: nothing listens there now
  HttpsClientOptions options = ClientOptions(std::nullopt);
  options.port = port;
  auto client = NewClient(options);
  ExpectError(Get(*client), ErrorKind::kUnavailable,
              "connect to 127.0.0.1:" + std::to_string(port) + ": Connection refused");
}

TEST_F(HttpsTest, ServerDropsClientsThatDoNotCompleteAHandshake) {
  HttpServerLimits limits = TestLimits();
  limits.read_deadline = milliseconds(300);
  StartServer(ServerOptions(), limits);
  testing::HttpTestClient silent(server_->port());
  ASSERT_TRUE(silent.connected());
  EXPECT_TRUE(silent.WaitClosed());  // the handshake deadline passed

  testing::HttpTestClient plain(server_->port());
  plain.Get("/whoami");
  EXPECT_FALSE(plain.ReadResponse());  // no HTTP without TLS
  EXPECT_EQ(handled_, 0);
}

TEST_F(HttpsTest, ListenTlsRefusesUnusableOptions) {
  const auto refused = [this](const TlsServerOptions& options, std::string_view text) {
    auto server = HttpServer::ListenTls(server_io_, "127.0.0.1", 0, TestLimits(), options,
                                        [this](HttpRequest request) { return Handle(request); });
    ASSERT_FALSE(server);
    EXPECT_EQ(server.error().kind(), ErrorKind::kInvalidArgument);
    EXPECT_NE(server.error().message().find(text), std::string::npos) << server.error().message();
  };
  TlsServerOptions options = ServerOptions();
  options.client_ca_pem.clear();
  refused(options, "require_client_certificate");
  options = ServerOptions();
  options.private_key_pem = NewKeyPem();  // not the certificate's
  refused(options, "does not match");
  options = ServerOptions();
  options.certificate_chain_pem = "garbage";
  refused(options, "certificate chain");
  options = ServerOptions();
  options.client_ca_pem = "garbage";
  refused(options, "client CA");
}

TEST_F(HttpsTest, ClientRefusesUnusableOptions) {
  const auto refused = [this](const HttpsClientOptions& options, std::string_view text) {
    auto client = HttpsClient::Create(client_io_.get_executor(), options);
    ASSERT_FALSE(client);
    EXPECT_EQ(client.error().kind(), ErrorKind::kInvalidArgument);
    EXPECT_NE(client.error().message().find(text), std::string::npos) << client.error().message();
  };
  const Pki::Client kiosk = pki_.Enroll("K1", 7);
  HttpsClientOptions options = ClientOptions(kiosk);
  options.port = 8443;
  options.ca_pem.clear();
  refused(options, "ca_pem");
  options = ClientOptions(kiosk);
  options.port = 8443;
  options.client_private_key_pem.clear();
  refused(options, "both");
  options = ClientOptions(kiosk);
  options.port = 8443;
  options.client_private_key_pem = NewKeyPem();
  refused(options, "does not match");
  options = ClientOptions(kiosk);
  options.port = 8443;
  options.host = "";
  refused(options, "host");

  // A malformed request is refused before anything is sent.
  options = ClientOptions(kiosk);
  options.port = 8443;
  auto client = NewClient(options);
  HttpClientRequest request;
  request.headers = {{"X-Evil", "a\r\nInjected: yes"}};
  ExpectError(Send(*client, request), ErrorKind::kInvalidArgument, "header");
  request.headers = {{"Content-Length", "5"}};
  ExpectError(Send(*client, request), ErrorKind::kInvalidArgument, "Content-Length");
  EXPECT_EQ(client->connections_opened(), 0u);
}

}  // namespace
}  // namespace kiosk_edge
