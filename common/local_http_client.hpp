#pragma once

#include <chrono>
#include <filesystem>
#include <string>

#include "common/error.hpp"

namespace kiosk_edge {

struct LocalHttpResponse {
  unsigned status = 0;
  std::string body;
};

// One HTTP/1.1 request over the Unix socket at `socket_path` (Connection: close). The whole
// exchange must finish within `deadline` and the response may be at most `max_response_bytes`.
// kUnavailable when nothing listens on the socket (the daemon is not running), kIo otherwise.
Result<LocalHttpResponse> LocalHttpRequest(
    const std::filesystem::path& socket_path, std::string_view method, std::string_view target,
    std::string_view json_body = {}, std::chrono::milliseconds deadline = std::chrono::seconds(10),
    std::size_t max_response_bytes = 16 << 20);

}  // namespace kiosk_edge
