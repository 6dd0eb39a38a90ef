#include "common/http_server.hpp"

#include <gtest/gtest.h>
#include <poll.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <future>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

namespace kiosk_edge {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Every wait in these tests is for a real event; this only bounds a wait that would otherwise
// hang the suite when the server misbehaves.
constexpr milliseconds kPatience{5000};

struct RawResponse {
  unsigned status = 0;
  std::multimap<std::string, std::string> headers;  // names lower-cased
  std::string body;

  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// A blocking HTTP/1.1 client speaking hand-written text. Reads wait at most kPatience.
class TestClient {
 public:
  explicit TestClient(uint16_t port) : socket_(io_) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), connect_error_);
  }

  bool connected() const { return !connect_error_; }

  void Send(std::string_view text) {
    boost::system::error_code ec;
    asio::write(socket_, asio::buffer(text.data(), text.size()), ec);
    ASSERT_FALSE(ec) << ec.message();
  }

  void Get(std::string_view path, std::string_view extra_headers = "") {
    Send(std::string("GET ") + std::string(path) + " HTTP/1.1\r\nHost: kiosk\r\n" +
         std::string(extra_headers) + "\r\n");
  }

  // One response, framed by Content-Length (which a response to HEAD only announces); nullopt when
  // the connection ends first.
  std::optional<RawResponse> ReadResponse(bool to_head = false) {
    std::size_t header_end;
    while ((header_end = buffered_.find("\r\n\r\n")) == std::string::npos) {
      if (!ReadMore()) return std::nullopt;
    }
    std::istringstream head(buffered_.substr(0, header_end + 2));
    buffered_.erase(0, header_end + 4);
    RawResponse response;
    std::string line;
    if (!std::getline(head, line) || line.rfind("HTTP/1.", 0) != 0 || line.size() < 12) {
      return std::nullopt;
    }
    response.status = static_cast<unsigned>(std::stoul(line.substr(9, 3)));
    while (std::getline(head, line)) {
      const std::size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      const std::size_t value = line.find_first_not_of(' ', colon + 1);
      response.headers.emplace(name, line.substr(value, line.size() - 1 - value));  // drop \r
    }
    const std::size_t length = to_head ? 0 : std::stoul("0" + response.Header("content-length"));
    while (buffered_.size() < length) {
      if (!ReadMore()) return std::nullopt;
    }
    response.body = buffered_.substr(0, length);
    buffered_.erase(0, length);
    return response;
  }

  // True when the server ends the connection (EOF or reset) within kPatience, having sent nothing
  // more.
  bool WaitClosed() {
    const std::size_t before = buffered_.size();
    while (ReadMore()) {
    }
    return closed_ && buffered_.size() == before;
  }

 private:
  // Appends what arrives; false on EOF, reset or when kPatience passes.
  bool ReadMore() {
    pollfd fd{socket_.native_handle(), POLLIN, 0};
    if (::poll(&fd, 1, static_cast<int>(kPatience.count())) <= 0) return false;
    char chunk[4096];
    boost::system::error_code ec;
    const std::size_t n = socket_.read_some(asio::buffer(chunk), ec);
    if (ec) {
      closed_ = true;
      return false;
    }
    buffered_.append(chunk, n);
    return true;
  }

  asio::io_context io_;
  tcp::socket socket_;
  boost::system::error_code connect_error_;
  std::string buffered_;
  bool closed_ = false;
};

HttpServerLimits FastLimits() {
  HttpServerLimits limits;
  limits.max_header_bytes = 1024;
  limits.max_body_bytes = 1024;
  limits.read_deadline = milliseconds(300);
  limits.write_deadline = milliseconds(300);
  limits.idle_timeout = milliseconds(600);
  limits.max_connections = 8;
  limits.shutdown_grace = kPatience;
  return limits;
}

class HttpServerTest : public ::testing::Test {
 protected:
  void StartServer(HttpServerLimits limits = FastLimits()) {
    auto listening = HttpServer::Listen(io_, "127.0.0.1", 0, limits, MakeHandler());
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
      EXPECT_EQ(done.get_future().wait_for(kPatience), std::future_status::ready);
    }
    work_.reset();
    io_.stop();
    if (io_thread_.joinable()) io_thread_.join();
    server_.reset();
  }

  // Runs `fn` on the io thread and waits until it has run.
  template <class Fn>
  void RunOnIo(Fn fn) {
    std::promise<void> ran;
    asio::post(io_, [&] {
      fn();
      ran.set_value();
    });
    ASSERT_EQ(ran.get_future().wait_for(kPatience), std::future_status::ready);
  }

  // Sends `request` on a new connection and expects `status`, then the server closing it.
  void ExpectAnsweredAndClosed(const std::string& request, unsigned status) {
    SCOPED_TRACE(request.substr(0, 60));
    TestClient client(server_->port());
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
        asio::steady_timer never(co_await asio::this_coro::executor, Clock::time_point::max());
        stuck_entered_.set_value();
        co_await never.async_wait(asio::use_awaitable);
        co_return HttpResponse::Text(200, "unreachable");
      }
      co_return HttpResponse::Text(404, "not found");
    };
  }

  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{
      io_.get_executor()};
  std::thread io_thread_;
  std::atomic<std::thread::id> io_thread_id_;
  std::atomic<std::thread::id> handler_thread_id_;
  asio::steady_timer release_{io_, Clock::time_point::max()};
  std::promise<void> slow_entered_;
  std::promise<void> stuck_entered_;
  std::promise<void> big_entered_;
  std::unique_ptr<HttpServer> server_;
  bool shut_down_ = false;
};

TEST_F(HttpServerTest, ServesGetWithBodyAndSafetyHeadersOnIoThread) {
  StartServer();
  TestClient client(server_->port());
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
  EXPECT_EQ(handler_thread_id_.load(), io_thread_id_.load());
}

TEST_F(HttpServerTest, PassesRequestToHandlerAndKeepsHandlerCacheControl) {
  StartServer();
  TestClient client(server_->port());
  client.Send(
      "POST /echo HTTP/1.1\r\nHost: kiosk\r\nx-PROBE: Probe-Value\r\n"
      "Content-Length: 4\r\n\r\nping");
  auto echo = client.ReadResponse();
  ASSERT_TRUE(echo);
  EXPECT_EQ(echo->body, "POST ping Probe-Value 127.0.0.1");
  EXPECT_EQ(echo->Header("content-type"), "application/json");

  client.Get("/cache");
  auto cached = client.ReadResponse();
  ASSERT_TRUE(cached);
  EXPECT_EQ(cached->headers.count("cache-control"), 1u);
  EXPECT_EQ(cached->Header("cache-control"), "max-age=60");
  EXPECT_EQ(cached->Header("content-type"), "text/html; charset=utf-8");
}

TEST_F(HttpServerTest, KeepsConnectionAliveIncludingPipelinedRequests) {
  StartServer();
  TestClient client(server_->port());
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
  EXPECT_EQ(second->body, "GET  none 127.0.0.1");
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

TEST_F(HttpServerTest, ClosesAfterConnectionCloseAndHttp10) {
  StartServer();
  TestClient closing(server_->port());
  closing.Get("/", "Connection: close\r\n");
  auto response = closing.ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->Header("connection"), "close");
  EXPECT_TRUE(closing.WaitClosed());

  TestClient old(server_->port());
  old.Send("GET / HTTP/1.0\r\n\r\n");
  auto old_response = old.ReadResponse();
  ASSERT_TRUE(old_response);
  EXPECT_EQ(old_response->body, "hello");
  EXPECT_TRUE(old.WaitClosed());
}

TEST_F(HttpServerTest, AnswersOversizedHeaderWith431AndCloses) {
  StartServer();
  ExpectAnsweredAndClosed(
      "GET / HTTP/1.1\r\nHost: kiosk\r\nX-Fill: " + std::string(2000, 'a') + "\r\n\r\n", 431);
}

TEST_F(HttpServerTest, AnswersOversizedBodyWith413AndCloses) {
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

TEST_F(HttpServerTest, AnswersMalformedRequestsWith400AndCloses) {
  StartServer();
  ExpectAnsweredAndClosed("THIS IS NOT HTTP\r\n\r\n", 400);
  ExpectAnsweredAndClosed("POST /echo HTTP/1.1\r\nHost: kiosk\r\nContent-Length: ten\r\n\r\n", 400);
  ExpectAnsweredAndClosed("GET / HTTP/1.1\r\nHost kiosk\r\n\r\n", 400);
}

TEST_F(HttpServerTest, DropsStalledClientAtReadDeadline) {
  const HttpServerLimits limits = FastLimits();
  StartServer(limits);
  const auto start = Clock::now();
  TestClient client(server_->port());
  client.Send("GET / HTTP/1.1\r\nHost: ki");  // and nothing more
  EXPECT_TRUE(client.WaitClosed());
  const auto elapsed = Clock::now() - start;
  EXPECT_GE(elapsed, limits.read_deadline);
  EXPECT_LT(elapsed, milliseconds(3000));
}

TEST_F(HttpServerTest, ClosesKeepAliveConnectionAfterIdleTimeout) {
  const HttpServerLimits limits = FastLimits();
  StartServer(limits);
  TestClient client(server_->port());
  const auto start = Clock::now();
  client.Get("/");
  ASSERT_TRUE(client.ReadResponse());
  EXPECT_TRUE(client.WaitClosed());
  const auto elapsed = Clock::now() - start;
  EXPECT_GE(elapsed, limits.idle_timeout);  // longer than read_deadline: the idle limit applies
  EXPECT_LT(elapsed, milliseconds(3000));
}

// A client that stops reading cannot hold a response write (and so a shutdown) past the write
// deadline; the grace period is longer than kPatience, so only the write deadline can end it.
TEST_F(HttpServerTest, DropsClientThatStopsReadingAtWriteDeadline) {
  HttpServerLimits limits = FastLimits();
  limits.shutdown_grace = 2 * kPatience;
  StartServer(limits);
  TestClient client(server_->port());
  client.Get("/big");  // and never read the response
  ASSERT_EQ(big_entered_.get_future().wait_for(kPatience), std::future_status::ready);
  EXPECT_EQ(Shutdown().wait_for(kPatience), std::future_status::ready);
  EXPECT_EQ(server_->active_connections(), 0u);
}

TEST_F(HttpServerTest, TurnsAwayConnectionsOverCapWith503AndKeepsServingOthers) {
  HttpServerLimits limits = FastLimits();
  limits.max_connections = 2;
  limits.idle_timeout = kPatience;
  StartServer(limits);
  TestClient first(server_->port());
  TestClient second(server_->port());
  for (TestClient* client : {&first, &second}) {
    client->Get("/");
    auto response = client->ReadResponse();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200u);
  }
  EXPECT_EQ(server_->active_connections(), 2u);

  TestClient third(server_->port());
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

TEST_F(HttpServerTest, AnswersHandlerExceptionWith500AndKeepsServing) {
  StartServer();
  TestClient client(server_->port());
  client.Get("/throw");
  auto failed = client.ReadResponse();
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->status, 500u);
  EXPECT_EQ(failed->body.find("handler bug"), std::string::npos);  // no internals to clients
  EXPECT_TRUE(client.WaitClosed());

  TestClient next(server_->port());
  next.Get("/");
  auto response = next.ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200u);
}

TEST_F(HttpServerTest, ShutdownFinishesRequestInFlightAndRefusesNewConnections) {
  HttpServerLimits limits = FastLimits();
  limits.idle_timeout = 2 * kPatience;  // only the shutdown can close `idle` in time
  StartServer(limits);
  TestClient idle(server_->port());
  idle.Get("/");
  ASSERT_TRUE(idle.ReadResponse());
  TestClient busy(server_->port());
  busy.Get("/slow");
  ASSERT_EQ(slow_entered_.get_future().wait_for(kPatience), std::future_status::ready);

  std::future<void> done = Shutdown();
  EXPECT_TRUE(idle.WaitClosed());
  TestClient late(server_->port());
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
  EXPECT_EQ(done.wait_for(kPatience), std::future_status::ready);
  EXPECT_EQ(server_->active_connections(), 0u);
}

TEST_F(HttpServerTest, ShutdownGraceBoundsAStuckHandler) {
  HttpServerLimits limits = FastLimits();
  limits.shutdown_grace = milliseconds(300);
  StartServer(limits);
  TestClient client(server_->port());
  client.Get("/stuck");
  ASSERT_EQ(stuck_entered_.get_future().wait_for(kPatience), std::future_status::ready);

  const auto start = Clock::now();
  std::future<void> done = Shutdown();
  EXPECT_TRUE(client.WaitClosed());
  EXPECT_GE(Clock::now() - start, limits.shutdown_grace);
  EXPECT_EQ(done.wait_for(kPatience), std::future_status::ready);
  EXPECT_LT(Clock::now() - start, milliseconds(3000));
}

TEST_F(HttpServerTest, ListenReportsTakenPortAndBadAddress) {
  StartServer();
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
