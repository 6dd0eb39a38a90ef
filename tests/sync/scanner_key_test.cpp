// PostgresStore's scan facts (events.scan_flags and scanner_key): profile-store computes them at
// ingest since migration 9; they must equal what migration 7 had PostgreSQL compute, for stored
// rows and for keys PostgreSQL computes in queries (scanner_key.hpp). Needs the throwaway
// PostgreSQL cluster (these tests FAIL without one).

#include "sync/profile_store/scanner_key.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "common/fake_clock.hpp"
#include "common/strings.hpp"
#include "support/temp_dir.hpp"
#include "support/test_stores.hpp"
#include "sync/attribution_dataset.hpp"
#include "sync/profile_store/pg_connection.hpp"

namespace kiosk_edge {
namespace {

using testing::Backend;

TEST(ScannerKeyTest, EqualsPostgresMd5Key) {
  auto connection = testing::ConnectToSharedCluster();
  ASSERT_TRUE(connection) << connection.error().message();
  const std::pair<std::string, std::string> pairs[] = {{"kiosk-001", "d-7KQ2M4XJ9VB3R"},
                                                       {"", ""},
                                                       {"store-12-lobby", "Ωmega-device"},
                                                       {"k", std::string(200, 'x')}};
  for (const auto& [kiosk, device] : pairs) {
    auto row = connection->Query(StrCat("SELECT ", ScannerKeySql("$1::text", "$2::text")),
                                 Params(kiosk, device));
    ASSERT_TRUE(row) << row.error().message();
    EXPECT_EQ(ScannerKey(kiosk, device), row->Int(0, 0)) << kiosk << " " << device;
  }
  // MD5("b b") starts with a set bit: the key is negative, as PostgreSQL's bit(64)::bigint has it.
  EXPECT_EQ(ScannerKey("b", "b"), static_cast<std::int64_t>(0x8f26e54c201a6f5fULL));
}

TEST(ScannerKeyTest, IngestStoresWhatMigration7Computed) {
  testing::TempDir dir;
  testing::TestDatabase database(Backend::kPostgres, dir / "unused.db");
  auto identity = testing::TestHqIdentity(std::string(32, 'k'));
  ASSERT_TRUE(identity) << identity.error().message();
  FakeClock clock;
  auto store = database.Open(*identity, clock);
  ASSERT_TRUE(store) << store.error().message();
  for (const EventBatch& batch : testing::attribution::AttributionBatches(identity->public_key())) {
    auto answer = (*store)->Ingest(batch);
    ASSERT_TRUE(answer) << answer.error().message();
  }
  auto connection = testing::ConnectToSharedCluster();
  ASSERT_TRUE(connection) << connection.error().message();
  // Migration 7's generated expressions (attribution_schema.hpp), for every stored event.
  ASSERT_TRUE(connection->Exec(StrCat("SET search_path TO ", database.schema())));
  auto counts = connection->Query(
      "SELECT COUNT(*), "
      "COUNT(*) FILTER (WHERE type = 'scan'), COUNT(*) FILTER (WHERE scan_flags = 3), "
      "COUNT(*) FILTER (WHERE scan_flags IS DISTINCT FROM (CASE WHEN type = 'scan' THEN "
      "(CASE WHEN channel_id IS NOT NULL AND payload::jsonb->'valid' = 'true'::jsonb THEN 1 ELSE 0 "
      "END) + (CASE WHEN payload->>'code' = 'presence' AND payload->>'presence' = 'verified' "
      "THEN 2 ELSE 0 END) END) OR scanner_key IS DISTINCT FROM (CASE WHEN type = 'scan' THEN "
      "('x' || left(md5(kiosk_id || ' ' || device_id), 16))::bit(64)::bigint END)) FROM events");
  ASSERT_TRUE(counts) << counts.error().message();
  EXPECT_GT(counts->Int(0, 1), 10);  // the dataset's scans: valid, invalid, presence codes
  EXPECT_GT(counts->Int(0, 2), 0);   // an attributable verified presence scan among them
  EXPECT_EQ(counts->Int(0, 3), 0) << "of " << counts->Int(0, 0) << " events";
}

}  // namespace
}  // namespace kiosk_edge
