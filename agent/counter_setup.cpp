#include "agent/counter_setup.hpp"

#include "common/crypto.hpp"
#include "common/files.hpp"
#include "common/log.hpp"

namespace kiosk_edge {
namespace {

constexpr std::string_view kDemoPinFile = "demo-staff-pin";
constexpr std::size_t kRateLimitKeys = 20'000;
constexpr std::size_t kLoginsPerAddress = 30;  // in any 10 minutes

// The demo PIN: read from the state folder, or made (6 random digits) on first start.
Result<std::string> LoadOrCreateDemoPin(const std::filesystem::path& state_dir) {
  const auto file = state_dir / kDemoPinFile;
  auto pin = ReadSmallFile(file, 64);
  if (pin && IsAcceptablePin(*pin)) return pin;
  if (!pin && pin.error().kind() != ErrorKind::kNotFound) return pin.error();
  auto bytes = RandomBytes(6);
  if (!bytes) return bytes.error();
  std::string fresh;
  for (char byte : *bytes)
    fresh.push_back(static_cast<char>('0' + static_cast<unsigned char>(byte) % 10));
  if (auto written = WriteFileAtomically(file, fresh, 0600); !written) return written.error();
  return fresh;
}

}  // namespace

Result<std::unique_ptr<CounterState>> CounterState::Build(const AgentConfig& config,
                                                          Journal& journal, TrustStore& trust,
                                                          boost::asio::thread_pool& blocking_pool,
                                                          MetricHistogram* decode_seconds) {
  std::unique_ptr<CounterState> state(new CounterState());
  std::vector<StaffMember> staff = config.staff;
  if (staff.empty()) {
    auto pin = LoadOrCreateDemoPin(config.state_dir);
    if (!pin) return pin.error().WithContext("demo staff PIN");
    auto hash = HashStaffPin(*pin);
    if (!hash) return hash.error().WithContext("demo staff PIN");
    staff.push_back(StaffMember{"demo", "Demo staff", std::move(*hash)});
    state->demo_pin_ = std::move(*pin);
    LogWarning("agent",
               "no [staff.*] configured: the counter accepts the demo staff ID \"demo\" with the "
               "PIN in the state folder; fine for a demo, never for a real store");
  }
  state->staff_.emplace(std::move(staff), config.staff_policy, SystemClock());
  state->login_limit_.emplace(kLoginsPerAddress, std::chrono::minutes(10), kRateLimitKeys,
                              SystemClock());
  state->frame_limit_.emplace(static_cast<std::size_t>(config.frame_max_fps),
                              std::chrono::seconds(1), kRateLimitKeys, SystemClock());
  CounterCameraOptions camera;
  camera.device = config.camera_device;
  camera.max_fps = config.camera_max_fps;
  camera.decode_seconds = decode_seconds;
  state->camera_ = std::make_unique<CounterCamera>(camera, SystemClock());

  CounterServices& services = state->services_;
  services.desk = RedemptionDesk{&journal, &trust, &blocking_pool, &SystemClock(), config.store_id};
  services.staff = &*state->staff_;
  services.login_limit = &*state->login_limit_;
  services.frame_limit = &*state->frame_limit_;
  services.camera = state->camera_.get();
  services.decode_seconds = decode_seconds;
  services.blocking_pool = &blocking_pool;
  services.frame_max_fps = config.frame_max_fps;
  services.secure_cookies = CodesPointAtHttps(config);
  return state;
}

}  // namespace kiosk_edge
