#include "common/local_http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "common/strings.hpp"

namespace kiosk_edge {
namespace {

using Socket = boost::asio::local::stream_protocol::socket;

Result<LocalHttpResponse> Parse(const std::string& raw) {
  const auto header_end = raw.find("\r\n\r\n");
  if (!raw.starts_with("HTTP/1.1 ") || raw.size() < 12 || header_end == std::string::npos) {
    return Error(ErrorKind::kIo, "the daemon sent something that is not an HTTP response");
  }
  LocalHttpResponse response;
  response.status = static_cast<unsigned>(std::stoul(raw.substr(9, 3)));
  response.body = raw.substr(header_end + 4);
  return response;
}

}  // namespace

Result<LocalHttpResponse> LocalHttpRequest(const std::filesystem::path& socket_path,
                                           std::string_view method, std::string_view target,
                                           std::string_view json_body,
                                           std::chrono::milliseconds deadline,
                                           std::size_t max_response_bytes) {
  boost::asio::io_context io;
  Socket socket(io);
  boost::system::error_code error;
  socket.connect(boost::asio::local::stream_protocol::endpoint(socket_path.string()), error);
  if (error) {
    const bool absent = error == boost::asio::error::connection_refused ||
                        error == boost::asio::error::not_found ||
                        error == boost::system::errc::no_such_file_or_directory;
    return Error(absent ? ErrorKind::kUnavailable : ErrorKind::kIo,
                 StrCat("connect to ", socket_path.string(), ": ", error.message(),
                        absent ? " (is kiosk-agent running with this state folder?)" : ""));
  }
  const std::string request =
      StrCat(method, " ", target, " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n",
             json_body.empty() ? "" : "Content-Type: application/json\r\n",
             "Content-Length: ", json_body.size(), "\r\n\r\n", json_body);
  std::string raw;
  boost::system::error_code io_error;
  boost::asio::async_write(
      socket, boost::asio::buffer(request), [&](boost::system::error_code written, std::size_t) {
        if (written) {
          io_error = written;
          return;
        }
        boost::asio::async_read(socket, boost::asio::dynamic_buffer(raw, max_response_bytes),
                                [&](boost::system::error_code read, std::size_t) {
                                  if (read != boost::asio::error::eof) io_error = read;
                                });
      });
  io.run_for(deadline);
  if (!io.stopped()) {
    return Error(ErrorKind::kIo, StrCat("no answer from ", socket_path.string(), " within ",
                                        deadline.count(), " ms"));
  }
  if (io_error) {
    return Error(ErrorKind::kIo, StrCat(socket_path.string(), ": ", io_error.message()));
  }
  return Parse(raw);
}

}  // namespace kiosk_edge
