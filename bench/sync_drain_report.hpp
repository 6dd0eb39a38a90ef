#pragma once

// What sync_drain_bench measured, and its report (Markdown tables, as in docs/benchmarks.md).

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bench/sync_drain_events.hpp"
#include "bench/sync_drain_fleet.hpp"
#include "bench/sync_drain_peers.hpp"
#include "bench/sync_drain_probe.hpp"

namespace kiosk_edge::bench {

struct Phase {
  std::string name;  // "batched" or "unbatched"
  DrainFigures drain;
  CpuTimes cpu;  // used during the drain
};

struct BackendRun {
  std::string backend;  // "sqlite" or "postgres"
  std::vector<Phase> phases;
  double enroll_seconds = 0;
  std::int64_t stored = -1;                // events in HQ's store after the drains
  std::optional<double> direct_ingest_ms;  // StoreBackend::Ingest per batch, alone
};

struct CopyRun {
  std::string name;
  CopyFigures figures;
  double postgres_cpu = 0;  // seconds
};

struct Report {
  int kiosks = 0;
  std::string load_before;
  const Backlog* backlog = nullptr;
  std::vector<BackendRun> runs;
  std::string postgres_settings;
  std::vector<CopyRun> copies;
  std::optional<StageTimes> stages;
  std::optional<double> fsync_us;
};

void PrintReport(const Report& report);

std::string Fixed(double value, int decimals);
// 123456.7 -> "123,457"
std::string Grouped(double value);

}  // namespace kiosk_edge::bench
