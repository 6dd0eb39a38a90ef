#pragma once

// kiosk-agent's [https] listener, the way phones reach the kiosk (DESIGN.md section 8). It serves
// the retailer's certificate, read from [https] certificate and private_key at start and again by
// Reload (SIGHUP, after a renewal), and knows when that certificate ends, which kioskctl status
// and HQ's kiosk health show.

#include <atomic>
#include <cstdint>
#include <memory>

#include "agent/agent_config.hpp"
#include "common/error.hpp"
#include "common/http_server.hpp"

namespace kiosk_edge {

class PhonesListener {
 public:
  // Binds [https] listen_address and port on `io` (not accepting until server().Start()); null
  // when [https] is not configured. Errors name the file or option at fault.
  static Result<std::unique_ptr<PhonesListener>> Listen(boost::asio::io_context& io,
                                                        const AgentConfig& config,
                                                        const HttpServerLimits& limits,
                                                        const HttpHandler& handler);

  HttpServer& server() { return *server_; }

  // The served certificate's end of validity, in Unix ms. Any thread.
  std::int64_t not_after_ms() const { return not_after_ms_.load(); }

  // Reads both files again and serves new connections with them (those open keep theirs); the
  // new certificate's end. An error names the file, and the certificate in use stays. Any thread.
  Result<std::int64_t> Reload();

 private:
  PhonesListener(const AgentConfig& config, std::unique_ptr<HttpServer> server,
                 std::int64_t not_after_ms);

  const std::filesystem::path certificate_file_;
  const std::filesystem::path private_key_file_;
  const std::unique_ptr<HttpServer> server_;
  std::atomic<std::int64_t> not_after_ms_;
};

}  // namespace kiosk_edge
