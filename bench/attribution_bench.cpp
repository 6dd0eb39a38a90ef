// Issue 6's benchmark: the 30-day attribution report by channel (GET /v1/attribution's default,
// both models) over 1M and 10M events, on SQLite and on PostgreSQL (a throwaway cluster), read
// from the events through the indexes of attribution_schema.hpp: median, min and max of R runs.
//
// The data goes straight through the store's ingest (attribution_bench_data.hpp), no HTTP.
//
// Usage: attribution_bench [--events N,M,...] [--backends sqlite,postgres] [--runs R]
//                          [--days D] [--kiosks K] [--postgres CONNINFO]
//
// --postgres uses a server you run instead of a throwaway cluster, and keeps each dataset in a
// schema named after it (attribution_<events>_<kiosks>k_<days>d): a later run against the same
// server times the report again without ingesting again (10M events take about 20 minutes to
// ingest on 2 cores).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bench/attribution_bench_data.hpp"
#include "bench/bench_support.hpp"
#include "common/clock.hpp"
#include "common/crypto.hpp"
#include "common/strings.hpp"
#include "sync/profile_store/attribution.hpp"
#include "sync/profile_store/identity.hpp"
#include "sync/profile_store/pg_connection.hpp"
#include "sync/profile_store/postgres_store.hpp"
#include "sync/profile_store/sqlite_store.hpp"
#include "tests/support/postgres_cluster.hpp"

namespace kiosk_edge::bench {
namespace {

struct Flags {
  std::vector<std::int64_t> events = {1'000'000, 10'000'000};
  std::vector<std::string> backends = {"sqlite", "postgres"};
  int runs = 5;
  int days = 365;
  int kiosks = 50;
  std::string postgres;  // empty: a throwaway cluster
};

constexpr std::string_view kUsage =
    "usage: attribution_bench [--events N,M,...] [--backends sqlite,postgres] [--runs R]\n"
    "                         [--days D] [--kiosks K] [--postgres CONNINFO]\n";

std::optional<Flags> ParseFlags(int argc, char** argv) {
  Flags flags;
  const bool read =
      ReadFlagPairs(argc, argv, [&flags](const std::string& flag, const std::string& value) {
        if (flag == "--events") {
          flags.events.clear();
          for (const std::string& part : SplitCommas(value))
            flags.events.push_back(std::stoll(part));
        } else if (flag == "--backends") {
          flags.backends = SplitCommas(value);
        } else if (flag == "--runs") {
          flags.runs = std::stoi(value);
        } else if (flag == "--days") {
          flags.days = std::stoi(value);
        } else if (flag == "--kiosks") {
          flags.kiosks = std::stoi(value);
        } else if (flag == "--postgres") {
          flags.postgres = value;
        } else {
          return false;
        }
        return true;
      });
  if (!read) return std::nullopt;
  if (!AreStoreBackends(flags.backends)) return std::nullopt;
  for (std::int64_t events : flags.events) {
    if (events < 1000) return std::nullopt;
  }
  if (flags.runs < 1 || flags.days < 31 || flags.kiosks < 1) return std::nullopt;
  return flags;
}

void Note(const std::string& text) { std::cerr << "[attribution_bench] " << text << std::endl; }

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t middle = values.size() / 2;
  return values.size() % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
}

struct Timed {
  double median_s = 0;
  double min_s = 0;
  double max_s = 0;
  AttributionReport report;
};

Result<Timed> TimeReport(StoreBackend& store, const AttributionQuery& query, int runs) {
  Timed timed;
  std::vector<double> seconds;
  for (int run = 0; run < runs; ++run) {
    const auto started = std::chrono::steady_clock::now();
    auto report = BuildAttributionReport(store, query, {}, query.to_ms);
    if (!report) return report.error();
    seconds.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    timed.report = std::move(*report);
  }
  timed.median_s = Median(seconds);
  timed.min_s = *std::min_element(seconds.begin(), seconds.end());
  timed.max_s = *std::max_element(seconds.begin(), seconds.end());
  return timed;
}

// Fills `store` with `events` events (unless `stored` already counts them, by type) and times the
// 30-day report by channel, both models, after `analyze`. False when anything failed (said on
// stderr).
bool RunOne(StoreBackend& store, const std::string& backend, std::int64_t events,
            const Flags& flags, const std::string& hq_public_key,
            std::optional<std::map<std::string, std::int64_t>> stored_by_type,
            const std::function<Result<void>()>& analyze) {
  AttributionDataOptions options;
  options.events = events;
  options.kiosks = flags.kiosks;
  options.days = flags.days;
  // A fixed end, not on a day boundary: the report's default window (to = now).
  options.end_ms = 1'893'456'000'000 + 13 * 3'600'000 + 17 * 60'000;  // 2030-01-01T13:17Z
  options.hq_public_key = hq_public_key;
  std::string how = "already in the database";
  if (!stored_by_type) {
    Note(StrCat(backend, ": ingesting ", events, " events"));
    auto data = IngestAttributionData(store, options);
    if (!data) return Note(StrCat(backend, ": ", data.error().message())), false;
    stored_by_type = data->count_by_type;
    std::int64_t ingested = 0;
    for (const auto& entry : data->count_by_type) ingested += entry.second;
    how = StrCat("generated and ingested in ", static_cast<std::int64_t>(data->seconds), " s (",
                 static_cast<std::int64_t>(static_cast<double>(ingested) / data->seconds),
                 " events/s)");
  }
  std::int64_t stored = 0;
  std::string mix;
  for (const auto& [type, count] : *stored_by_type) {
    stored += count;
    mix += StrCat(" ", type, "=", count);
  }
  std::cout << StrCat("\n", backend, ", ", stored, " events (", mix.substr(1), "), ", flags.kiosks,
                      " kiosks, ", flags.days, " days; ", how, "\n");
  if (auto analyzed = analyze(); !analyzed) {
    return Note(StrCat(backend, ": VACUUM ANALYZE: ", analyzed.error().message())), false;
  }
  for (AttributionModel model : {AttributionModel::kLastTouch, AttributionModel::kFirstTouch}) {
    AttributionQuery query;
    query.to_ms = options.end_ms;
    query.from_ms = query.to_ms - 30 * std::int64_t{86'400'000};
    query.model = model;
    const std::string load_before = LoadAverage();
    auto timed = TimeReport(store, query, flags.runs);
    if (!timed) return Note(StrCat(backend, ": ", timed.error().message())), false;
    std::printf(
        "  %-11s %.3f s (min %.3f, max %.3f) | %zu rows, %lld signups in window | load %s -> %s\n",
        std::string(ModelText(model)).c_str(), timed->median_s, timed->min_s, timed->max_s,
        timed->report.rows.size(), static_cast<long long>(timed->report.totals.signups),
        load_before.c_str(), LoadAverage().c_str());
    std::fflush(stdout);
  }
  return true;
}

constexpr std::string_view kCompleteMark = "attribution_bench dataset, complete";

// The events of a dataset an earlier run kept in `schema` (by type), or nullopt when there is
// none or its ingest did not finish (the schema is then dropped, to be made again).
Result<std::optional<std::map<std::string, std::int64_t>>> KeptDataset(const std::string& conninfo,
                                                                       const std::string& schema) {
  auto connection = PgConnection::Connect(conninfo);
  if (!connection) return connection.error();
  auto mark = connection->Query(
      "SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = $1",
      Params(schema));
  if (!mark) return mark.error();
  if (mark->rows() == 1 && !mark->IsNull(0, 0) && mark->Text(0, 0) == kCompleteMark) {
    auto counts = connection->Query(
        StrCat("SELECT type, COUNT(*) FROM ", schema, ".events GROUP BY type ORDER BY type"));
    if (!counts) return counts.error();
    std::map<std::string, std::int64_t> by_type;
    for (int i = 0; i < counts->rows(); ++i) by_type[counts->Text(i, 0)] = counts->Int(i, 1);
    Note(StrCat("postgres: reusing the dataset kept in schema ", schema));
    return std::optional(std::move(by_type));
  }
  if (auto dropped = connection->Exec(StrCat("DROP SCHEMA IF EXISTS ", schema, " CASCADE"));
      !dropped) {
    return dropped.error();
  }
  return std::optional<std::map<std::string, std::int64_t>>();
}

int Main(int argc, char** argv) {
  const std::optional<Flags> flags = ParseFlags(argc, argv);
  if (!flags) return std::cerr << kUsage, 2;
  auto keys = GenerateX25519KeyPair();
  if (!keys) return std::cerr << keys.error().message() << "\n", 1;
  auto identity = HqIdentity::Create(keys->private_key, std::string(32, 'k'));
  if (!identity) return std::cerr << identity.error().message() << "\n", 1;
  std::cout << "attribution_bench: 30-day report by channel, median of " << flags->runs
            << " runs; load average at start " << LoadAverage() << "\n";
  std::unique_ptr<testing::PostgresCluster> cluster;
  bool ok = true;
  for (const std::string& backend : flags->backends) {
    for (std::int64_t events : flags->events) {
      ScratchDir dir("attribution");
      std::unique_ptr<StoreBackend> store;
      std::string options_schema;
      std::optional<std::map<std::string, std::int64_t>> stored_by_type;
      std::function<Result<void>()> analyze = [] { return Result<void>(); };
      if (backend == "sqlite") {
        auto opened = SqliteStore::Open(dir.path() / "hq.db", *identity, SystemClock());
        if (!opened) return std::cerr << opened.error().message() << "\n", 1;
        store = std::move(*opened);
      } else {
        std::string conninfo = flags->postgres;
        if (conninfo.empty()) {
          if (!cluster) {
            cluster = std::make_unique<testing::PostgresCluster>();
            if (!cluster->ok()) return std::cerr << cluster->error() << "\n", 1;
          }
          conninfo = cluster->conninfo();
          options_schema = cluster->FreshSchema();
        } else {
          options_schema =
              StrCat("attribution_", events, "_", flags->kiosks, "k_", flags->days, "d");
          auto kept = KeptDataset(conninfo, options_schema);
          if (!kept) return std::cerr << kept.error().message() << "\n", 1;
          stored_by_type = std::move(*kept);
        }
        PostgresStoreOptions options{conninfo, options_schema, 2};
        auto opened = PostgresStore::Open(options, *identity, SystemClock());
        if (!opened) return std::cerr << opened.error().message() << "\n", 1;
        store = std::move(*opened);
        // What autovacuum keeps on a database that has been up a while: statistics, and the
        // visibility map that lets index-only scans skip the table. The comment marks a kept
        // dataset as complete.
        analyze = [conninfo, schema = options_schema]() -> Result<void> {
          auto connection = PgConnection::Connect(conninfo);
          if (!connection) return connection.error();
          if (auto set = connection->Exec(StrCat("SET search_path TO ", schema)); !set) return set;
          if (auto vacuumed = connection->Exec("VACUUM ANALYZE"); !vacuumed) return vacuumed;
          return connection->Exec(
              StrCat("COMMENT ON SCHEMA ", schema, " IS '", kCompleteMark, "'"));
        };
      }
      ok = RunOne(*store, backend, events, *flags, identity->public_key(), stored_by_type,
                  analyze) &&
           ok;
    }
  }
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace kiosk_edge::bench

int main(int argc, char** argv) { return kiosk_edge::bench::Main(argc, argv); }
