#include "bench/sync_drain_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <iostream>

#include "bench/bench_support.hpp"
#include "common/strings.hpp"

namespace kiosk_edge::bench {
namespace {

const Phase* Find(const BackendRun& run, const std::string& name, int kiosks) {
  for (const Phase& phase : run.phases) {
    if (phase.name == name && phase.drain.kiosks == kiosks) return &phase;
  }
  return nullptr;
}

std::string Met(bool met) { return met ? "**met**" : "**not met**"; }

using Cell = std::function<std::optional<double>(const BackendRun&)>;

// A table with one column per backend.
class BackendTable {
 public:
  BackendTable(const std::vector<BackendRun>& runs, const std::string& title) : runs_(runs) {
    std::cout << "| " << title << " |";
    for (const BackendRun& run : runs_) std::cout << " " << run.backend << " |";
    std::cout << "\n|---|";
    for (std::size_t i = 0; i < runs_.size(); ++i) std::cout << "---:|";
    std::cout << "\n";
  }
  void Row(const std::string& name, const Cell& cell, int decimals = 2) const {
    std::cout << "| " << name << " |";
    for (const BackendRun& run : runs_) {
      const std::optional<double> value = cell(run);
      std::cout << " " << (value ? Fixed(*value, decimals) : std::string("–")) << " |";
    }
    std::cout << "\n";
  }

 private:
  const std::vector<BackendRun>& runs_;
};

void PrintDrains(const Report& r, double ceiling) {
  std::cout << "\n| backend | kiosks | events/request | events | seconds | events/s | requests/s "
               "| vs unbatched | of COPY ceiling | CPU s: kiosks (bench) / profile-store / "
               "postgres |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n";
  for (const BackendRun& run : r.runs) {
    for (const Phase& p : run.phases) {
      const DrainFigures& d = p.drain;
      const Phase* unbatched = p.name == "batched" ? Find(run, "unbatched", d.kiosks) : nullptr;
      std::cout << "| " << run.backend << " | " << d.kiosks << " | "
                << (p.name == "batched" ? "≤ 500" : "1") << " | " << Grouped(double(d.events))
                << (d.completed ? "" : " (time limit)") << " | " << Fixed(d.seconds, 2) << " | **"
                << Grouped(d.rate()) << "** | " << Grouped(double(d.batches) / d.seconds) << " | "
                << (unbatched ? Fixed(d.rate() / unbatched->drain.rate(), 1) + "×" : "–") << " | "
                << (ceiling > 0 ? Fixed(100 * d.rate() / ceiling, 1) + "%" : "–") << " | "
                << Fixed(p.cpu.bench, 1) << " / " << Fixed(p.cpu.profile_store, 1) << " / "
                << Fixed(p.cpu.postgres, 1) << " |";
      if (d.failed_rounds > 0) {
        std::cout << " " << d.failed_rounds << " failed rounds, first: " << d.first_failure;
      }
      std::cout << "\n";
    }
  }
  for (const CopyRun& copy : r.copies) {
    const CopyFigures& f = copy.figures;
    std::cout << "| COPY peer: " << copy.name << " | – | – | " << Grouped(double(f.rows)) << " | "
              << Fixed(f.seconds, 2) << " | **" << Grouped(f.rate()) << "** | – | – | "
              << Fixed(100 * f.rate() / ceiling, 1) << "% | – / – / " << Fixed(copy.postgres_cpu, 1)
              << " |\n";
  }
  std::cout << "\nstored at HQ after the drains (must equal the events acknowledged):";
  for (const BackendRun& run : r.runs) {
    std::int64_t acknowledged = 0, dead = 0;
    for (const Phase& p : run.phases) {
      acknowledged += p.drain.events;
      dead += p.drain.dead_letters;
    }
    std::cout << " " << run.backend << " " << run.stored << " of " << acknowledged
              << (run.stored == acknowledged ? " (ok)" : " (MISMATCH)") << ", " << dead
              << " dead letters;";
  }
  std::cout << "\nenrollment of " << r.kiosks << " kiosks (enroll-token + CSR + POST /v1/enroll):";
  for (const BackendRun& run : r.runs) {
    std::cout << " " << run.backend << " " << Fixed(run.enroll_seconds, 1) << " s;";
  }
  std::cout << "\n";
}

void PrintGoals(const Report& r, double ceiling) {
  std::cout << "\n### Goals\n\n";
  for (const BackendRun& run : r.runs) {
    if (const Phase* one = Find(run, "batched", 1)) {
      const double rate = one->drain.rate();
      std::cout << "- one kiosk ≥ 50,000 events/s into " << run.backend << ": " << Grouped(rate)
                << " = " << Fixed(rate / 50'000, 2) << "× the goal: " << Met(rate >= 50'000)
                << "\n";
    }
  }
  for (const BackendRun& run : r.runs) {
    const Phase* many = Find(run, "batched", r.kiosks);
    if (run.backend != "postgres" || many == nullptr || r.kiosks == 1) continue;
    const double rate = many->drain.rate();
    std::cout << "- " << r.kiosks << " kiosks ≥ 100,000 events/s into PostgreSQL: " << Grouped(rate)
              << " = " << Fixed(rate / 100'000, 2) << "× the goal: " << Met(rate >= 100'000)
              << "\n";
    if (ceiling > 0) {
      std::cout << "- " << r.kiosks << " kiosks ≥ half the COPY ceiling (" << Grouped(ceiling)
                << "/s): " << Fixed(100 * rate / ceiling, 1) << "% of it ("
                << Fixed(2 * rate / ceiling, 2) << "× the goal): " << Met(rate >= ceiling / 2)
                << "\n";
    }
  }
}

void PrintWhereTimeGoes(const Report& r) {
  std::cout << "\n### Where the time goes\n\n";
  if (r.fsync_us) {
    std::cout << "One 4 KiB write + fdatasync on this disk: " << Fixed(*r.fsync_us, 0) << " µs.\n";
  }
  if (r.stages) {
    const StageTimes& s = *r.stages;
    std::cout << "A batch of 500: " << Fixed(s.json_bytes / 1024, 1) << " KiB of JSON, "
              << Fixed(s.gzip_bytes / 1024, 1) << " KiB gzipped ("
              << Fixed(s.json_bytes / s.gzip_bytes, 1) << "×).\n";
  }
  // One kiosk: every step is serial (one batch in flight), so wall time splits into the CPU
  // time of the three processes and the time none of them was on a CPU.
  std::cout << "\n";
  const BackendTable one(r.runs, "one kiosk, ms per batch of 500 (CPU from /proc)");
  const auto per_batch =
      [](const BackendRun& run,
         const std::function<double(const Phase&)>& seconds) -> std::optional<double> {
    const Phase* phase = Find(run, "batched", 1);
    if (phase == nullptr || phase->drain.batches == 0) return std::nullopt;
    return 1000 * seconds(*phase) / double(phase->drain.batches);
  };
  one.Row("wall time per batch through profile-store", [&](const BackendRun& run) {
    return per_batch(run, [](const Phase& p) { return p.drain.seconds; });
  });
  one.Row("CPU: the kiosk (SyncClient, gzip, TLS; this bench)", [&](const BackendRun& run) {
    return per_batch(run, [](const Phase& p) { return p.cpu.bench; });
  });
  one.Row("CPU: profile-store", [&](const BackendRun& run) {
    return per_batch(run, [](const Phase& p) { return p.cpu.profile_store; });
  });
  one.Row("CPU: postgres", [&](const BackendRun& run) -> std::optional<double> {
    if (run.backend != "postgres") return std::nullopt;
    return per_batch(run, [](const Phase& p) { return p.cpu.postgres; });
  });
  one.Row("on no CPU (fsync, waits for a core)", [&](const BackendRun& run) {
    return per_batch(run, [](const Phase& p) {
      return p.drain.seconds - p.cpu.bench - p.cpu.profile_store - p.cpu.postgres;
    });
  });

  if (r.stages) {
    const StageTimes& s = *r.stages;
    std::cout << "\n";
    const BackendTable stages(r.runs, "each stage alone on one thread, ms per batch of 500");
    const auto same = [](double value) {
      return [value](const BackendRun&) { return std::optional<double>(value); };
    };
    stages.Row("kiosk: journal copy + EncodeBatch (JSON, gzip)", same(s.encode_ms));
    stages.Row("HQ: DecodeBatch (gunzip, JSON, validation)", same(s.decode_ms));
    stages.Row("HQ: ValidateBatch + PrepareEvents (rules, opening sealed phones)",
               same(s.prepare_ms));
    stages.Row(StrCat("… of which opening ", Fixed(s.phones_per_batch, 1),
                      " sealed phones (ProfileKeyOfSealedPhone)"),
               same(s.open_phones_ms));
    stages.Row("HQ: PrepareEvents with one idle helper thread (as serve runs it)",
               same(s.prepare_shared_ms));
    stages.Row("HQ: the ingest transaction (direct Ingest − the row above)",
               [&](const BackendRun& run) -> std::optional<double> {
                 if (!run.direct_ingest_ms) return std::nullopt;
                 return *run.direct_ingest_ms - s.prepare_ms;
               });
    stages.Row(
        "HQ: StoreBackend::Ingest called directly, events/s",
        [](const BackendRun& run) {
          return run.direct_ingest_ms ? std::optional(500'000 / *run.direct_ingest_ms)
                                      : std::nullopt;
        },
        0);
  }

  std::cout << "\n";
  const BackendTable many(r.runs, StrCat(r.kiosks, " kiosks, CPU µs per event"));
  const auto per_event =
      [&](const BackendRun& run,
          const std::function<double(const Phase&)>& f) -> std::optional<double> {
    const Phase* phase = Find(run, "batched", r.kiosks);
    if (phase == nullptr || phase->drain.events == 0) return std::nullopt;
    return 1e6 * f(*phase) / double(phase->drain.events);
  };
  many.Row(
      "the kiosks (this bench)",
      [&](const BackendRun& run) {
        return per_event(run, [](const Phase& p) { return p.cpu.bench; });
      },
      1);
  many.Row(
      "profile-store",
      [&](const BackendRun& run) {
        return per_event(run, [](const Phase& p) { return p.cpu.profile_store; });
      },
      1);
  many.Row(
      "postgres",
      [&](const BackendRun& run) -> std::optional<double> {
        if (run.backend != "postgres") return std::nullopt;
        return per_event(run, [](const Phase& p) { return p.cpu.postgres; });
      },
      1);
  many.Row(
      "events/s if HQ had both cores to itself (2 s ÷ HQ's CPU per event)",
      [&](const BackendRun& run) -> std::optional<double> {
        auto hq =
            per_event(run, [](const Phase& p) { return p.cpu.profile_store + p.cpu.postgres; });
        if (!hq || *hq <= 0) return std::nullopt;
        return 2e6 / *hq;
      },
      0);
  many.Row("cores busy during the drain (all three processes)", [&](const BackendRun& run) {
    const Phase* phase = Find(run, "batched", r.kiosks);
    if (phase == nullptr || phase->drain.seconds <= 0) return std::optional<double>();
    return std::optional((phase->cpu.bench + phase->cpu.profile_store + phase->cpu.postgres) /
                         phase->drain.seconds);
  });
}

}  // namespace

std::string Fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

std::string Grouped(double value) {
  const std::string digits = Fixed(std::abs(value), 0);
  std::string grouped = value < -0.5 ? "-" : "";
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) grouped += ',';
    grouped += digits[i];
  }
  return grouped;
}

void PrintReport(const Report& r) {
  const Backlog& b = *r.backlog;
  std::cout << "\n## Sync drain (issue 5)\n\nload average (1/5/15 min) before the run: "
            << r.load_before << "; after: " << LoadAverage() << "\n";
  std::cout << "backlog: " << Grouped(double(b.events.size())) << " events (";
  for (const auto& [type, count] : b.count_by_type) std::cout << type << " " << count << ", ";
  std::cout << "payload " << Fixed(b.mean_payload_bytes, 0) << " B and encoded event "
            << Fixed(b.mean_encoded_bytes, 0) << " B on average)\n";
  if (!r.postgres_settings.empty()) std::cout << "PostgreSQL: " << r.postgres_settings << "\n";
  double ceiling = 0;
  for (const CopyRun& copy : r.copies) ceiling = std::max(ceiling, copy.figures.rate());
  PrintDrains(r, ceiling);
  PrintGoals(r, ceiling);
  PrintWhereTimeGoes(r);
  std::cout << std::flush;
}

}  // namespace kiosk_edge::bench
