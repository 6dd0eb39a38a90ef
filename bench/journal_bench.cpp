// Durable appends through the journal API with 1, 8 and 64 concurrent producers, against two
// peers run in the same process on the same disk. Producers come two ways: as coroutine-style
// submitters on one I/O thread (how kiosk-agent's HTTP handlers use the journal), and as OS
// threads each blocking in Journal::Append. The peers:
//   naive:   SQLite itself, one INSERT per transaction, WAL + synchronous=FULL (one producer);
//   ceiling: the same rows inserted in one big transaction (one producer).
// Usage: journal_bench [--seconds S] [--dir DIR]   (DIR must be on the disk being measured)
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "agent/journal.hpp"
#include "common/log.hpp"
#include "common/sqlite.hpp"

namespace kiosk_edge {
namespace {

using Clock = std::chrono::steady_clock;

const std::string kPayload =
    R"({"ua":"ios-safari","device":"d3b07384d113edec49eaa6238ad5ff00","presence":"verified"})";

struct Figures {
  std::string name;
  std::int64_t events = 0;
  double seconds = 0;
  double p50_ms = -1;
  double p99_ms = -1;
  double rate() const { return double(events) / seconds; }
};

double Percentile(std::vector<double>& samples, double p) {
  if (samples.empty()) return -1;
  const auto index = static_cast<std::size_t>(p * double(samples.size() - 1));
  std::nth_element(samples.begin(), samples.begin() + std::ptrdiff_t(index), samples.end());
  return samples[index];
}

std::filesystem::path FreshFile(const std::filesystem::path& dir, const std::string& name) {
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(dir / (name + suffix));
  return dir / name;
}

void Check(const Result<void>& result) {
  if (!result) {
    std::cerr << result.error().message() << "\n";
    std::exit(1);
  }
}

// The same table as the journal's, so every peer writes the same rows.
Database OpenPeerTable(const std::filesystem::path& path) {
  auto db = Database::Open(path, DatabaseOptions{});
  if (!db) {
    std::cerr << db.error().message() << "\n";
    std::exit(1);
  }
  Check(db->Exec(
      "CREATE TABLE events (seq INTEGER PRIMARY KEY, type TEXT NOT NULL, occurred_at_ms INTEGER "
      "NOT NULL, monotonic_ns INTEGER NOT NULL, boot_id TEXT NOT NULL, channel_id TEXT, "
      "payload_version INTEGER NOT NULL, payload TEXT NOT NULL)"));
  return std::move(*db);
}

void InsertRow(Statement& insert, std::int64_t seq) {
  insert.Reset();
  Check(insert.Bind(1, seq));
  Check(insert.Bind(2, std::string_view("scan")));
  Check(insert.Bind(3, std::int64_t{1'800'000'000'000}));
  Check(insert.Bind(4, seq * 1000));
  Check(insert.Bind(5, std::string_view("4b4c8d4e-7f3a-4c55-9a61-0e3a2b1f9d77")));
  Check(insert.Bind(6, std::string_view("poster-elevator-3")));
  Check(insert.Bind(7, std::int64_t{1}));
  Check(insert.Bind(8, kPayload));
  Check(insert.Run());
}

Figures RunNaive(const std::filesystem::path& dir, double seconds) {
  Database db = OpenPeerTable(FreshFile(dir, "naive.db"));
  auto insert = db.Prepare("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  Figures figures{"SQLite, one INSERT per transaction (naive)"};
  std::vector<double> latencies;
  const auto start = Clock::now();
  const auto stop = start + std::chrono::duration<double>(seconds);
  while (Clock::now() < stop) {
    const auto begin = Clock::now();
    InsertRow(*insert, ++figures.events);  // autocommit: one durable transaction each
    latencies.push_back(std::chrono::duration<double, std::milli>(Clock::now() - begin).count());
  }
  figures.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  figures.p50_ms = Percentile(latencies, 0.50);
  figures.p99_ms = Percentile(latencies, 0.99);
  return figures;
}

Figures RunCeiling(const std::filesystem::path& dir, std::int64_t rows) {
  Database db = OpenPeerTable(FreshFile(dir, "ceiling.db"));
  auto insert = db.Prepare("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  Figures figures{"SQLite, all rows in one transaction (ceiling)"};
  const auto start = Clock::now();
  auto transaction = Transaction::Begin(db);
  for (std::int64_t seq = 1; seq <= rows; ++seq) InsertRow(*insert, seq);
  Check(transaction->Commit());
  figures.events = rows;
  figures.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return figures;
}

std::unique_ptr<Journal> OpenBenchJournal(const std::filesystem::path& dir) {
  JournalOptions options;
  options.path = FreshFile(dir, "journal.db");
  options.kiosk_id = "kiosk-bench";
  options.max_disk_bytes = 64ull << 30;
  auto journal = Journal::Open(options);
  if (!journal) {
    std::cerr << journal.error().message() << "\n";
    std::exit(1);
  }
  return std::move(*journal);
}

Figures Summarise(std::string name, Clock::time_point start, std::vector<double>& latencies) {
  Figures figures{std::move(name)};
  figures.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  figures.events = std::int64_t(latencies.size());
  figures.p50_ms = Percentile(latencies, 0.50);
  figures.p99_ms = Percentile(latencies, 0.99);
  return figures;
}

// Each producer submits, waits for its durable acknowledgement on the I/O thread, and submits
// again: the journal sees exactly `producers` appends in flight, as from that many HTTP requests.
Figures RunJournalAsync(const std::filesystem::path& dir, int producers, double seconds) {
  auto journal = OpenBenchJournal(dir);
  boost::asio::io_context io(1);
  std::vector<double> latencies;
  const auto start = Clock::now();
  const auto stop = start + std::chrono::duration<double>(seconds);
  std::function<void()> submit_next = [&] {
    const auto begin = Clock::now();
    journal->Submit(
        EventDraft{"scan", "poster-elevator-3", 1, kPayload, std::nullopt},
        [&, begin](Result<std::int64_t> seq) {
          if (!seq) {
            std::cerr << seq.error().message() << "\n";
            std::exit(1);
          }
          boost::asio::post(io, [&, begin] {
            const auto now = Clock::now();
            latencies.push_back(std::chrono::duration<double, std::milli>(now - begin).count());
            if (now < stop) submit_next();
          });
        });
  };
  auto work = boost::asio::make_work_guard(io);
  boost::asio::post(io, [&] {
    for (int p = 0; p < producers; ++p) submit_next();
  });
  std::thread release([&] {
    std::this_thread::sleep_until(stop + std::chrono::seconds(1));
    work.reset();
  });
  io.run();
  release.join();
  return Summarise("journal, " + std::to_string(producers) + " async producers, 1 I/O thread",
                   start, latencies);
}

Figures RunJournalThreads(const std::filesystem::path& dir, int producers, double seconds) {
  auto journal = OpenBenchJournal(dir);
  std::atomic<bool> running{true};
  std::vector<std::vector<double>> latencies(static_cast<std::size_t>(producers));
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&, p] {
      auto& mine = latencies[std::size_t(p)];
      while (running.load(std::memory_order_relaxed)) {
        const auto begin = Clock::now();
        auto seq =
            journal->Append(EventDraft{"scan", "poster-elevator-3", 1, kPayload, std::nullopt});
        if (!seq) {
          std::cerr << seq.error().message() << "\n";
          std::exit(1);
        }
        mine.push_back(std::chrono::duration<double, std::milli>(Clock::now() - begin).count());
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  running = false;
  for (auto& thread : threads) thread.join();
  std::vector<double> all;
  for (auto& mine : latencies) all.insert(all.end(), mine.begin(), mine.end());
  return Summarise("journal, " + std::to_string(producers) + " blocking producer threads", start,
                   all);
}

void Print(const Figures& f, double naive_rate, double ceiling_rate) {
  char line[256];
  auto ms = [](double v) { return v < 0 ? std::string("-") : std::to_string(v).substr(0, 5); };
  std::snprintf(line, sizeof line, "| %-52s | %10.0f | %7s | %7s | %8.1fx | %7.0f%% |",
                f.name.c_str(), f.rate(), ms(f.p50_ms).c_str(), ms(f.p99_ms).c_str(),
                f.rate() / naive_rate, 100.0 * f.rate() / ceiling_rate);
  std::cout << line << std::endl;
}

}  // namespace
}  // namespace kiosk_edge

int main(int argc, char** argv) {
  using namespace kiosk_edge;
  double seconds = 3;
  std::filesystem::path dir = "bench-data";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--seconds")
      seconds = std::stod(argv[i + 1]);
    else if (flag == "--dir")
      dir = argv[i + 1];
    else {
      std::cerr << "usage: journal_bench [--seconds S] [--dir DIR]\n";
      return 2;
    }
  }
  std::filesystem::create_directories(dir);
  SetLogLevel(LogLevel::kWarning);

  // Each run starts with the disk quiet: the previous run's dirty pages written back and its
  // files removed, so no run pays for another's writeback.
  auto settle = [&dir] {
    for (const char* name : {"naive.db", "ceiling.db", "journal.db"}) FreshFile(dir, name);
    ::sync();
  };
  settle();
  const Figures naive = RunNaive(dir, seconds);
  settle();
  const Figures ceiling = RunCeiling(dir, 500'000);
  std::vector<Figures> ours;
  for (int producers : {1, 8, 64}) {
    settle();
    ours.push_back(RunJournalAsync(dir, producers, seconds));
  }
  for (int producers : {8, 64}) {
    settle();
    ours.push_back(RunJournalThreads(dir, producers, seconds));
  }

  std::cout << "| writer | appends/s | p50 ms | p99 ms | vs naive | of ceiling |\n"
            << "|---|---:|---:|---:|---:|---:|\n";
  Print(naive, naive.rate(), ceiling.rate());
  Print(ceiling, naive.rate(), ceiling.rate());
  for (const auto& f : ours) Print(f, naive.rate(), ceiling.rate());
  settle();
  return 0;
}
