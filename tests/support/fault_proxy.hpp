#pragma once

// A TCP proxy on 127.0.0.1 that injects network faults between a client and a server, for the
// sync fault tests. It forwards bytes both ways (TLS passes through untouched) and, on request:
//   - cuts the next connections just after the server's answer begins, once the client has sent
//     at least `request_bytes` on the connection: the server has done its work, the client never
//     reads the answer (the "HQ committed, the kiosk never heard" case);
//   - refuses service (accepts and closes at once), as a network outage looks to a client.
// With several servers (SetTargets) it balances as a TCP load balancer does: each new connection
// goes to the next server in turn, or to the one after when that refuses it.
// One thread per connection; everything stops in the destructor.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <list>
#include <mutex>
#include <thread>
#include <vector>

namespace kiosk_edge::testing {

class FaultProxy {
 public:
  explicit FaultProxy(std::uint16_t target_port) : targets_{target_port} {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address = Loopback(0);
    const int one = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listener_, 64) != 0) {
      return;
    }
    socklen_t length = sizeof address;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }
  ~FaultProxy() {
    stopping_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    if (acceptor_.joinable()) acceptor_.join();
    ::close(listener_);
    std::lock_guard lock(mutex_);
    for (auto& worker : workers_) worker.join();
  }
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  std::uint16_t port() const { return port_; }
  // Cuts the next `count` connections whose client sent at least `request_bytes`, as the
  // server's answer begins.
  void CutNextAnswers(int count, std::size_t request_bytes) {
    cut_after_request_bytes_ = request_bytes;
    answers_to_cut_ = count;
  }
  int answers_cut() const { return answers_cut_; }
  void SetDown(bool down) { down_ = down; }
  int connections() const { return connections_; }
  // The servers new connections go to, in turn; each one's count of connections starts at 0.
  void SetTargets(std::vector<std::uint16_t> ports) {
    std::lock_guard lock(targets_mutex_);
    targets_ = std::move(ports);
    forwarded_.assign(targets_.size(), 0);
  }
  // Connections forwarded to the server `port` since SetTargets.
  int ForwardedTo(std::uint16_t port) const {
    std::lock_guard lock(targets_mutex_);
    for (std::size_t i = 0; i < targets_.size(); ++i) {
      if (targets_[i] == port) return forwarded_[i];
    }
    return 0;
  }
  // The server the latest connection went to (0 before any).
  std::uint16_t LatestTarget() const {
    std::lock_guard lock(targets_mutex_);
    return latest_target_;
  }

 private:
  static sockaddr_in Loopback(std::uint16_t port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return address;
  }

  void AcceptLoop() {
    while (!stopping_) {
      const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) {
        if (stopping_) return;
        continue;
      }
      ++connections_;
      if (down_) {
        ::close(client);
        continue;
      }
      std::lock_guard lock(mutex_);
      workers_.emplace_back([this, client] { Forward(client); });
    }
  }

  // A connection to the next target that takes one (-1 when none does).
  int ConnectToATarget() {
    std::lock_guard lock(targets_mutex_);
    for (std::size_t tried = 0; tried < targets_.size(); ++tried) {
      const std::size_t target = next_target_++ % targets_.size();
      const int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in address = Loopback(targets_[target]);
      if (::connect(server, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
        ++forwarded_[target];
        latest_target_ = targets_[target];
        return server;
      }
      ::close(server);
    }
    return -1;
  }

  void Forward(int client) {
    const int server = ConnectToATarget();
    if (server < 0) {
      ::close(client);
      return;
    }
    std::size_t from_client = 0;
    char buffer[16384];
    while (!stopping_) {
      pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
      if (::poll(fds, 2, 100) < 0) break;
      if (fds[0].revents != 0) {
        const ssize_t n = ::recv(client, buffer, sizeof buffer, 0);
        if (n <= 0 || ::send(server, buffer, static_cast<std::size_t>(n), MSG_NOSIGNAL) != n) break;
        from_client += static_cast<std::size_t>(n);
      }
      if (fds[1].revents != 0) {
        const ssize_t n = ::recv(server, buffer, sizeof buffer, 0);
        if (n <= 0) break;
        if (from_client >= cut_after_request_bytes_ && answers_to_cut_ > 0) {
          --answers_to_cut_;
          ++answers_cut_;
          break;  // the answer is dropped: both sides are closed below
        }
        if (::send(client, buffer, static_cast<std::size_t>(n), MSG_NOSIGNAL) != n) break;
      }
    }
    ::close(server);
    ::close(client);
  }

  mutable std::mutex targets_mutex_;
  std::vector<std::uint16_t> targets_;
  std::vector<int> forwarded_ = std::vector<int>(1, 0);
  std::size_t next_target_ = 0;
  std::uint16_t latest_target_ = 0;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> down_{false};
  std::atomic<int> connections_{0};
  std::atomic<int> answers_to_cut_{0};
  std::atomic<int> answers_cut_{0};
  std::atomic<std::size_t> cut_after_request_bytes_{0};
  std::thread acceptor_;
  std::mutex mutex_;
  std::list<std::thread> workers_;
};

}  // namespace kiosk_edge::testing
