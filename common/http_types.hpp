#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
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

}  // namespace kiosk_edge
