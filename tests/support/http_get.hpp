#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <string>

namespace kiosk_edge::testing {

struct RawHttpResponse {
  int status = 0;  // 0: no response
  std::string body;
};

// A minimal blocking HTTP/1.1 GET to 127.0.0.1:`port` with Connection: close.
inline RawHttpResponse HttpGet(std::uint16_t port, const std::string& target) {
  RawHttpResponse response;
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return response;
  }
  const std::string request =
      "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) < 0) {
    ::close(fd);
    return response;
  }
  std::string raw;
  char chunk[4096];
  for (ssize_t n; (n = ::recv(fd, chunk, sizeof chunk, 0)) > 0;) raw.append(chunk, n);
  ::close(fd);
  if (raw.rfind("HTTP/1.1 ", 0) != 0 || raw.size() < 12) return response;
  response.status = std::stoi(raw.substr(9, 3));
  if (auto end = raw.find("\r\n\r\n"); end != std::string::npos)
    response.body = raw.substr(end + 4);
  return response;
}

}  // namespace kiosk_edge::testing
