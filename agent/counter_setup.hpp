#pragma once

#include <boost/asio/thread_pool.hpp>
#include <memory>
#include <optional>
#include <string>

#include "agent/agent_config.hpp"
#include "agent/counter_routes.hpp"

namespace kiosk_edge {

// Owns what the counter's routes use (staff sessions, rate limits, the kiosk camera) and the
// CounterServices that point at it. Built once at start; lives as long as the HTTP server.
class CounterState {
 public:
  // With no [staff.*] configured, a demo staff member "demo" gets a random 6-digit PIN, kept in
  // `state_dir`/demo-staff-pin (0600) so it survives restarts.
  // `decode_seconds` (optional) observes the scanner's time for every frame it decodes.
  static Result<std::unique_ptr<CounterState>> Build(const AgentConfig& config, Journal& journal,
                                                     TrustStore& trust,
                                                     boost::asio::thread_pool& blocking_pool,
                                                     MetricHistogram* decode_seconds = nullptr);

  const CounterServices& services() const { return services_; }
  // The demo PIN, for the start-up banner; nullopt when staff are configured.
  const std::optional<std::string>& demo_pin() const { return demo_pin_; }

 private:
  CounterState() = default;

  std::optional<StaffSessions> staff_;
  std::optional<RateLimiter> login_limit_;
  std::optional<RateLimiter> frame_limit_;
  std::unique_ptr<CounterCamera> camera_;
  std::optional<std::string> demo_pin_;
  CounterServices services_{};
};

}  // namespace kiosk_edge
