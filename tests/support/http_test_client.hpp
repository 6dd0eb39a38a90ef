#pragma once

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>

namespace kiosk_edge::testing {

// How long a test client waits for the server. Every wait in the tests is for a real event; this
// only bounds a wait that would otherwise hang the suite when the server misbehaves.
inline constexpr std::chrono::milliseconds kHttpTestPatience{5000};

struct HttpTestResponse {
  unsigned status = 0;
  std::multimap<std::string, std::string> headers;  // names lower-cased
  std::string body;

  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// A blocking HTTP/1.1 client speaking hand-written text, over TCP to 127.0.0.1 or over a Unix
// stream socket, for testing servers byte by byte (pipelining, malformed and stalled requests).
// Reads wait at most kHttpTestPatience.
class HttpTestClient {
 public:
  // Connects to 127.0.0.1:`port`.
  explicit HttpTestClient(std::uint16_t port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    Connect(AF_INET, reinterpret_cast<const sockaddr*>(&address), sizeof address);
  }

  // Connects to the Unix stream socket at `socket_path`.
  explicit HttpTestClient(const std::filesystem::path& socket_path) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    const std::string& path = socket_path.native();
    if (path.size() >= sizeof address.sun_path) {
      connect_errno_ = ENAMETOOLONG;
      return;
    }
    std::memcpy(address.sun_path, path.data(), path.size());
    Connect(AF_UNIX, reinterpret_cast<const sockaddr*>(&address), sizeof address);
  }

  HttpTestClient(HttpTestClient&& other) noexcept
      : fd_(std::exchange(other.fd_, -1)),
        connect_errno_(other.connect_errno_),
        buffered_(std::move(other.buffered_)),
        closed_(other.closed_) {}
  HttpTestClient& operator=(HttpTestClient&&) = delete;
  ~HttpTestClient() {
    if (fd_ >= 0) ::close(fd_);
  }

  bool connected() const { return connect_errno_ == 0; }
  // Why the connection failed (an errno value), or 0.
  int connect_errno() const { return connect_errno_; }

  void Send(std::string_view text) {
    ASSERT_TRUE(connected()) << std::strerror(connect_errno_);
    while (!text.empty()) {
      const ssize_t n = ::send(fd_, text.data(), text.size(), MSG_NOSIGNAL);
      ASSERT_GT(n, 0) << std::strerror(errno);
      text.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  void Get(std::string_view path, std::string_view extra_headers = "") {
    Send(std::string("GET ") + std::string(path) + " HTTP/1.1\r\nHost: kiosk\r\n" +
         std::string(extra_headers) + "\r\n");
  }

  // One response, framed by Content-Length (which a response to HEAD only announces); nullopt when
  // the connection ends first.
  std::optional<HttpTestResponse> ReadResponse(bool to_head = false) {
    std::size_t header_end;
    while ((header_end = buffered_.find("\r\n\r\n")) == std::string::npos) {
      if (!ReadMore()) return std::nullopt;
    }
    std::istringstream head(buffered_.substr(0, header_end + 2));
    buffered_.erase(0, header_end + 4);
    HttpTestResponse response;
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

  // True when the server ends the connection (EOF or reset) within kHttpTestPatience, having sent
  // nothing more.
  bool WaitClosed() {
    const std::size_t before = buffered_.size();
    while (ReadMore()) {
    }
    return closed_ && buffered_.size() == before;
  }

 private:
  void Connect(int family, const sockaddr* address, socklen_t size) {
    fd_ = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0 || ::connect(fd_, address, size) != 0) connect_errno_ = errno;
  }

  // Appends what arrives; false on EOF, reset or when kHttpTestPatience passes.
  bool ReadMore() {
    if (!connected()) return false;
    pollfd ready{fd_, POLLIN, 0};
    if (::poll(&ready, 1, static_cast<int>(kHttpTestPatience.count())) <= 0) return false;
    char chunk[4096];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) {
      closed_ = true;
      return false;
    }
    buffered_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  int connect_errno_ = 0;
  std::string buffered_;
  bool closed_ = false;
};

}  // namespace kiosk_edge::testing
