// Issue 5's benchmark: a backlog of journal events drained from kiosks into profile-store, all
// real: a profile-store process (SQLite, then PostgreSQL on a throwaway cluster), kiosks enrolled
// with it (enroll-token, CSR, POST /v1/enroll), and the kiosk's own SyncClient uploading through
// HttpsClient with mutual TLS, one batch in flight per kiosk. In the same run, the peers:
//   unbatched: the same SyncClient with batches of one event (one HTTP request per event);
//   COPY:      PostgreSQL's own COPY of the same rows into a table of the same shape (libpq).
// Then each stage of a batch's way is timed alone (where the time goes).
//
// Usage: sync_drain_bench [--events N] [--kiosks K] [--peer-seconds S] [--signup-percent P]
//                         [--probe-events M] [--backends sqlite,postgres] [--profile-store PATH]
#include <unistd.h>

#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bench/bench_support.hpp"
#include "bench/sync_drain_events.hpp"
#include "bench/sync_drain_fleet.hpp"
#include "bench/sync_drain_peers.hpp"
#include "bench/sync_drain_probe.hpp"
#include "bench/sync_drain_report.hpp"
#include "common/log.hpp"
#include "common/strings.hpp"
#include "sync/profile_store/hq_state.hpp"
#include "sync/profile_store/postgres_store.hpp"
#include "sync/profile_store/sqlite_store.hpp"
#include "tests/support/postgres_cluster.hpp"

namespace kiosk_edge::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;

struct Flags {
  std::size_t events = 200'000;
  int kiosks = 100;
  double peer_seconds = 10;
  int signup_percent = 5;
  std::size_t probe_events = 50'000;
  std::vector<std::string> backends = {"sqlite", "postgres"};
  std::filesystem::path profile_store = PROFILE_STORE_BINARY;
};

constexpr std::string_view kUsage =
    "usage: sync_drain_bench [--events N] [--kiosks K] [--peer-seconds S] [--signup-percent P]\n"
    "                        [--probe-events M] [--backends sqlite,postgres] "
    "[--profile-store PATH]\n";

std::optional<Flags> ParseFlags(int argc, char** argv) {
  Flags flags;
  const bool read =
      ReadFlagPairs(argc, argv, [&flags](const std::string& flag, const std::string& value) {
        if (flag == "--events") {
          flags.events = std::stoul(value);
        } else if (flag == "--kiosks") {
          flags.kiosks = std::stoi(value);
        } else if (flag == "--peer-seconds") {
          flags.peer_seconds = std::stod(value);
        } else if (flag == "--signup-percent") {
          flags.signup_percent = std::stoi(value);
        } else if (flag == "--probe-events") {
          flags.probe_events = std::stoul(value);
        } else if (flag == "--backends") {
          flags.backends = SplitCommas(value);
        } else if (flag == "--profile-store") {
          flags.profile_store = value;
        } else {
          return false;
        }
        return true;
      });
  if (!read) return std::nullopt;
  if (!AreStoreBackends(flags.backends)) return std::nullopt;
  if (flags.events < 2 || flags.kiosks < 1 || flags.events < std::size_t(flags.kiosks) ||
      flags.signup_percent < 0 || flags.signup_percent > 100 || flags.peer_seconds <= 0) {
    return std::nullopt;
  }
  return flags;
}

void Note(const std::string& text) { std::cerr << "[sync_drain_bench] " << text << std::endl; }

// Kiosk i's share of `events` when `kiosks` kiosks split them evenly.
std::vector<std::span<const WireEvent>> Shares(const std::vector<WireEvent>& events, int kiosks) {
  std::vector<std::span<const WireEvent>> shares;
  const std::size_t n = events.size(), k = static_cast<std::size_t>(kiosks);
  for (std::size_t i = 0; i < k; ++i) {
    const std::size_t begin = n * i / k, end = n * (i + 1) / k;
    shares.emplace_back(events.data() + begin, end - begin);
  }
  return shares;
}

Result<void> WriteConfig(const std::filesystem::path& file, const std::string& backend,
                         const std::string& postgres_url) {
  std::ofstream out(file);
  out << "[server]\nport = 0\n\n[storage]\nbackend = \"" << backend << "\"\n";
  if (!postgres_url.empty()) out << "postgres_url = \"" << postgres_url << "\"\n";
  out << "\n[log]\nlevel = \"warning\"\n";
  if (!out) return Error(ErrorKind::kIo, "cannot write " + file.string());
  return {};
}

Result<std::unique_ptr<StoreBackend>> OpenStore(const std::string& backend,
                                                const std::filesystem::path& sqlite_file,
                                                const std::string& conninfo,
                                                const std::string& schema,
                                                const HqIdentity& identity) {
  if (backend == "postgres") {
    auto store = PostgresStore::Open({conninfo, schema, 2}, identity, SystemClock());
    if (!store) return store.error();
    return std::unique_ptr<StoreBackend>(std::move(*store));
  }
  auto store = SqliteStore::Open(sqlite_file, identity, SystemClock());
  if (!store) return store.error();
  return std::unique_ptr<StoreBackend>(std::move(*store));
}

// Everything for one backend: the direct-ingest probe, then profile-store started, the fleet
// enrolled, the four drains, and the store's count checked.
Result<BackendRun> RunBackend(const std::string& backend, const Flags& flags,
                              const Backlog& backlog, const std::filesystem::path& root,
                              const std::string& conninfo, pid_t postmaster, const HqState& hq,
                              const HqIdentity& identity, boost::asio::thread_pool& pool) {
  BackendRun run;
  run.backend = backend;
  const std::filesystem::path state_dir = root / "state";
  const std::filesystem::path config = root / (backend + ".toml");
  // The ingest transaction alone, first, on a quiet database (no autovacuum of drained rows).
  const std::size_t probe = std::min(flags.probe_events, backlog.events.size());
  if (probe > 0) {
    auto direct = OpenStore(backend, root / "direct.db", conninfo, "bench_direct", identity);
    if (!direct) return direct.error().WithContext("direct-ingest store");
    auto ms = TimeDirectIngest(**direct, std::span(backlog.events).first(probe), "direct");
    if (!ms) return ms.error().WithContext("direct ingest");
    run.direct_ingest_ms = *ms;
  }
  if (auto written = WriteConfig(config, backend, conninfo); !written) return written.error();
  auto server = ProfileStoreProcess::Start(flags.profile_store, state_dir, config, root);
  if (!server) return server.error();
  Note(StrCat(backend, ": profile-store pid ", (*server)->pid(), " on port ", (*server)->port()));

  const auto enroll_start = SteadyClock::now();
  const std::vector<std::string> token_command = {flags.profile_store.string(),
                                                  "enroll-token",
                                                  "--config",
                                                  config.string(),
                                                  "--state-dir",
                                                  state_dir.string()};
  auto fleet = EnrollFleet(flags.kiosks, (*server)->port(), hq.ca.cert_pem, token_command);
  if (!fleet) return fleet.error().WithContext("enroll");
  run.enroll_seconds = std::chrono::duration<double>(SteadyClock::now() - enroll_start).count();
  Note(StrCat(backend, ": enrolled ", flags.kiosks, " kiosks in ", Fixed(run.enroll_seconds, 1),
              " s"));

  struct Plan {
    std::string name;
    int kiosks;
    std::size_t batch;
    bool limited;
  };
  std::vector<Plan> plans = {{"batched", 1, kMaxBatchEvents, false}};
  if (flags.kiosks > 1) plans.push_back({"batched", flags.kiosks, kMaxBatchEvents, false});
  plans.push_back({"unbatched", 1, 1, true});
  if (flags.kiosks > 1) plans.push_back({"unbatched", flags.kiosks, 1, true});
  for (const Plan& plan : plans) {
    DrainSpec spec;
    spec.port = (*server)->port();
    spec.fleet = &*fleet;
    spec.shares = Shares(backlog.events, plan.kiosks);
    spec.incarnation = StrCat(plan.name, "-", plan.kiosks, "-", backend);
    spec.max_batch_events = plan.batch;
    if (plan.limited) {
      spec.time_limit = std::chrono::milliseconds(static_cast<int>(flags.peer_seconds * 1000));
    }
    const CpuTimes before = SampleCpu((*server)->pid(), postmaster);
    auto drain = RunDrain(spec, pool);
    if (!drain) return drain.error().WithContext(plan.name);
    Phase phase{plan.name, *drain, SampleCpu((*server)->pid(), postmaster) - before};
    Note(StrCat(backend, " ", plan.name, " x", plan.kiosks, ": ", drain->events, " events in ",
                Fixed(drain->seconds, 2), " s = ", Grouped(drain->rate()), " events/s",
                drain->failed_rounds ? StrCat(" (", drain->failed_rounds,
                                              " failed rounds: ", drain->first_failure, ")")
                                     : std::string()));
    run.phases.push_back(std::move(phase));
  }
  if (auto stopped = (*server)->Stop(); !stopped) return stopped.error();

  auto store =
      OpenStore(backend, state_dir / "profile-store.db", conninfo, "profile_store", identity);
  if (!store) return store.error().WithContext("reopen HQ's store");
  auto counts = (*store)->Counts();
  if (!counts) return counts.error();
  run.stored = counts->events;

  return run;
}

int Main(const Flags& flags) {
  SetLogLevel(LogLevel::kWarning);
  Report report;
  report.kiosks = flags.kiosks;
  report.load_before = LoadAverage();
  const auto started = SteadyClock::now();
  ScratchDir root("sync-drain");
  if (root.path().empty()) {
    std::cerr << "cannot create a temporary folder\n";
    return 1;
  }
  const std::filesystem::path state_dir = root.path() / "state";
  std::filesystem::create_directories(state_dir);
  std::filesystem::permissions(state_dir, std::filesystem::perms::owner_all);
  auto hq = LoadOrCreateHqState(state_dir, {"localhost", "127.0.0.1"});
  if (!hq) return std::cerr << hq.error().message() << "\n", 1;
  auto identity = HqIdentity::Create(hq->pii_private_key, hq->index_key);
  if (!identity) return std::cerr << identity.error().message() << "\n", 1;

  Note(StrCat("making ", flags.events, " events (load average ", report.load_before, ")"));
  auto backlog = MakeBacklog({flags.events, flags.signup_percent, hq->pii_public_key});
  if (!backlog) return std::cerr << backlog.error().message() << "\n", 1;
  report.backlog = &*backlog;

  boost::asio::thread_pool pool(2);  // the kiosks' blocking work (journal reads, gzip)
  for (const std::string& backend : flags.backends) {
    std::unique_ptr<testing::PostgresCluster> cluster;
    std::string conninfo;
    pid_t postmaster = -1;
    if (backend == "postgres") {
      cluster = std::make_unique<testing::PostgresCluster>();
      if (!cluster->ok()) return std::cerr << cluster->error() << "\n", 1;
      conninfo = cluster->conninfo();
      postmaster = FindPostmaster(cluster->port());
      if (auto settings = PostgresSettings(conninfo)) report.postgres_settings = *settings;
    }
    auto run = RunBackend(backend, flags, *backlog, root.path(), conninfo, postmaster, *hq,
                          *identity, pool);
    if (!run) return std::cerr << backend << ": " << run.error().message() << "\n", 1;
    report.runs.push_back(std::move(*run));
    if (backend != "postgres") continue;
    struct CopyPlan {
      std::string name;
      std::size_t rows;
      int connections;
    };
    const CopyPlan copies[] = {{"500 rows per COPY transaction", kMaxBatchEvents, 1},
                               {"500 rows per COPY transaction, 2 connections", kMaxBatchEvents, 2},
                               {"all rows in one COPY", backlog->events.size(), 1}};
    for (const CopyPlan& plan : copies) {
      const CpuTimes before = SampleCpu(-1, postmaster);
      auto copy =
          RunCopyPeer(conninfo, backlog->events, backlog->device_ids, plan.rows, plan.connections);
      if (!copy) return std::cerr << copy.error().message() << "\n", 1;
      const double cpu = (SampleCpu(-1, postmaster) - before).postgres;
      Note(StrCat("COPY peer, ", plan.name, ": ", Grouped(copy->rate()), " rows/s (postgres CPU ",
                  Fixed(cpu, 1), " s)"));
      report.copies.push_back({plan.name, *copy, cpu});
    }
  }
  const std::size_t probe = std::min(flags.probe_events, backlog->events.size());
  if (probe > 0) {
    auto stages = TimeStages(std::span(backlog->events).first(probe), *identity);
    if (!stages) return std::cerr << stages.error().message() << "\n", 1;
    report.stages = *stages;
  }
  if (auto fsync = FsyncMicros(root.path(), 1.0)) report.fsync_us = *fsync;
  PrintReport(report);
  std::cout << "\nbench wall time: "
            << Fixed(std::chrono::duration<double>(SteadyClock::now() - started).count(), 0)
            << " s\n";
  return 0;
}

}  // namespace
}  // namespace kiosk_edge::bench

int main(int argc, char** argv) {
  const auto flags = kiosk_edge::bench::ParseFlags(argc, argv);
  if (!flags) {
    std::cerr << kiosk_edge::bench::kUsage;
    return 2;
  }
  return kiosk_edge::bench::Main(*flags);
}
