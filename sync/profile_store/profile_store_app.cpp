#include "sync/profile_store/profile_store_app.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <charconv>
#include <csignal>
#include <iostream>
#include <map>
#include <thread>

#include "common/crypto.hpp"
#include "common/http_server.hpp"
#include "common/log.hpp"
#include "common/strings.hpp"
#include "common/systemd_watchdog.hpp"
#include "sync/profile_store/admin_audit.hpp"
#include "sync/profile_store/channel_key_commands.hpp"
#include "sync/profile_store/dashboard_session.hpp"
#include "sync/profile_store/honour_vouchers_command.hpp"
#include "sync/profile_store/hq_channel_keys.hpp"
#include "sync/profile_store/hq_metrics.hpp"
#include "sync/profile_store/hq_routes.hpp"
#include "sync/profile_store/hq_state.hpp"
#include "sync/profile_store/kiosk_health.hpp"
#include "sync/profile_store/postgres_store.hpp"
#include "sync/profile_store/profile_store_cli.hpp"
#include "sync/profile_store/profile_store_config.hpp"
#include "sync/profile_store/report_time.hpp"
#include "sync/profile_store/sqlite_store.hpp"
#include "sync/profile_store/store_routes.hpp"
#include "sync/protocol/wire_grammar.hpp"

namespace kiosk_edge {
namespace {

constexpr int kOk = 0, kFailed = 1, kUsage = 2;
constexpr std::chrono::seconds kAccessRefresh{10};
// Kiosks whose events of the day HQ counts at once ([server] kiosk_events_per_day); past it the
// oldest count is dropped, which only lets that kiosk send more.
constexpr std::size_t kMaxKiosksCounted = 100'000;
constexpr std::string_view kNotAKioskId =
    "not a kiosk id (1-64 of A-Z, a-z, 0-9, '.', '_', '-', starting with a letter or digit)";

constexpr std::string_view kUsageText =
    R"(usage: profile-store [COMMAND] [--config FILE] [--state-dir DIR] [--port N]

HQ's central store of kiosk-edge: the HTTPS server kiosks sync with, and its admin commands.
Exit status: 0, 1 when the command failed, 2 for a bad command line or config. Under systemd
it reports readiness and feeds the watchdog (NOTIFY_SOCKET, WATCHDOG_USEC); SIGTERM or SIGINT
stops the server after the requests in flight; SIGHUP reloads the HQ API tokens
([hq_api.tokens.*]) from the --config file. See profile-store(8).

  --config FILE                 read settings from this TOML file (every key is described in
                                /etc/kiosk-edge/profile-store.toml as installed)
  --state-dir DIR               keys, the kiosk CA and the SQLite database (overrides [state]
                                dir; default: $STATE_DIRECTORY, else ./state/profile-store)
  --port N                      the HTTPS port; 0 picks a free one (overrides [server] port)
  --help, --version             this text; the version

  serve                         (the default) the HTTPS server kiosks sync with
  enroll-token --kiosk ID [--valid-hours H]
                                prints a one-time token for `kioskctl enroll` on that kiosk
  revoke-kiosk ID               refuses that kiosk's certificate from now on
  honour-vouchers ID --received-before TIME [--dry-run]
                                kiosks accept again the vouchers of revoked kiosk ID whose
                                issue HQ received before TIME (RFC 3339, or a date: midnight
                                UTC; at most the revocation), from their next config pull;
                                prints how many, and when HQ received the last of them and
                                the first it leaves out; --dry-run only prints
  revoke-voucher KIOSK/VOUCHER_ID
                                kiosks refuse that voucher at the counter ("revoked") from
                                their next config pull; VOUCHER_ID is the 16 hex digits
  kiosks                        each kiosk's health, as the dashboard shows it: registry
                                state, the honour-vouchers time, last contact, last batch,
                                high-water mark, backlog, missing events, dead letters, voucher
                                conflicts, certificate ends, and what needs attention
                                ([kiosk_health]); tab-separated
  audit-actions [--limit N]     the audit of admin actions, newest first (N 1..1000, default
                                100): who ran enroll-token, revoke-kiosk, honour-vouchers,
                                revoke-voucher, rotate-channel-key or withdraw-channel-key,
                                and which HQ API token withdrew consent or erased a shopper,
                                when; tab-separated
  rotate-channel-key            a new key signs channel codes from now on; the one before is
                                retired but its codes stay valid for 90 days (kiosks learn of
                                it at their next config pull)
  withdraw-channel-key ID       ends retired key ID's 90 days now (a stolen kiosk holds it):
                                kiosks refuse its codes from their next config pull
  channel-code ID [--base-url URL]
                                prints the code path (/C/...) of channel ID of the [channels]
                                config, signed with HQ's key, for printing posters; with
                                --base-url the whole URL
)";

struct CommandLine {
  std::string command = "serve";
  std::vector<std::string> words;
  std::map<std::string, std::string, std::less<>> options;
};

Result<CommandLine> Parse(std::span<const std::string_view> args) {
  CommandLine line;
  bool have_command = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (arg == "--dry-run") {  // the one option without a value
      line.options["dry-run"] = "";
    } else if (arg.starts_with("--")) {
      if (i + 1 == args.size()) {
        return Error(ErrorKind::kInvalidArgument, StrCat(arg, " needs a value"));
      }
      const std::string_view name = arg.substr(2);
      if (name != "config" && name != "state-dir" && name != "port" && name != "kiosk" &&
          name != "valid-hours" && name != "base-url" && name != "limit" &&
          name != "received-before") {
        return Error(ErrorKind::kInvalidArgument, StrCat("unknown option ", arg));
      }
      line.options[std::string(name)] = std::string(args[++i]);
    } else if (!have_command) {
      line.command = std::string(arg);
      have_command = true;
    } else {
      line.words.emplace_back(arg);
    }
  }
  return line;
}

Result<ProfileStoreConfig> ResolveConfig(const CommandLine& line) {
  Result<ProfileStoreConfig> config = line.options.contains("config")
                                          ? LoadProfileStoreConfig(line.options.at("config"))
                                          : Result<ProfileStoreConfig>(DefaultProfileStoreConfig());
  if (!config) return config;
  if (line.options.contains("state-dir")) config->state_dir = line.options.at("state-dir");
  if (line.options.contains("port")) {
    int port = -1;
    const std::string& text = line.options.at("port");
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), port);
    if (error != std::errc() || end != text.data() + text.size() || port < 0 || port > 65535) {
      return Error(ErrorKind::kInvalidArgument, "--port must be 0..65535");
    }
    config->port = static_cast<std::uint16_t>(port);
  }
  return config;
}

// The keys, the identity and the store, opened from the state folder and config.
struct Opened {
  HqState state;
  std::optional<HqIdentity> identity;
  std::unique_ptr<StoreBackend> store;
};

// Who opens the store. The server keeps SQLite's device scan index (so the one-shot commands,
// which do not, run beside it) and a pool of PostgreSQL connections; a command needs one.
enum class Opener { kServer, kCommand };

Result<std::unique_ptr<Opened>> Open(const ProfileStoreConfig& config, Opener opener) {
  auto opened = std::make_unique<Opened>();
  auto state = LoadOrCreateHqState(config.state_dir, config.server_names);
  if (!state) return state.error();
  opened->state = std::move(*state);
  auto identity = HqIdentity::Create(opened->state.pii_private_key, opened->state.index_key);
  if (!identity) return identity.error();
  opened->identity.emplace(std::move(*identity));
  if (config.backend == "postgres") {
    PostgresStoreOptions options{.conninfo = config.postgres_url,
                                 .call_timeout = config.postgres_call_timeout};
    if (opener == Opener::kCommand) options.connections = 1;
    auto store = PostgresStore::Open(options, *opened->identity, SystemClock());
    if (!store) return store.error().WithContext("PostgreSQL");
    opened->store = std::move(*store);
  } else {
    auto store =
        SqliteStore::Open(config.state_dir / "profile-store.db", *opened->identity, SystemClock(),
                          opener == Opener::kServer ? SqliteStore::DeviceScans::kKept
                                                    : SqliteStore::DeviceScans::kAbsent);
    if (!store) return store.error();
    opened->store = std::move(*store);
  }
  return opened;
}

// Reloads the kiosk registry every kAccessRefresh (revocations by another instance or the CLI).
void ScheduleAccessRefresh(boost::asio::steady_timer& timer, boost::asio::thread_pool& pool,
                           StoreBackend& store, KioskAccess& access) {
  timer.expires_after(kAccessRefresh);
  timer.async_wait([&timer, &pool, &store, &access](const boost::system::error_code& error) {
    if (error) return;
    boost::asio::post(pool, [&store, &access] {
      if (auto refreshed = access.Refresh(store); !refreshed) {
        LogWarning("profile-store", "kiosk registry not reloaded: ", refreshed.error().message());
      }
    });
    ScheduleAccessRefresh(timer, pool, store, access);
  });
}

// Names the tokens that may use every HQ endpoint, names and phones included (tables written
// before scopes existed have no `scopes` line): each should have only the scopes its tool needs.
void WarnOfTokensWithEveryScope(const std::vector<HqApiToken>& tokens) {
  for (const HqApiToken& token : tokens) {
    if (token.scopes != kEveryHqApiScope) continue;
    LogWarning("profile-store", "HQ API token ", token.name,
               " has every scope, audience and subjects included: give it a scopes line with "
               "only what its tool needs");
  }
}

// SIGHUP: reads the HQ API tokens from `config_file` again, so that a token taken out of the
// config stops working without a restart. A config that does not load keeps the tokens in use.
void ReloadApiTokens(const std::optional<std::filesystem::path>& config_file, HqApiTokens& tokens) {
  if (!config_file) {
    LogWarning("profile-store", "SIGHUP: started without --config, no HQ API tokens to reload");
    return;
  }
  auto config = LoadProfileStoreConfig(*config_file);
  if (!config) {
    LogError("profile-store", "SIGHUP: kept the HQ API tokens in use: ", config.error().message());
    return;
  }
  std::string names;
  for (const HqApiToken& token : config->hq_api_tokens) {
    names += StrCat(names.empty() ? "" : ", ", token.name);
  }
  tokens.Replace(config->hq_api_tokens);
  // Only once they are in force: a reader of the log may act on it at once.
  LogInfo("profile-store", "SIGHUP: HQ API tokens reloaded: ", config->hq_api_tokens.size(),
          names.empty() ? "" : StrCat(" (", names, ")"));
  WarnOfTokensWithEveryScope(config->hq_api_tokens);
}

// Every SIGHUP until the server stops.
void ReloadApiTokensOnSignal(boost::asio::signal_set& signal, boost::asio::thread_pool& pool,
                             const std::optional<std::filesystem::path>& config_file,
                             HqApiTokens& tokens) {
  signal.async_wait(
      [&signal, &pool, &config_file, &tokens](const boost::system::error_code& error, int) {
        if (error) return;
        boost::asio::post(pool, [&config_file, &tokens] { ReloadApiTokens(config_file, tokens); });
        ReloadApiTokensOnSignal(signal, pool, config_file, tokens);
      });
}

int Serve(const ProfileStoreConfig& config,
          const std::optional<std::filesystem::path>& config_file) {
  ::umask(0077);
  auto opened = Open(config, Opener::kServer);
  if (!opened) {
    LogError("profile-store", opened.error().message());
    return kFailed;
  }
  Opened& hq = **opened;
  KioskAccess access;
  if (auto refreshed = access.Refresh(*hq.store); !refreshed) {
    LogError("profile-store", refreshed.error().message());
    return kFailed;
  }
  BundleMaker bundles(config.channels, [dir = config.state_dir] { return LoadChannelKeys(dir); });
  boost::asio::io_context io(1);
  // Ingests wait on PostgreSQL (round trips, the commit's fsync): two threads per core, at least
  // four (PostgresStore's connections), keep the cores busy; with SQLite the extra threads decode.
  boost::asio::thread_pool pool(std::max(4u, 2 * std::thread::hardware_concurrency()));
  TlsServerOptions tls;
  tls.certificate_chain_pem = hq.state.server_certificate_pem;
  tls.private_key_pem = hq.state.server_private_key_pem;
  tls.client_ca_pem = hq.state.ca.cert_pem;
  tls.require_client_certificate = false;  // enrollment comes before the certificate
  tls.is_revoked = [&access](std::string_view kiosk_id, std::uint64_t serial) {
    return access.IsRevoked(kiosk_id, serial);
  };
  HttpServerLimits limits = config.http;
  limits.upload_paths = {"/v1/sync/batch"};
  HqMetrics metrics;  // GET /metrics, behind an HQ API token (hq_metrics.hpp)
  WarnOfTokensWithEveryScope(config.hq_api_tokens);
  HqApiTokens api_tokens(config.hq_api_tokens);
  UnknownCredentialLimit unknown_credentials(config.unknown_credentials_per_address, SystemClock());
  std::optional<RateLimiter> kiosk_events;
  if (config.kiosk_events_per_day > 0) {
    kiosk_events.emplace(config.kiosk_events_per_day, std::chrono::days(1), kMaxKiosksCounted,
                         SystemClock());
  }
  auto dashboard_sessions = DashboardSessions::FromIndexKey(hq.state.index_key);
  if (!dashboard_sessions) {
    LogError("profile-store", dashboard_sessions.error().message());
    return kFailed;
  }
  const HqApiGate api_gate{&api_tokens, &unknown_credentials, &*dashboard_sessions};
  auto server = HttpServer::ListenTls(
      io, config.listen_address, config.port, limits, tls,
      WithHqMetrics(
          &metrics, api_gate, {hq.store.get(), &pool, &SystemClock(), config.kiosk_health},
          WithHqRoutes(
              {hq.store.get(), &pool, &SystemClock(), api_gate,
               ChannelDefinitionsOf(config.channels), config.kiosk_health},
              MakeStoreRoutes({hq.store.get(), &pool, &hq.state.ca, &*hq.identity, &access,
                               &unknown_credentials, kiosk_events ? &*kiosk_events : nullptr,
                               &bundles, &SystemClock(), config.certificate_validity}))));
  if (!server) {
    LogError("profile-store", server.error().message());
    return kFailed;
  }
  (*server)->ObserveResponses([&metrics](unsigned status) { metrics.CountResponse(status); });
  (*server)->Start();
  boost::asio::steady_timer refresh(io);
  ScheduleAccessRefresh(refresh, pool, *hq.store, access);
  const SystemdNotifier systemd = SystemdNotifier::FromEnvironment();  // no-op outside systemd
  // Handled before anyone is told the server runs: unhandled, a reload (SIGHUP) would end it.
  boost::asio::signal_set reload_signals(io, SIGHUP);
  ReloadApiTokensOnSignal(reload_signals, pool, config_file, api_tokens);
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& error, int) {
    if (error) return;
    systemd.NotifyStopping("finishing requests in flight");
    refresh.cancel();
    reload_signals.cancel();
    (*server)->Shutdown([&io] { io.stop(); });
  });
  std::cout << "profile-store " << KIOSK_EDGE_VERSION << " is running\n"
            << "  sync URL:      https://" << config.listen_address << ":" << (*server)->port()
            << "\n  storage:       "
            << (config.backend == "postgres" ? std::string("PostgreSQL")
                                             : (config.state_dir / "profile-store.db").string())
            << "\n  dashboard:     https://" << config.listen_address << ":" << (*server)->port()
            << "/dashboard (browsers: trust the kiosk CA, or see docs/attribution.md)"
            << "\n  kiosk CA:      " << (config.state_dir / "ca.pem").string()
            << "\n  HQ public key: " << HexEncode(hq.identity->public_key())
            << "\nEnroll a kiosk: profile-store enroll-token --kiosk ID, then on the kiosk "
               "kioskctl enroll --hq URL --token TOKEN --ca ca.pem"
            << std::endl;
  SystemdWatchdog watchdog(io, systemd);  // pings from this loop: a hung loop gets restarted
  systemd.NotifyReady(StrCat("serving on port ", (*server)->port()));

  io.run();
  pool.join();
  return kOk;
}

// The store for a one-shot command; nothing, with the error printed, when it does not open.
std::unique_ptr<Opened> OpenForCommand(const ProfileStoreConfig& config) {
  auto opened = Open(config, Opener::kCommand);
  if (!opened) {
    std::cerr << "profile-store: " << opened.error().message() << "\n";
    return nullptr;
  }
  return std::move(*opened);
}

// Reads option --`name` into `value` (left as it is when the option is absent); false, with the
// error printed, when it is not a whole number in [low, high].
bool IntOption(const CommandLine& line, const std::string& name, int low, int high, int& value) {
  const auto given = line.options.find(name);
  if (given == line.options.end()) return true;
  const std::string& text = given->second;
  int parsed = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), parsed);
  if (error != std::errc() || end != text.data() + text.size() || parsed < low || parsed > high) {
    std::cerr << "profile-store: --" << name << " must be " << low << ".." << high << "\n";
    return false;
  }
  value = parsed;
  return true;
}

// Records the action this command is about to take, by this process's user, in the audit of
// admin actions (admin_audit.hpp). False, with the error printed, when it cannot: the command must
// then not act.
bool AuditCommand(StoreBackend& store, std::string_view action, std::string target,
                  std::string detail = "") {
  const AdminActionRecord record{0,
                                 UnixMs(SystemClock().WallNow()),
                                 CommandLineActor(),
                                 std::string(action),
                                 std::move(target),
                                 std::move(detail)};
  if (auto recorded = store.RecordAdminAction(record); !recorded) {
    std::cerr << "profile-store: nothing done: the audit of admin actions failed: "
              << recorded.error().message() << "\n";
    return false;
  }
  return true;
}

int EnrollToken(const ProfileStoreConfig& config, const CommandLine& line) {
  if (!line.options.contains("kiosk")) {
    std::cerr << "profile-store: enroll-token needs --kiosk ID\n";
    return kUsage;
  }
  if (!wire::IsKioskId(line.options.at("kiosk"))) {
    std::cerr << "profile-store: --kiosk: " << kNotAKioskId << "\n";
    return kUsage;
  }
  int hours = static_cast<int>(config.token_validity.count());
  if (!IntOption(line, "valid-hours", 1, 720, hours)) return kUsage;
  auto opened = OpenForCommand(config);
  if (!opened) return kFailed;
  if (!AuditCommand(*opened->store, admin_action::kEnrollToken, line.options.at("kiosk"),
                    StrCat("valid ", hours, " h"))) {
    return kFailed;
  }
  auto token =
      opened->store->CreateEnrollmentToken(line.options.at("kiosk"), std::chrono::hours(hours));
  if (!token) {
    std::cerr << "profile-store: " << token.error().message() << "\n";
    return kFailed;
  }
  std::cout << *token << "\n";
  return kOk;
}

int RevokeKiosk(const ProfileStoreConfig& config, const CommandLine& line) {
  if (line.words.size() != 1) {
    std::cerr << kUsageText;
    return kUsage;
  }
  if (!wire::IsKioskId(line.words[0])) {
    std::cerr << "profile-store: revoke-kiosk: " << kNotAKioskId << "\n";
    return kUsage;
  }
  auto opened = OpenForCommand(config);
  if (!opened) return kFailed;
  if (!AuditCommand(*opened->store, admin_action::kRevokeKiosk, line.words[0])) return kFailed;
  if (auto revoked = opened->store->RevokeKiosk(line.words[0]); !revoked) {
    std::cerr << "profile-store: " << revoked.error().message() << "\n";
    return kFailed;
  }
  std::cout << "kiosk " << line.words[0]
            << " revoked: its certificate is refused (within 10 s on a running server)\n";
  return kOk;
}

// honour-vouchers ID --received-before TIME [--dry-run], audited with the cutoff asked for unless
// a dry run.
int HonourVouchers(const ProfileStoreConfig& config, const CommandLine& line) {
  const auto time = line.options.find("received-before");
  if (line.words.size() != 1 || time == line.options.end()) {
    std::cerr << "profile-store: honour-vouchers needs ID --received-before TIME\n";
    return kUsage;
  }
  if (!wire::IsKioskId(line.words[0])) {
    std::cerr << "profile-store: honour-vouchers: " << kNotAKioskId << "\n";
    return kUsage;
  }
  const std::optional<std::int64_t> received_before_ms = ParseReportTime(time->second, 0);
  if (!received_before_ms) {
    std::cerr << "profile-store: --received-before: not a time (2026-12-01T09:30:00Z, "
                 "2026-12-01T17:30:00+08:00, or 2026-12-01 for midnight UTC)\n";
    return kUsage;
  }
  auto opened = OpenForCommand(config);
  if (!opened) return kFailed;
  const bool dry_run = line.options.contains("dry-run");
  if (!dry_run &&
      !AuditCommand(*opened->store, admin_action::kHonourVouchers, line.words[0],
                    StrCat("received before ", FormatReportTime(*received_before_ms, 0)))) {
    return kFailed;
  }
  return HonourVouchersCommand(*opened->store, line.words[0], *received_before_ms, dry_run,
                               UnixMs(SystemClock().WallNow()), std::cout, std::cerr);
}

int RevokeVoucher(const ProfileStoreConfig& config, const CommandLine& line) {
  if (line.words.size() != 1 || !wire::IsVoucherKey(line.words[0])) {
    std::cerr << "profile-store: revoke-voucher needs KIOSK/VOUCHER_ID (a kiosk id, '/', 16 "
                 "lower-case hex digits)\n";
    return kUsage;
  }
  auto opened = OpenForCommand(config);
  if (!opened) return kFailed;
  if (!AuditCommand(*opened->store, admin_action::kRevokeVoucher, line.words[0])) {
    return kFailed;
  }
  auto revoked = opened->store->RevokeVoucher(line.words[0]);
  if (!revoked) {
    std::cerr << "profile-store: " << revoked.error().message() << "\n";
    return kFailed;
  }
  std::cout << "voucher " << line.words[0] << (*revoked ? " revoked" : " was already revoked")
            << ": kiosks refuse it from their next config pull\n";
  return kOk;
}

// rotate-channel-key, audited with the key it retires (the rotation itself touches only the state
// folder's key file; without one it makes the first key and retires that).
int RotateChannelKey(const ProfileStoreConfig& config) {
  auto opened = OpenForCommand(config);
  if (!opened) return kFailed;
  const auto keys = LoadChannelKeys(config.state_dir);
  const std::string retired = keys ? std::string(1, keys->signing_key_id) : "";
  if (!AuditCommand(*opened->store, admin_action::kRotateChannelKey, retired)) return kFailed;
  return RotateChannelKeyCommand(config, std::cout, std::cerr);
}

// withdraw-channel-key ID, audited with the key it withdraws.
int WithdrawChannelKey(const ProfileStoreConfig& config, const CommandLine& line) {
  if (line.words.size() != 1 || line.words[0].size() != 1) {
    std::cerr << "profile-store: withdraw-channel-key needs one key id, as rotate-channel-key "
                 "printed it (such as B)\n";
    return kUsage;
  }
  auto opened = OpenForCommand(config);
  if (!opened) return kFailed;
  if (!AuditCommand(*opened->store, admin_action::kWithdrawChannelKey, line.words[0])) {
    return kFailed;
  }
  return WithdrawChannelKeyCommand(config, line.words[0][0], std::cout, std::cerr);
}

int ListAdminActions(const ProfileStoreConfig& config, const CommandLine& line) {
  int limit = 100;
  if (!IntOption(line, "limit", 1, 1000, limit)) return kUsage;
  auto opened = OpenForCommand(config);
  if (!opened) return kFailed;
  auto records = opened->store->AdminActions(limit);
  if (!records) {
    std::cerr << "profile-store: " << records.error().message() << "\n";
    return kFailed;
  }
  std::cout << AdminActionsTable(*records);
  return kOk;
}

int ListKiosks(const ProfileStoreConfig& config) {
  auto opened = OpenForCommand(config);
  if (!opened) return kFailed;
  auto kiosks = ReadKioskHealth(*opened->store);
  if (!kiosks) {
    std::cerr << "profile-store: " << kiosks.error().message() << "\n";
    return kFailed;
  }
  std::cout << KioskHealthTable(*kiosks, UnixMs(SystemClock().WallNow()), config.kiosk_health);
  return kOk;
}

}  // namespace

int RunProfileStore(std::span<const std::string_view> args) {
  if (!args.empty() && IsHqCommand(args[0])) return RunHqCommand(args, std::cout, std::cerr);
  for (std::string_view arg : args) {
    if (arg == "--help" || arg == "-h" || arg == "help") {
      std::cout << kUsageText << kHqCommandsUsage;
      return kOk;
    }
    if (arg == "--version") {
      std::cout << "profile-store " << KIOSK_EDGE_VERSION << "\n";
      return kOk;
    }
  }
  auto line = Parse(args);
  if (!line) {
    std::cerr << "profile-store: " << line.error().message() << "\n" << kUsageText;
    return kUsage;
  }
  auto config = ResolveConfig(*line);
  if (!config) {
    std::cerr << "profile-store: " << config.error().message() << "\n";
    return kUsage;
  }
  SetLogLevel(config->log_level);
  if (line->options.contains("dry-run") && line->command != "honour-vouchers") {
    std::cerr << "profile-store: --dry-run applies to honour-vouchers only\n";
    return kUsage;
  }
  if (line->command == "serve") {
    return Serve(*config, line->options.contains("config")
                              ? std::optional<std::filesystem::path>(line->options.at("config"))
                              : std::nullopt);
  }
  if (line->command == "enroll-token") return EnrollToken(*config, *line);
  if (line->command == "revoke-kiosk") return RevokeKiosk(*config, *line);
  if (line->command == "honour-vouchers") return HonourVouchers(*config, *line);
  if (line->command == "revoke-voucher") return RevokeVoucher(*config, *line);
  if (line->command == "kiosks") return ListKiosks(*config);
  if (line->command == "audit-actions") return ListAdminActions(*config, *line);
  if (line->command == "rotate-channel-key") return RotateChannelKey(*config);
  if (line->command == "withdraw-channel-key") return WithdrawChannelKey(*config, *line);
  if (line->command == "channel-code") {
    const auto base_url = line->options.find("base-url");
    return ChannelCodeCommand(
        *config, line->words,
        base_url == line->options.end() ? std::nullopt : std::optional(base_url->second), std::cout,
        std::cerr);
  }
  std::cerr << "profile-store: unknown command " << line->command << "\n" << kUsageText;
  return kUsage;
}

}  // namespace kiosk_edge
