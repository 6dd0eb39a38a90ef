#include "common/http_server.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <memory>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <thread>

#include "common/http_date.hpp"
#include "support/http_test_client.hpp"
#include "support/temp_dir.hpp"

namespace kiosk_edge {
namespace {

namespace asio = boost::asio;
using testing::HttpTestClient;
using testing::kHttpTestPatience;
using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

HttpServerLimits FastLimits() {
  HttpServerLimits limits;
  limits.max_header_bytes = 1024;
  limits.max_body_bytes = 1024;
  limits.read_deadline = milliseconds(300);
  limits.write_deadline = milliseconds(300);
  limits.idle_timeout = milliseconds(600);
  limits.max_connections = 8;
  limits.shutdown_grace = kHttpTestPatience;
  return limits;
}

enum class Transport { kTcp, kLocal };
void PrintTo(Transport transport, std::ostream* out) {
  *out << (transport == Transport::kTcp ? "TCP" : "Unix socket");
}

class HttpServerFixture : public ::testing::Test {
 protected:
  void StartServer(HttpServerLimits limits, Transport transport) {
    transport_ = transport;
    auto listening = transport == Transport::kTcp
                         ? HttpServer::Listen(io_, "127.0.0.1", 0, limits, MakeHandler())
                         : HttpServer::ListenLocal(io_, socket_path_, limits, MakeHandler());
    ASSERT_TRUE(listening.has_value()) << listening.error().message();
    server_ = std::move(*listening);
    server_->Start();
    io_thread_ = std::thread([this] {
      io_thread_id_ = std::this_thread::get_id();
      io_.run();
    });
  }

  void TearDown() override {
    if (server_ && !shut_down_) {
      std::promise<void> done;
      RunOnIo([&] { server_->Shutdown([&] { done.set_value(); }); });
      EXPECT_EQ(done.get_future().wait_for(kHttpTestPatience), std::future_status::ready);
    }
    work_.reset();
    io_.stop();
    if (io_thread_.joinable()) io_thread_.join();
    server_.reset();
  }

  // A new connection to the server, over its transport.
  HttpTestClient Connect() const {
    return transport_ == Transport::kTcp ? HttpTestClient(server_->port())
                                         : HttpTestClient(socket_path_);
  }

  // What the handler sees as HttpRequest::remote_address.
  std::string RemoteAddress() const {
    return transport_ == Transport::kTcp ? "127.0.0.1" : "local";
  }

  // Runs `fn` on the io thread and waits until it has run.
  template <class Fn>
  void RunOnIo(Fn fn) {
    std::promise<void> ran;
    asio::post(io_, [&] {
      fn();
      ran.set_value();
    });
    ASSERT_EQ(ran.get_future().wait_for(kHttpTestPatience), std::future_status::ready);
  }

  // Sends `request` on a new connection and expects `status`, then the server closing it.
  void ExpectAnsweredAndClosed(const std::string& request, unsigned status) {
    SCOPED_TRACE(request.substr(0, 60));
    HttpTestClient client = Connect();
    client.Send(request);
    auto response = client.ReadResponse();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, status);
    EXPECT_EQ(response->Header("connection"), "close");
    EXPECT_TRUE(client.WaitClosed());
  }

  // Shuts the server down from the io thread; the returned future is ready once `done` ran.
  std::future<void> Shutdown() {
    shut_down_ = true;
    auto done = std::make_shared<std::promise<void>>();
    RunOnIo([&] { server_->Shutdown([done] { done->set_value(); }); });
    return done->get_future();
  }

  HttpHandler MakeHandler() {
    return [this](HttpRequest request) -> asio::awaitable<HttpResponse> {
      handler_thread_id_ = std::this_thread::get_id();
      const std::string_view path = request.Path();
      if (path == "/") co_return HttpResponse::Text(200, "hello");
      if (path == "/echo") {
        co_return HttpResponse::Json(
            200, request.method + " " + request.body + " " +
                     std::string(request.Header("X-Probe").value_or("none")) + " " +
                     request.remote_address);
      }
      if (path == "/cache") {
        HttpResponse response = HttpResponse::Html(200, "<p>cached</p>");
        response.headers.emplace_back("Cache-Control", "max-age=60");
        co_return response;
      }
      if (path == "/throw") throw std::runtime_error("handler bug");
      if (path == "/big") {
        big_entered_.set_value();
        co_return HttpResponse::Text(200, std::string(64 << 20, 'x'));  // more than socket buffers
      }
      if (path == "/slow") {
        // Waits until the test cancels release_; the error is the release signal, not a failure.
        boost::system::error_code released;
        slow_entered_.set_value();
        co_await release_.async_wait(asio::redirect_error(asio::use_awaitable, released));
        co_return HttpResponse::Text(200, "slow done");
      }
      if (path == "/stuck") {
        // Waits forever unless cancelled (which throws).
        asio::steady_timer never(co_await asio::this_coro::executor,
                                 SteadyClock::time_point::max());
        stuck_entered_.set_value();
        co_await never.async_wait(asio::use_awaitable);
        co_return HttpResponse::Text(200, "unreachable");
      }
      co_return HttpResponse::Text(404, "not found");
    };
  }

  testing::TempDir temp_dir_;
  const std::filesystem::path socket_path_ = temp_dir_ / "admin.sock";
  Transport transport_ = Transport::kTcp;
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{
      io_.get_executor()};
  std::thread io_thread_;
  std::atomic<std::thread::id> io_thread_id_;
  std::atomic<std::thread::id> handler_thread_id_;
  asio::steady_timer release_{io_, SteadyClock::time_point::max()};
  std::promise<void> slow_entered_;
  std::promise<void> stuck_entered_;
  std::promise<void> big_entered_;
  std::unique_ptr<HttpServer> server_;
  bool shut_down_ = false;
};

// Runs every test over TCP and over a Unix socket: the two must behave alike.
class HttpServerTest : public HttpServerFixture, public ::testing::WithParamInterface<Transport> {
 protected:
  void StartServer(HttpServerLimits limits = FastLimits()) {
    HttpServerFixture::StartServer(limits, GetParam());
  }
};

std::string TransportName(const ::testing::TestParamInfo<Transport>& param) {
  return param.param == Transport::kTcp ? "Tcp" : "Local";
}

INSTANTIATE_TEST_SUITE_P(, HttpServerTest, ::testing::Values(Transport::kTcp, Transport::kLocal),
                         TransportName);

// Listening itself, per transport.
using HttpServerListenTest = HttpServerFixture;

TEST_P(HttpServerTest, ServesGetWithBodyAndSafetyHeadersOnIoThread) {
  StartServer();
  HttpTestClient client = Connect();
  ASSERT_TRUE(client.connected());
  client.Get("/?name=x");
  auto response = client.ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200u);
  EXPECT_EQ(response->body, "hello");
  EXPECT_EQ(response->Header("content-length"), "5");
  EXPECT_EQ(response->Header("content-type"), "text/plain; charset=utf-8");
  EXPECT_EQ(response->Header("x-content-type-options"), "nosniff");
  EXPECT_EQ(response->Header("cache-control"), "no-store");
  // RFC 9110 section 6.6.1: an origin server with a clock dates its answers.
  const auto date = ParseHttpDate(response->Header("date"));
  ASSERT_TRUE(date) << response->Header("date");
  EXPECT_LE(std::chrono::abs(*date - std::chrono::system_clock::now()), std::chrono::seconds(5));
  EXPECT_EQ(handler_thread_id_.load(), io_thread_id_.load());
}

TEST_P(HttpServerTest, PassesRequestToHandlerAndKeepsHandlerCacheControl) {
  StartServer();
  HttpTestClient client = Connect();
  client.Send(
      "POST /echo HTTP/1.1\r\nHost: kiosk\r\nx-PROBE: Probe-Value\r\n"
      "Content-Length: 4\r\n\r\nping");
  auto echo = client.ReadResponse();
  ASSERT_TRUE(echo);
  EXPECT_EQ(echo->body, "POST ping Probe-Value " + RemoteAddress());
  EXPECT_EQ(echo->Header("content-type"), "application/json");

  client.Get("/cache");
  auto cached = client.ReadResponse();
  ASSERT_TRUE(cached);
  EXPECT_EQ(cached->headers.count("cache-control"), 1u);
  EXPECT_EQ(cached->Header("cache-control"), "max-age=60");
  EXPECT_EQ(cached->Header("content-type"), "text/html; charset=utf-8");
}

TEST_P(HttpServerTest, KeepsConnectionAliveIncludingPipelinedRequests) {
  StartServer();
  HttpTestClient client = Connect();
  client.Get("/");
  auto first = client.ReadResponse();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200u);
  EXPECT_EQ(first->Header("connection"), "");
  // Two requests in one write, answered in order on the same connection.
  client.Send("GET /echo HTTP/1.1\r\nHost: kiosk\r\n\r\nGET / HTTP/1.1\r\nHost: kiosk\r\n\r\n");
  auto second = client.ReadResponse();
  auto third = client.ReadResponse();
  ASSERT_TRUE(second && third);
  EXPECT_EQ(second->body, "GET  none " + RemoteAddress());
  EXPECT_EQ(third->body, "hello");
  // HEAD announces the length but sends no body: otherwise the next response would not parse.
  client.Send("HEAD / HTTP/1.1\r\nHost: kiosk\r\n\r\n");
  auto head = client.ReadResponse(/*to_head=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->Header("content-length"), "5");
  client.Get("/cache");
  auto after_head = client.ReadResponse();
  ASSERT_TRUE(after_head);
  EXPECT_EQ(after_head->body, "<p>cached</p>");
}

TEST_P(HttpServerTest, ClosesAfterConnectionCloseAndHttp10) {
  StartServer();
  HttpTestClient closing = Connect();
  closing.Get("/", "Connection: close\r\n");
  auto response = closing.ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->Header("connection"), "close");
  EXPECT_TRUE(closing.WaitClosed());

  HttpTestClient old = Connect();
  old.Send("GET / HTTP/1.0\r\n\r\n");
  auto old_response = old.ReadResponse();
  ASSERT_TRUE(old_response);
  EXPECT_EQ(old_response->body, "hello");
  EXPECT_TRUE(old.WaitClosed());
}

TEST_P(HttpServerTest, AnswersOversizedHeaderWith431AndCloses) {
  StartServer();
  ExpectAnsweredAndClosed(
      "GET / HTTP/1.1\r\nHost: kiosk\r\nX-Fill: " + std::string(2000, 'a') + "\r\n\r\n", 431);
}

TEST_P(HttpServerTest, AnswersOversizedBodyWith413AndCloses) {
  StartServer();
  ExpectAnsweredAndClosed(
      "POST /echo HTTP/1.1\r\nHost: kiosk\r\nContent-Length: 5000\r\n\r\n" + std::string(5000, 'b'),
      413);
  const std::string chunk = "300\r\n" + std::string(0x300, 'c') + "\r\n";
  ExpectAnsweredAndClosed(
      "POST /echo HTTP/1.1\r\nHost: kiosk\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk + chunk +
          "0\r\n\r\n",
      413);
}

TEST_P(HttpServerTest, AnswersMalformedRequestsWith400AndCloses) {
  StartServer();
  ExpectAnsweredAndClosed("THIS IS NOT HTTP\r\n\r\n", 400);
  ExpectAnsweredAndClosed("POST /echo HTTP/1.1\r\nHost: kiosk\r\nContent-Length: ten\r\n\r\n", 400);
  ExpectAnsweredAndClosed("GET / HTTP/1.1\r\nHost kiosk\r\n\r\n", 400);
}

TEST_P(HttpServerTest, DropsStalledClientAtReadDeadline) {
  const HttpServerLimits limits = FastLimits();
  StartServer(limits);
  const auto start = SteadyClock::now();
  HttpTestClient client = Connect();
  client.Send("GET / HTTP/1.1\r\nHost: ki");  // and nothing more
  EXPECT_TRUE(client.WaitClosed());
  const auto elapsed = SteadyClock::now() - start;
  EXPECT_GE(elapsed, limits.read_deadline);
  EXPECT_LT(elapsed, milliseconds(3000));
}

TEST_P(HttpServerTest, ClosesKeepAliveConnectionAfterIdleTimeout) {
  const HttpServerLimits limits = FastLimits();
  StartServer(limits);
  HttpTestClient client = Connect();
  const auto start = SteadyClock::now();
  client.Get("/");
  ASSERT_TRUE(client.ReadResponse());
  EXPECT_TRUE(client.WaitClosed());
  const auto elapsed = SteadyClock::now() - start;
  EXPECT_GE(elapsed, limits.idle_timeout);  // longer than read_deadline: the idle limit applies
  EXPECT_LT(elapsed, milliseconds(3000));
}

// A client that stops reading cannot hold a response write (and so a shutdown) past the write
// deadline; the grace period is longer than kHttpTestPatience, so only the write deadline can
// end it.
TEST_P(HttpServerTest, DropsClientThatStopsReadingAtWriteDeadline) {
  HttpServerLimits limits = FastLimits();
  limits.shutdown_grace = 2 * kHttpTestPatience;
  StartServer(limits);
  HttpTestClient client = Connect();
  client.Get("/big");  // and never read the response
  ASSERT_EQ(big_entered_.get_future().wait_for(kHttpTestPatience), std::future_status::ready);
  EXPECT_EQ(Shutdown().wait_for(kHttpTestPatience), std::future_status::ready);
  EXPECT_EQ(server_->active_connections(), 0u);
}

TEST_P(HttpServerTest, TurnsAwayConnectionsOverCapWith503AndKeepsServingOthers) {
  HttpServerLimits limits = FastLimits();
  limits.max_connections = 2;
  limits.idle_timeout = kHttpTestPatience;
  StartServer(limits);
  HttpTestClient first = Connect();
  HttpTestClient second = Connect();
  for (HttpTestClient* client : {&first, &second}) {
    client->Get("/");
    auto response = client->ReadResponse();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200u);
  }
  EXPECT_EQ(server_->active_connections(), 2u);

  HttpTestClient third = Connect();
  third.Get("/");
  auto busy = third.ReadResponse();
  ASSERT_TRUE(busy);
  EXPECT_EQ(busy->status, 503u);
  EXPECT_EQ(busy->Header("connection"), "close");
  EXPECT_FALSE(busy->body.empty());
  EXPECT_TRUE(third.WaitClosed());

  first.Get("/");
  auto again = first.ReadResponse();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200u);
  EXPECT_EQ(server_->active_connections(), 2u);
}

TEST_P(HttpServerTest, AnswersHandlerExceptionWith500AndKeepsServing) {
  StartServer();
  HttpTestClient client = Connect();
  client.Get("/throw");
  auto failed = client.ReadResponse();
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->status, 500u);
  EXPECT_EQ(failed->body.find("handler bug"), std::string::npos);  // no internals to clients
  EXPECT_TRUE(client.WaitClosed());

  HttpTestClient next = Connect();
  next.Get("/");
  auto response = next.ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200u);
}

TEST_P(HttpServerTest, ShutdownFinishesRequestInFlightAndRefusesNewConnections) {
  HttpServerLimits limits = FastLimits();
  limits.idle_timeout = 2 * kHttpTestPatience;  // only the shutdown can close `idle` in time
  StartServer(limits);
  HttpTestClient idle = Connect();
  idle.Get("/");
  ASSERT_TRUE(idle.ReadResponse());
  HttpTestClient busy = Connect();
  busy.Get("/slow");
  ASSERT_EQ(slow_entered_.get_future().wait_for(kHttpTestPatience), std::future_status::ready);

  std::future<void> done = Shutdown();
  EXPECT_TRUE(idle.WaitClosed());
  HttpTestClient late = Connect();
  if (late.connected()) {
    late.Get("/");
    EXPECT_TRUE(late.WaitClosed());
  }
  EXPECT_EQ(done.wait_for(milliseconds(0)), std::future_status::timeout);  // `busy` is in flight

  RunOnIo([&] { release_.cancel(); });
  auto response = busy.ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200u);
  EXPECT_EQ(response->body, "slow done");
  EXPECT_EQ(response->Header("connection"), "close");
  EXPECT_TRUE(busy.WaitClosed());
  EXPECT_EQ(done.wait_for(kHttpTestPatience), std::future_status::ready);
  EXPECT_EQ(server_->active_connections(), 0u);
}

TEST_P(HttpServerTest, ShutdownGraceBoundsAStuckHandler) {
  HttpServerLimits limits = FastLimits();
  limits.shutdown_grace = milliseconds(300);
  StartServer(limits);
  HttpTestClient client = Connect();
  client.Get("/stuck");
  ASSERT_EQ(stuck_entered_.get_future().wait_for(kHttpTestPatience), std::future_status::ready);

  const auto start = SteadyClock::now();
  std::future<void> done = Shutdown();
  EXPECT_TRUE(client.WaitClosed());
  EXPECT_GE(SteadyClock::now() - start, limits.shutdown_grace);
  EXPECT_EQ(done.wait_for(kHttpTestPatience), std::future_status::ready);
  EXPECT_LT(SteadyClock::now() - start, milliseconds(3000));
}

TEST_F(HttpServerListenTest, ListenReportsTakenPortAndBadAddress) {
  StartServer(FastLimits(), Transport::kTcp);
  auto taken = HttpServer::Listen(io_, "127.0.0.1", server_->port(), FastLimits(), MakeHandler());
  ASSERT_FALSE(taken.has_value());
  EXPECT_EQ(taken.error().kind(), ErrorKind::kIo);
  EXPECT_NE(taken.error().message().find("127.0.0.1:" + std::to_string(server_->port())),
            std::string::npos)
      << taken.error().message();

  auto bad = HttpServer::Listen(io_, "not-an-address", 0, FastLimits(), MakeHandler());
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().kind(), ErrorKind::kInvalidArgument);
}

// Leaves a socket file at `path` as a crashed server would: listened on, closed, not unlinked.
void LeaveStaleSocket(const std::filesystem::path& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.c_str(), path.native().size());
  EXPECT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
  EXPECT_EQ(::listen(fd, 1), 0);
  ::close(fd);
}

TEST_F(HttpServerListenTest, LocalSocketIsOwnerOnlyAndServesGet) {
  const mode_t umask_before = ::umask(0);  // the server must not rely on the umask
  StartServer(FastLimits(), Transport::kLocal);
  ::umask(umask_before);
  struct stat file {};
  ASSERT_EQ(::lstat(socket_path_.c_str(), &file), 0) << std::strerror(errno);
  EXPECT_TRUE(S_ISSOCK(file.st_mode));
  EXPECT_EQ(file.st_mode & 07777, 0600u);
  EXPECT_EQ(file.st_uid, ::geteuid());
  EXPECT_EQ(server_->port(), 0);

  HttpTestClient client(socket_path_);
  ASSERT_TRUE(client.connected()) << std::strerror(client.connect_errno());
  client.Get("/echo", "X-Probe: cli\r\n");
  auto response = client.ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200u);
  EXPECT_EQ(response->body, "GET  cli local");
  EXPECT_EQ(response->Header("x-content-type-options"), "nosniff");
}

TEST_F(HttpServerListenTest, LocalSocketReplacesStaleSocketFile) {
  LeaveStaleSocket(socket_path_);
  ASSERT_TRUE(std::filesystem::is_socket(socket_path_));
  ASSERT_FALSE(HttpTestClient(socket_path_).connected());  // nobody accepts on it
  StartServer(FastLimits(), Transport::kLocal);
  HttpTestClient client(socket_path_);
  client.Get("/");
  auto response = client.ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "hello");
}

TEST_F(HttpServerListenTest, LocalSocketRefusesRegularFileLiveSocketAndLongPath) {
  const std::filesystem::path file_path = temp_dir_ / "config.toml";
  std::ofstream(file_path) << "keep me";
  auto on_file = HttpServer::ListenLocal(io_, file_path, FastLimits(), MakeHandler());
  ASSERT_FALSE(on_file.has_value());
  EXPECT_EQ(on_file.error().kind(), ErrorKind::kInvalidArgument);
  EXPECT_NE(on_file.error().message().find(file_path.string()), std::string::npos)
      << on_file.error().message();
  std::ifstream kept(file_path);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(kept), {}), "keep me");

  // A socket another server is listening on is not stale: it stays, and so does its server.
  StartServer(FastLimits(), Transport::kLocal);
  auto on_live = HttpServer::ListenLocal(io_, socket_path_, FastLimits(), MakeHandler());
  ASSERT_FALSE(on_live.has_value());
  EXPECT_EQ(on_live.error().kind(), ErrorKind::kIo);
  EXPECT_NE(on_live.error().message().find(socket_path_.string()), std::string::npos)
      << on_live.error().message();
  HttpTestClient client(socket_path_);
  client.Get("/");
  auto response = client.ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "hello");

  auto too_long =
      HttpServer::ListenLocal(io_, temp_dir_ / std::string(120, 'x'), FastLimits(), MakeHandler());
  ASSERT_FALSE(too_long.has_value());
  EXPECT_EQ(too_long.error().kind(), ErrorKind::kInvalidArgument);
}

TEST_F(HttpServerListenTest, LocalSocketFileIsRemovedOnShutdownAndOnDestruction) {
  StartServer(FastLimits(), Transport::kLocal);
  ASSERT_TRUE(std::filesystem::is_socket(socket_path_));
  EXPECT_EQ(Shutdown().wait_for(kHttpTestPatience), std::future_status::ready);
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(socket_path_)));

  const std::filesystem::path other_path = temp_dir_ / "other.sock";
  auto other = HttpServer::ListenLocal(io_, other_path, FastLimits(), MakeHandler());
  ASSERT_TRUE(other.has_value()) << other.error().message();
  std::unique_ptr<HttpServer> destroyed = std::move(*other);
  ASSERT_TRUE(std::filesystem::is_socket(other_path));
  // Gone when the destructor returns, even while the io thread is busy elsewhere.
  auto blocked = std::make_shared<std::promise<void>>();
  std::promise<void> release;  // also ends the wait when destroyed unset
  asio::post(io_, [blocked, released = release.get_future().share()] {
    blocked->set_value();
    released.wait();
  });
  ASSERT_EQ(blocked->get_future().wait_for(kHttpTestPatience), std::future_status::ready);
  destroyed.reset();
  const bool gone = !std::filesystem::exists(std::filesystem::symlink_status(other_path));
  release.set_value();
  EXPECT_TRUE(gone);
}

TEST(HttpTypesTest, HeaderLookupIgnoresCaseAndPathDropsQuery) {
  HttpRequest request;
  request.target = "/c/ABCD?lang=en";
  request.headers = {{"x-kiosk", "k1"}, {"Accept", "text/html"}};
  EXPECT_EQ(request.Header("X-Kiosk"), "k1");
  EXPECT_EQ(request.Header("accept"), "text/html");
  EXPECT_FALSE(request.Header("cookie").has_value());
  EXPECT_EQ(request.Path(), "/c/ABCD");
  request.target = "/plain";
  EXPECT_EQ(request.Path(), "/plain");
}

TEST(HttpTypesTest, FactoriesSetContentTypes) {
  EXPECT_EQ(HttpResponse::Text(201, "t").content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(HttpResponse::Json(200, "{}").content_type, "application/json");
  const HttpResponse html = HttpResponse::Html(404, "<p>");
  EXPECT_EQ(html.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(html.status, 404u);
  EXPECT_EQ(html.body, "<p>");
}

}  // namespace
}  // namespace kiosk_edge
