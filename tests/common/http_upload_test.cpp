// Upload paths: a larger body limit for listed paths only (camera frames at the counter).
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <future>
#include <thread>

#include "common/http_server.hpp"
#include "support/http_client.hpp"

namespace kiosk_edge {
namespace {

using testing::HttpExchange;

TEST(HttpUploadTest, ListedPathsTakeLargerBodiesOthersStillGet413) {
  boost::asio::io_context io;
  HttpServerLimits limits;
  limits.max_body_bytes = 1024;
  limits.upload_paths = {"/frame"};
  limits.max_upload_body_bytes = 256 * 1024;
  const HttpHandler echo_size = [](HttpRequest request) -> boost::asio::awaitable<HttpResponse> {
    co_return HttpResponse::Text(200, std::to_string(request.body.size()));
  };
  auto server = HttpServer::Listen(io, "127.0.0.1", 0, limits, echo_size);
  ASSERT_TRUE(server) << server.error().message();
  (*server)->Start();
  std::thread io_thread([&io] { io.run(); });

  const std::uint16_t port = (*server)->port();
  const std::string frame(200 * 1024, 'j');
  const auto uploaded = HttpExchange(port, "POST", "/frame?n=1", {}, frame);
  EXPECT_EQ(uploaded.status, 200);
  EXPECT_EQ(uploaded.body, std::to_string(frame.size()));
  EXPECT_EQ(HttpExchange(port, "POST", "/frame", {}, std::string(300 * 1024, 'j')).status, 413);
  EXPECT_EQ(HttpExchange(port, "POST", "/frames", {}, std::string(2048, 'j')).status, 413);
  EXPECT_EQ(HttpExchange(port, "POST", "/other", {}, std::string(2048, 'j')).status, 413);
  EXPECT_EQ(HttpExchange(port, "POST", "/other", {}, std::string(1000, 'j')).status, 200);

  std::promise<void> stopped;
  boost::asio::post(io, [&] { (*server)->Shutdown([&] { stopped.set_value(); }); });
  stopped.get_future().wait();
  io.stop();
  io_thread.join();
}

}  // namespace
}  // namespace kiosk_edge
