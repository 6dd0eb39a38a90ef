#include "agent/agent_app.hpp"

#include <sys/stat.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <csignal>
#include <iostream>

#include "agent/admin_routes.hpp"
#include "agent/admin_status.hpp"
#include "agent/agent_config.hpp"
#include "agent/agent_routes.hpp"
#include "agent/command_line.hpp"
#include "agent/counter_setup.hpp"
#include "agent/hq_sync.hpp"
#include "agent/journal.hpp"
#include "agent/kiosk_identity.hpp"
#include "agent/kiosk_metrics.hpp"
#include "agent/phones_listener.hpp"
#include "agent/shopper_setup.hpp"
#include "common/clock.hpp"
#include "common/crypto.hpp"
#include "common/files.hpp"
#include "common/http_server.hpp"
#include "common/log.hpp"
#include "common/systemd_watchdog.hpp"
#include "common/tls_certs.hpp"

namespace kiosk_edge {
namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

// Command line over config file over defaults. Reads files only; creates nothing.
Result<AgentConfig> ResolveConfig(const AgentCommandLine& command_line) {
  Result<AgentConfig> config = command_line.config_file ? LoadAgentConfig(*command_line.config_file)
                                                        : Result<AgentConfig>(DefaultAgentConfig());
  if (!config) return config;
  if (command_line.state_dir) config->state_dir = *command_line.state_dir;
  if (command_line.port) config->port = *command_line.port;
  return config;
}

// SIGHUP: the retailer renewed the [https] certificate. A reload that fails keeps the one in use.
void ReloadPhonesCertificate(PhonesListener* phones) {
  if (phones == nullptr) {
    LogWarning("agent", "SIGHUP: there is no [https] certificate to reload");
    return;
  }
  auto reloaded = phones->Reload();
  if (!reloaded) {
    LogError("agent", "SIGHUP: kept the [https] certificate in use: ", reloaded.error().message());
    return;
  }
  const std::int64_t days_left = (*reloaded - UnixMs(SystemClock().WallNow())) / 86'400'000;
  if (days_left < 0) {
    LogWarning("agent", "SIGHUP: the reloaded [https] certificate has expired");
  } else {
    LogInfo("agent", "SIGHUP: serving the reloaded [https] certificate (", days_left,
            " days left)");
  }
}

void PrintBanner(const AgentConfig& config, const Journal& journal, const ShopperServices& shopper,
                 const std::optional<std::string>& demo_pin, std::uint16_t port,
                 const HttpServer* phones) {
  const std::string base = StrCat("http://", config.listen_address, ":", port);
  std::cout << "kiosk-agent " << KIOSK_EDGE_VERSION << " is running as kiosk " << journal.kiosk_id()
            << " (store " << config.store_id << ")\n";
  if (phones != nullptr) {
    std::cout << "  phones:        https://" << config.https_listen_address << ":" << phones->port()
              << " (codes point at " << shopper.public_base_url << ")\n";
  }
  std::cout << "  kiosk screen:  " << base << "/kiosk\n"
            << "  signup form:   " << base << "/signup\n";
  for (const Channel& channel : shopper.channels->All()) {
    auto url = ChannelCodeUrl(shopper, channel.id);
    if (url) std::cout << "  channel code:  " << *url << "   " << channel.name << "\n";
  }
  std::cout << "  counter:       " << base << "/counter";
  if (demo_pin) std::cout << "   (demo staff ID \"demo\", PIN " << *demo_pin << ")";
  std::cout << "\n  health:        " << base << "/healthz\n"
            << "  state:         " << std::filesystem::absolute(config.state_dir).string() << "\n"
            << "Stop it with Ctrl-C (SIGINT) or SIGTERM; it finishes requests in flight first."
            << std::endl;
}

int Serve(const AgentConfig& config) {
  // Everything the agent writes (journal, keys, socket) is for its own user only.
  ::umask(0077);
  if (auto made = EnsurePrivateDirectory(config.state_dir); !made) {
    LogError("agent", made.error().message());
    return kExitFailure;
  }
  auto enrollment = LoadHqEnrollment(config.state_dir);
  if (!enrollment) {
    LogError("agent", enrollment.error().message());
    return kExitFailure;
  }
  AgentConfig effective = config;
  if (*enrollment && effective.hq_public_key_hex.empty()) {
    effective.hq_public_key_hex = HexEncode((*enrollment)->hq_public_key);  // seal for our HQ
  }
  auto kiosk_id = LoadOrCreateKioskId(config.state_dir, config.kiosk_id);
  if (!kiosk_id) {
    LogError("agent", kiosk_id.error().message());
    return kExitFailure;
  }
  JournalOptions journal_options;
  journal_options.path = config.state_dir / "journal.db";
  journal_options.kiosk_id = *kiosk_id;
  journal_options.max_disk_bytes = config.journal_max_disk_bytes;
  journal_options.max_batch_events = config.journal_max_batch_events;
  auto journal = Journal::Open(journal_options);
  if (!journal) {
    LogError("agent", journal.error().message());
    return kExitFailure;
  }

  KioskMetrics metrics((*journal)->Marks().last_seq, SystemClock());  // counts from here on
  boost::asio::io_context io(1);
  boost::asio::thread_pool blocking_pool(2);
  auto shopper = ShopperState::Build(effective, *kiosk_id, **journal, blocking_pool);
  if (!shopper) {
    LogError("agent", shopper.error().message());
    return kExitFailure;
  }
  auto counter = CounterState::Build(config, **journal, (*shopper)->trust(), blocking_pool,
                                     &metrics.decode_seconds());
  if (!counter) {
    LogError("agent", counter.error().message());
    return kExitFailure;
  }
  HttpServerLimits limits = config.http;
  limits.upload_paths.emplace_back(kCounterFramePath);
  const HttpHandler routes =
      WithLoopbackMetrics(&metrics, journal->get(), &blocking_pool,
                          MakeAgentRoutes({journal->get(), &blocking_pool, journal_options.path,
                                           &(*shopper)->services(), &(*counter)->services()}));
  auto server = HttpServer::Listen(io, config.listen_address, config.port, limits, routes);
  if (!server) {
    LogError("agent", server.error().message());
    return kExitFailure;
  }
  auto listener = PhonesListener::Listen(io, config, limits, routes);
  if (!listener) {
    LogError("agent", listener.error().message());
    return kExitFailure;
  }
  PhonesListener* const phones = listener->get();  // null without [https]
  const auto phones_not_after_ms = [phones]() -> std::optional<std::int64_t> {
    if (phones == nullptr) return std::nullopt;
    return phones->not_after_ms();
  };
  SyncClientOptions sync_options;
  sync_options.backoff_base = config.sync_backoff_base;
  sync_options.backoff_cap = config.sync_backoff_cap;
  sync_options.config_interval = config.sync_config_interval;
  sync_options.batch_upload_seconds = &metrics.batch_upload_seconds();
  sync_options.https_not_after_ms = phones_not_after_ms;
  HqSyncSlot hq_sync(config.state_dir, [&](const HqEnrollment& enrolled) {
    // Enrolled while running: seal for this HQ from now on, as a start would (unless configured).
    if (config.hq_public_key_hex.empty()) (*shopper)->SealFor(enrolled.hq_public_key);
    return HqSync::Start(io, blocking_pool, **journal, (*shopper)->hq_config(), enrolled,
                         sync_options);
  });
  if (*enrollment) {
    if (auto started = hq_sync.Start(**enrollment); !started) {
      LogError("agent", config.state_dir.string(), ": ", started.error().message());
      return kExitFailure;
    }
  }
  std::string base_url = config.public_base_url;
  if (base_url.empty()) {
    base_url = phones
                   ? StrCat("https://", config.https_listen_address, ":", phones->server().port())
                   : StrCat("http://", config.listen_address, ":", (*server)->port());
  }
  (*shopper)->SetPublicBaseUrl(base_url);
  // kioskctl's admin API: only on the owner-only Unix socket in the state folder.
  auto admin = HttpServer::ListenLocal(
      io, config.state_dir / "kioskctl.sock", config.http,
      WithAdminStatusRoutes(
          {journal->get(), &blocking_pool, &SystemClock(), &hq_sync, (*counter)->services().camera,
           &(*shopper)->trust(), config.store_id, &metrics, phones_not_after_ms},
          MakeAdminRoutes(&(*shopper)->services(), config.store_id)));
  if (!admin) {
    LogError("agent", admin.error().message());
    return kExitFailure;
  }
  (*server)->ObserveResponses(
      [&metrics](unsigned status) { metrics.CountResponse("main", status); });
  if (phones) {
    phones->server().ObserveResponses(
        [&metrics](unsigned status) { metrics.CountResponse("main", status); });
    phones->server().Start();
    LogInfo("agent", "listening for phones on https://", config.https_listen_address, ":",
            phones->server().port());
    if (phones->not_after_ms() <= UnixMs(SystemClock().WallNow())) {
      LogWarning("agent", "the [https] certificate ", config.https_certificate.string(),
                 " has expired: phones see a warning instead of the pages");
    }
  }
  const SystemdNotifier systemd = SystemdNotifier::FromEnvironment();  // no-op outside systemd
  // Signals are handled from before the banner: systemd and tests may send one as soon as it
  // appears (SIGHUP unhandled would end the agent).
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  int servers_running = phones ? 3 : 2;
  const auto one_stopped = [&io, &servers_running] {
    if (--servers_running == 0) io.stop();
  };
  signals.async_wait([&](const boost::system::error_code& error, int signal_number) {
    if (error) return;
    LogInfo("agent", "signal ", signal_number, ": finishing requests in flight, then stopping");
    systemd.NotifyStopping("finishing requests in flight");
    hq_sync.Stop();
    (*server)->Shutdown(one_stopped);
    if (phones) phones->server().Shutdown(one_stopped);
    (*admin)->Shutdown(one_stopped);
  });
  boost::asio::signal_set reload_signals(io, SIGHUP);
  std::function<void()> await_reload = [&] {
    reload_signals.async_wait([&](const boost::system::error_code& error, int) {
      if (error) return;
      ReloadPhonesCertificate(phones);
      (void)hq_sync.Reload("SIGHUP");  // logs what it did
      await_reload();
    });
  };
  await_reload();
  (*admin)->ObserveResponses(
      [&metrics](unsigned status) { metrics.CountResponse("admin", status); });
  (*server)->Start();
  (*admin)->Start();
  LogInfo("agent", "listening on http://", config.listen_address, ":", (*server)->port());
  PrintBanner(config, **journal, (*shopper)->services(), (*counter)->demo_pin(), (*server)->port(),
              phones ? &phones->server() : nullptr);
  SystemdWatchdog watchdog(io, systemd);  // pings from this loop: a hung loop gets restarted
  systemd.NotifyReady(StrCat("serving on port ", (*server)->port()));
  io.run();
  // A round stopped mid-upload still has a Send on the HTTPS connection, which must not be
  // destroyed under it: let the round end (every connect and read has a deadline) while the
  // blocking pool still runs its read-ahead, then let the client's loop see it is stopping.
  io.restart();
  const auto drain_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (hq_sync.get() != nullptr && hq_sync.get()->RoundInFlight() &&
         std::chrono::steady_clock::now() < drain_deadline) {
    io.run_one_for(std::chrono::milliseconds(100));
  }
  io.poll();
  blocking_pool.join();
  hq_sync.Reset();  // detaches from the journal before anything it uses goes away
  LogInfo("agent", "stopped");
  return 0;  // the journal commits what was submitted as it closes
}

}  // namespace

int RunKioskAgent(std::span<const std::string_view> args) {
  auto command_line = ParseAgentCommandLine(args);
  if (!command_line) {
    std::cerr << "kiosk-agent: " << command_line.error().message() << "\n";
    return kExitUsage;
  }
  if (command_line->show_help) {
    std::cout << AgentUsage();
    return 0;
  }
  if (command_line->show_version) {
    std::cout << "kiosk-agent " << KIOSK_EDGE_VERSION << "\n";
    return 0;
  }
  auto config = ResolveConfig(*command_line);
  if (!config) {
    std::cerr << "kiosk-agent: " << config.error().message() << "\n";
    return kExitUsage;
  }
  SetLogLevel(config->log_level);
  return Serve(*config);
}

}  // namespace kiosk_edge
