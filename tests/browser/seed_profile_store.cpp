// Fills a profile-store state folder with the attribution dataset (tests/sync/
// attribution_dataset.hpp, worked through in docs/attribution.md) for the dashboard's browser
// test, plus one late kiosk-b batch after the window that leaves a gap (seqs 12..14), a dead
// letter and a second redemption of kiosk-a's voucher V1 (a conflict for both kiosks); and the
// ends of the kiosks' certificates, as their latest batches would report them (phones' / client):
// kiosk-a 400 / 700 days from now, kiosk-b none, and two kiosks with one scan after the window
// each, kiosk-c 5 / 700 days and kiosk-d 100 / 20 days. kiosk-e sends one scan too (400 / 700
// days), is enrolled, then revoked, its vouchers received until a day before honoured.
//
//   seed_profile_store STATE_DIR [sqlite|postgres]
//
// sqlite (the default) creates STATE_DIR/profile-store.db; postgres a fresh database in the
// cluster of ctest's fixture "postgres" ($KIOSK_EDGE_PG_FIXTURE), which outlives this program.
// Prints the [storage] table of profile-store.toml for that database; exit 0 when stored.

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string_view>
#include <tuple>

#include "common/clock.hpp"
#include "common/crypto.hpp"
#include "support/hq_database.hpp"
#include "sync/attribution_dataset.hpp"

int main(int argc, char** argv) {
  using namespace kiosk_edge;
  namespace test = kiosk_edge::testing;  // not gtest's
  namespace data = kiosk_edge::testing::attribution;
  const std::string_view backend_name = argc == 3 ? argv[2] : "sqlite";
  if ((argc != 2 && argc != 3) || (backend_name != "sqlite" && backend_name != "postgres")) {
    std::cerr << "usage: seed_profile_store STATE_DIR [sqlite|postgres]\n";
    return 2;
  }
  const auto backend = backend_name == "sqlite" ? test::Backend::kSqlite : test::Backend::kPostgres;
  if (backend == test::Backend::kPostgres && std::getenv("KIOSK_EDGE_PG_FIXTURE") == nullptr) {
    std::cerr << "seed_profile_store: postgres needs ctest's fixture cluster "
                 "($KIOSK_EDGE_PG_FIXTURE); a cluster of its own would end with this program\n";
    return 2;
  }
  const std::filesystem::path state = argv[1];
  std::filesystem::create_directories(state);
  const test::HqDatabase database(backend, state);
  if (!database.ok()) {
    std::cerr << "seed_profile_store: " << database.error() << "\n";
    return 1;
  }
  // The store's own keys do not matter to the reports: ingest under a throwaway identity.
  auto keys = GenerateX25519KeyPair();
  if (!keys) return 1;
  auto identity = HqIdentity::Create(keys->private_key, std::string(32, 'k'));
  if (!identity) return 1;
  // The real clock: the dashboard shows how long ago each kiosk synced.
  auto store = database.OpenStore(*identity, SystemClock());
  if (!store) {
    std::cerr << "seed_profile_store: " << store.error().message() << "\n";
    return 1;
  }
  std::vector<EventBatch> batches = data::AttributionBatches(identity->public_key());
  batches.push_back(
      test::MakeBatch("kiosk-b", "inc-b", 15,
                      {test::MakeEvent("scan", "[1,2]", data::kD2 + data::kHour),
                       data::RedeemedAt("kiosk-a", "1111111111111111", data::kD2 + data::kHour)}));
  const std::int64_t now_ms = UnixMs(SystemClock().WallNow());
  constexpr std::int64_t kDayMs = 86'400'000;
  for (auto batch = batches.rbegin(); batch != batches.rend(); ++batch) {
    if (batch->kiosk_id != "kiosk-a") continue;
    batch->https_not_after_ms = now_ms + 400 * kDayMs;
    batch->client_certificate_not_after_ms = now_ms + 700 * kDayMs;
    break;
  }
  for (const auto& [kiosk, https_days, client_days] :
       {std::tuple{"kiosk-c", 5, 700}, std::tuple{"kiosk-d", 100, 20},
        std::tuple{"kiosk-e", 400, 700}}) {
    EventBatch batch = test::MakeBatch(kiosk, "inc-1", 1,
                                       {test::Scan(test::Device('c'), data::kD2 + data::kHour)});
    batch.https_not_after_ms = now_ms + https_days * kDayMs;
    batch.client_certificate_not_after_ms = now_ms + client_days * kDayMs;
    batches.push_back(std::move(batch));
  }
  for (const EventBatch& batch : batches) {
    auto answer = (*store)->Ingest(batch);
    if (!answer) {
      std::cerr << "seed_profile_store: " << answer.error().message() << "\n";
      return 1;
    }
  }
  const auto revoked = [&]() -> Result<std::int64_t> {
    if (auto enrolled =
            (*store)->RegisterKiosk({"kiosk-e", "0E", std::string(32, 'e'), std::nullopt});
        !enrolled) {
      return enrolled.error();
    }
    if (auto revoke = (*store)->RevokeKiosk("kiosk-e"); !revoke) return revoke.error();
    return (*store)->HonourVouchersOf("kiosk-e", now_ms - kDayMs);
  }();
  if (!revoked) {
    std::cerr << "seed_profile_store: " << revoked.error().message() << "\n";
    return 1;
  }
  std::cout << database.ConfigToml();
  return 0;
}
