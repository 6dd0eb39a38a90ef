// Issue 5's config pull at fleet scale: what HQ builds and sends a kiosk that pulls right after a
// fleet voucher was redeemed somewhere, with N fleet vouchers redeemed and not yet expired, on
// SQLite and on PostgreSQL (a throwaway cluster). In-process: BundleMaker::Current and the
// encoding, as GET /v1/sync/config runs them, without TLS.
//
//   news   a kiosk that names the ledger position it holds (redeemed-delta): the voucher
//          redeemed since, in the "redeemed" form, and where HQ's copy of the events of the kiosk
//          that sent the redemptions ends (refill: StreamEndOf)
//   whole  the peer, the same pull without a position, i.e. what every kiosk downloaded after each
//          redemption before the delta existed, and what kiosks without the feature still get
//          (the "redeemed_vouchers" form); a kiosk that enrolls or lost its copy gets the same
//          list in the "redeemed" form, also timed
//
// With --honoured H, a revoked kiosk issued H vouchers, all honoured (honour-vouchers), and the
// news pull names the honoured_digest it holds, as kiosk-agent does: HQ sends the digest alone.
// Its peer is the same pull with the list, what every kiosk would download after each redemption
// if pulls did not name the digest.
//
// Usage: config_pull_bench [--redeemed N,M,...] [--backends sqlite,postgres] [--pulls P]
//                          [--honoured H]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_support.hpp"
#include "common/clock.hpp"
#include "common/crypto.hpp"
#include "common/strings.hpp"
#include "sync/profile_store/bundle_maker.hpp"
#include "sync/profile_store/postgres_store.hpp"
#include "sync/profile_store/sqlite_store.hpp"
#include "tests/support/postgres_cluster.hpp"
#include "tests/sync/store_test_events.hpp"

namespace kiosk_edge::bench {
namespace {

struct Flags {
  std::vector<std::int64_t> redeemed = {10'000, 50'000, 200'000};
  std::vector<std::string> backends = {"sqlite", "postgres"};
  int pulls = 20;
  std::int64_t honoured = 0;
};

constexpr std::string_view kUsage =
    "usage: config_pull_bench [--redeemed N,M,...] [--backends sqlite,postgres] [--pulls P] "
    "[--honoured H]\n";
constexpr std::size_t kBatchEvents = 500;
constexpr std::string_view kKiosk = "kiosk-counter";

std::optional<Flags> ParseFlags(int argc, char** argv) {
  Flags flags;
  const bool read =
      ReadFlagPairs(argc, argv, [&flags](const std::string& flag, const std::string& value) {
        if (flag == "--redeemed") {
          flags.redeemed.clear();
          for (const std::string& part : SplitCommas(value)) {
            flags.redeemed.push_back(std::stoll(part));
          }
        } else if (flag == "--backends") {
          flags.backends = SplitCommas(value);
        } else if (flag == "--pulls") {
          flags.pulls = std::stoi(value);
        } else if (flag == "--honoured") {
          flags.honoured = std::stoll(value);
        } else {
          return false;
        }
        return true;
      });
  if (!read) return std::nullopt;
  if (!AreStoreBackends(flags.backends)) return std::nullopt;
  for (std::int64_t redeemed : flags.redeemed) {
    if (redeemed < 1 || redeemed > static_cast<std::int64_t>(kMaxBundleListItems)) {
      return std::nullopt;
    }
  }
  if (flags.pulls < 1) return std::nullopt;
  if (flags.honoured < 0 || flags.honoured > static_cast<std::int64_t>(kMaxBundleListItems)) {
    return std::nullopt;
  }
  return flags;
}

void Note(const std::string& text) { std::cerr << "[config_pull_bench] " << text << std::endl; }

// Redeems fleet vouchers first_voucher.. at kiosk-counter, in batches of 500 from seq `*next_seq`.
Result<void> Redeem(StoreBackend& store, std::int64_t first_voucher, std::int64_t count,
                    std::int64_t expires_at_s, std::int64_t* next_seq) {
  for (std::int64_t done = 0; done < count;) {
    std::vector<WireEvent> events;
    for (; done < count && events.size() < kBatchEvents; ++done) {
      char id[17];
      std::snprintf(id, sizeof id, "%016llx",
                    static_cast<unsigned long long>(first_voucher + done));
      events.push_back(testing::Redemption("kiosk-issuer", id, "fleet", expires_at_s));
    }
    const std::int64_t size = static_cast<std::int64_t>(events.size());
    auto answer =
        store.Ingest(testing::MakeBatch(std::string(kKiosk), "inc", *next_seq, std::move(events)));
    if (!answer) return answer.error();
    *next_seq += size;
  }
  return {};
}

// Makes kiosk-stolen a revoked kiosk that issued `count` store vouchers, all of them honoured.
Result<void> HonourStolenKiosk(StoreBackend& store, std::int64_t count, std::int64_t expires_at_s) {
  const std::string stolen = "kiosk-stolen";
  if (auto registered = store.RegisterKiosk({stolen, "5701", std::string(32, 's'), std::nullopt});
      !registered) {
    return registered.error();
  }
  std::int64_t seq = 1;
  for (std::int64_t done = 0; done < count;) {
    std::vector<WireEvent> events;
    for (; done < count && events.size() < kBatchEvents; ++done) {
      char id[17];
      std::snprintf(id, sizeof id, "5%015llx", static_cast<unsigned long long>(done));
      events.push_back(testing::VoucherIssued(id, "store", expires_at_s));
    }
    const std::int64_t size = static_cast<std::int64_t>(events.size());
    auto answer = store.Ingest(testing::MakeBatch(stolen, "inc", seq, std::move(events)));
    if (!answer) return answer.error();
    seq += size;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(2));  // received before the revocation
  if (auto revoked = store.RevokeKiosk(stolen); !revoked) return revoked.error();
  auto honoured = store.HonourVouchersOf(stolen, UnixMs(SystemClock().WallNow()));
  if (!honoured) return honoured.error();
  return {};
}

struct PullFigures {
  double median_ms = 0;
  std::size_t bytes = 0;
};

// Times `pulls` pulls, each after `before` (not timed).
Result<PullFigures> TimePulls(int pulls, const std::function<Result<void>()>& before,
                              const std::function<Result<std::string>()>& pull) {
  std::vector<double> ms;
  PullFigures figures;
  for (int i = 0; i < pulls; ++i) {
    if (auto prepared = before(); !prepared) return prepared.error();
    const auto started = std::chrono::steady_clock::now();
    auto text = pull();
    if (!text) return text.error();
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
            .count());
    figures.bytes = text->size();
  }
  std::sort(ms.begin(), ms.end());
  figures.median_ms = ms[ms.size() / 2];
  return figures;
}

bool RunOne(StoreBackend& store, const HqIdentity& identity, const std::string& backend,
            std::int64_t redeemed, int pulls, std::int64_t honoured) {
  const std::int64_t expires_at_s = UnixMs(SystemClock().WallNow()) / 1000 + 30 * 86'400;
  if (honoured > 0) {
    if (auto made = HonourStolenKiosk(store, honoured, expires_at_s); !made) {
      return Note(StrCat(backend, ": ", made.error().message())), false;
    }
  }
  std::int64_t next_seq = 1, next_voucher = 0;
  const auto started = std::chrono::steady_clock::now();
  if (auto done = Redeem(store, next_voucher, redeemed, expires_at_s, &next_seq); !done) {
    return Note(StrCat(backend, ": ", done.error().message())), false;
  }
  next_voucher += redeemed;
  const double fill_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  BundleMaker maker({}, [] {
    return Result<HqChannelKeys>(
        HqChannelKeys{{HqChannelKey{'B', std::string(32, 'k'), 1'700'000'000, std::nullopt}}, 'B'});
  });
  RedeemedPosition held;      // where the "news" kiosk's list ends
  std::string honoured_held;  // the honoured_digest it holds
  // As GET /v1/sync/config: a kiosk naming the honoured list it holds gets the digest alone.
  const auto bundle = [&](const std::optional<RedeemedPosition>& position, ConfigBundleWire wire,
                          bool names_honoured = false) -> Result<std::string> {
    auto made = maker.Current(store, identity, SystemClock(), "kiosk-reader", position,
                              names_honoured ? honoured_held : "");
    if (!made) return made.error();
    held = made->redeemed.end();
    honoured_held = made->honoured_digest;
    return EncodeConfigBundle(*made, wire);
  };
  // Before each timed pull, one more redemption somewhere: every pull sees a new version.
  const auto one_more = [&]() -> Result<void> {
    return Redeem(store, next_voucher++, 1, expires_at_s, &next_seq);
  };
  if (auto primed = bundle(std::nullopt, ConfigBundleWire::kRedeemed); !primed) {
    return Note(StrCat(backend, ": ", primed.error().message())), false;
  }
  auto news = TimePulls(pulls, one_more, [&]() -> Result<std::string> {
    // Such a kiosk also announces refill: HQ reads where its events end (kStreamEndHeader).
    if (auto end = store.StreamEndOf(kKiosk); !end) return end.error();
    return bundle(held, ConfigBundleWire::kRedeemed, true);
  });
  // The peer of the digest: the same news pull, the honoured list sent again.
  Result<PullFigures> news_with_list = PullFigures{};
  if (honoured > 0) {
    news_with_list = TimePulls(pulls, one_more, [&]() -> Result<std::string> {
      if (auto end = store.StreamEndOf(kKiosk); !end) return end.error();
      return bundle(held, ConfigBundleWire::kRedeemed, false);
    });
  }
  auto whole = TimePulls(pulls, one_more,
                         [&] { return bundle(std::nullopt, ConfigBundleWire::kRedeemedKeys); });
  // A kiosk that enrolls: the whole list in pages, from holding nothing to the ledger's end.
  int pages = 0;
  const auto first_pulls = [&]() -> Result<std::string> {
    RedeemedPosition position;
    std::string all;
    pages = 0;
    for (bool more = true; more; ++pages) {
      auto made = maker.Current(store, identity, SystemClock(), "kiosk-enrolling", position);
      if (!made) return made.error();
      auto text = EncodeConfigBundle(*made, ConfigBundleWire::kRedeemed);
      if (!text) return text.error();
      all += *text;
      position = made->redeemed.end();
      more = made->redeemed.more;
    }
    return all;
  };
  auto whole_new_form = TimePulls(pulls, one_more, first_pulls);
  for (const auto* result : {&news, &news_with_list, &whole, &whole_new_form}) {
    if (!*result) return Note(StrCat(backend, ": ", result->error().message())), false;
  }
  if (honoured > 0) {
    std::printf(
        "\n%s, %lld vouchers of a revoked kiosk honoured, %d pulls each:\n"
        "  news naming the honoured_digest held (the digest alone) %9zu bytes  %8.2f ms\n"
        "  news with the honoured list (peer: no digest named)    %9zu bytes  %8.2f ms\n"
        "  digest vs list: %.0fx fewer bytes, %.1fx less HQ time per pull\n",
        backend.c_str(), static_cast<long long>(honoured), pulls, news->bytes, news->median_ms,
        news_with_list->bytes, news_with_list->median_ms,
        static_cast<double>(news_with_list->bytes) / static_cast<double>(news->bytes),
        news_with_list->median_ms / news->median_ms);
  }
  std::printf(
      "\n%s, %lld fleet vouchers redeemed and not expired (ingested in %.1f s), %d pulls each:\n"
      "  news  (redeemed-delta, since the kiosk's position) %9zu bytes  %8.2f ms\n"
      "  whole (peer: redeemed_vouchers, every pull)      %9zu bytes  %8.2f ms\n"
      "  whole (\"redeemed\" form, a kiosk's first pulls)   %9zu bytes  %8.2f ms (%d page%s)\n"
      "  news vs whole: %.0fx fewer bytes, %.1fx less HQ time per pull; 1,000 kiosks after each "
      "redemption: %.2f MB instead of %.1f MB\n",
      backend.c_str(), static_cast<long long>(redeemed), fill_s, pulls, news->bytes,
      news->median_ms, whole->bytes, whole->median_ms, whole_new_form->bytes,
      whole_new_form->median_ms, pages, pages == 1 ? "" : "s",
      static_cast<double>(whole->bytes) / static_cast<double>(news->bytes),
      whole->median_ms / news->median_ms, 1000.0 * static_cast<double>(news->bytes) / 1e6,
      1000.0 * static_cast<double>(whole->bytes) / 1e6);
  std::fflush(stdout);
  return true;
}

int Main(int argc, char** argv) {
  const std::optional<Flags> flags = ParseFlags(argc, argv);
  if (!flags) return std::cerr << kUsage, 2;
  auto keys = GenerateX25519KeyPair();
  if (!keys) return std::cerr << keys.error().message() << "\n", 1;
  auto identity = HqIdentity::Create(keys->private_key, std::string(32, 'k'));
  if (!identity) return std::cerr << identity.error().message() << "\n", 1;
  std::cout << "config_pull_bench: a config pull right after a fleet redemption, median of "
            << flags->pulls << " pulls; load average at start " << LoadAverage() << "\n";
  std::unique_ptr<testing::PostgresCluster> cluster;
  bool ok = true;
  for (const std::string& backend : flags->backends) {
    for (std::int64_t redeemed : flags->redeemed) {
      ScratchDir dir("config_pull");
      std::unique_ptr<StoreBackend> store;
      if (backend == "sqlite") {
        auto opened = SqliteStore::Open(dir.path() / "hq.db", *identity, SystemClock());
        if (!opened) return std::cerr << opened.error().message() << "\n", 1;
        store = std::move(*opened);
      } else {
        if (!cluster) {
          cluster = std::make_unique<testing::PostgresCluster>();
          if (!cluster->ok()) return std::cerr << cluster->error() << "\n", 1;
        }
        PostgresStoreOptions options{cluster->conninfo(), cluster->FreshSchema(), 2};
        auto opened = PostgresStore::Open(options, *identity, SystemClock());
        if (!opened) return std::cerr << opened.error().message() << "\n", 1;
        store = std::move(*opened);
      }
      ok = RunOne(*store, *identity, backend, redeemed, flags->pulls, flags->honoured) && ok;
    }
  }
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace kiosk_edge::bench

int main(int argc, char** argv) { return kiosk_edge::bench::Main(argc, argv); }
