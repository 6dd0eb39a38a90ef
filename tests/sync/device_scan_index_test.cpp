// DeviceScanIndex: readers see every added scan, a clean close keeps the file, and anything
// else (a crash, a store restored from a backup, a damaged file) rebuilds it from the store's
// events, with the same rows that SqliteStore's ingest adds.

#include "sync/profile_store/device_scan_index.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "common/fake_clock.hpp"
#include "common/strings.hpp"
#include "support/temp_dir.hpp"
#include "support/test_stores.hpp"
#include "sync/attribution_dataset.hpp"
#include "sync/profile_store/sqlite_store.hpp"

namespace kiosk_edge {
namespace {

namespace fs = std::filesystem;

// The store's side: its version-1 events table (with the index migration 8 drops) and
// migration 8, as SqliteStore has them.
constexpr std::string_view kEventsSql = R"sql(
CREATE TABLE events (
  kiosk_id TEXT NOT NULL, incarnation TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL,
  occurred_at_ms INTEGER NOT NULL, channel_id TEXT, device_id TEXT, payload TEXT NOT NULL,
  PRIMARY KEY (kiosk_id, incarnation, seq)) WITHOUT ROWID;
CREATE INDEX events_by_device ON events (kiosk_id, device_id) WHERE device_id IS NOT NULL;
)sql";

constexpr Migration kStoreMigrations[] = {{1, kEventsSql}, {8, kDeviceScanIndexMigrationSql}};

std::unique_ptr<Database> OpenStore(const fs::path& path) {
  auto db = Database::Open(path, DatabaseOptions{});
  EXPECT_TRUE(db) << db.error().message();
  if (!db) return nullptr;
  auto migrated = Migrate(*db, kStoreMigrations);
  EXPECT_TRUE(migrated) << migrated.error().message();
  return std::make_unique<Database>(std::move(*db));
}

void StoreEvent(Database& store, std::int64_t seq, std::string_view type, std::string_view channel,
                std::string_view device, std::string_view payload) {
  const auto text = [](std::string_view value) {
    return value.empty() ? std::string("NULL") : StrCat("'", value, "'");
  };
  auto stored =
      store.Exec(StrCat("INSERT INTO events VALUES ('k1', 'i1', ", seq, ", '", type, "', ",
                        1000 + seq, ", ", text(channel), ", ", text(device), ", '", payload, "')"));
  ASSERT_TRUE(stored) << stored.error().message();
}

DeviceScan MakeDeviceScan(std::int64_t seq, std::string device, std::optional<std::string> channel,
                          bool attributable) {
  return DeviceScan{std::move(device), seq, 1000 + seq, std::move(channel), attributable};
}

// `scans` as a batch of kiosk k1's stream i1.
DeviceScanBatch OfK1(std::vector<DeviceScan> scans) { return {"k1", "i1", std::move(scans)}; }

// Every row of `table` on `db`, "kiosk device incarnation seq at channel attributable".
std::vector<std::string> RowsOf(Database& db, std::string_view table) {
  auto select = db.Prepare(
      StrCat("SELECT kiosk_id || ' ' || device_id || ' ' || incarnation || ' ' || seq || ' ' || "
             "occurred_at_ms || ' ' || COALESCE(channel_id, '-') || ' ' || attributable FROM ",
             table, " ORDER BY kiosk_id, device_id, incarnation, seq"));
  EXPECT_TRUE(select) << select.error().message();
  std::vector<std::string> rows;
  while (select) {
    auto row = select->Step();
    EXPECT_TRUE(row) << row.error().message();
    if (!row || !*row) break;
    rows.push_back(select->ColumnText(0));
  }
  return rows;
}

// The index's rows, read as readers do.
std::vector<std::string> IndexRows(DeviceScanIndex& index, Database& reader) {
  auto attached = index.AttachTo(reader);
  EXPECT_TRUE(attached) << attached.error().message();
  if (!attached) return {};
  return RowsOf(reader, "device_index.device_scans");
}

std::unique_ptr<DeviceScanIndex> OpenIndex(Database& store) {
  auto index = DeviceScanIndex::Open(store);
  EXPECT_TRUE(index) << index.error().message();
  return index ? std::move(*index) : nullptr;
}

class DeviceScanIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = OpenStore(store_path_);
    ASSERT_NE(store_, nullptr);
  }

  // Opens the index and expects it rebuilt from the store, which holds one scan: d1's, seq 1.
  void ExpectOpenRebuildsScan1() {
    auto index = OpenIndex(*store_);
    ASSERT_NE(index, nullptr);
    EXPECT_EQ(index->opened(), DeviceScanIndex::Opened::kRebuilt);
    EXPECT_EQ(IndexRows(*index, *store_), std::vector<std::string>{"k1 d1 i1 1 1001 c1 1"});
  }

  testing::TempDir dir_;
  const fs::path store_path_ = dir_.path() / "hq.db";
  std::unique_ptr<Database> store_;
};

TEST_F(DeviceScanIndexTest, ReadersSeeEveryScanAddedBefore) {
  auto index = OpenIndex(*store_);
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(index->opened(), DeviceScanIndex::Opened::kRebuilt);  // there was none
  // More than kMaxQueued in all, so Add also waits for room.
  constexpr int kChunks = 30;
  constexpr int kPerChunk = 5'000;
  for (int chunk = 0; chunk < kChunks; ++chunk) {
    std::vector<DeviceScan> scans;
    for (int i = 0; i < kPerChunk; ++i) {
      const int seq = chunk * kPerChunk + i + 1;
      scans.push_back(MakeDeviceScan(seq, StrCat("d", seq), "c1", true));
    }
    index->Add(OfK1(std::move(scans)));
  }
  EXPECT_EQ(IndexRows(*index, *store_).size(), std::size_t{kChunks * kPerChunk});
}

TEST_F(DeviceScanIndexTest, ACleanCloseKeepsTheFile) {
  auto index = OpenIndex(*store_);
  ASSERT_NE(index, nullptr);
  index->Add(
      OfK1({MakeDeviceScan(1, "d1", "c1", true), MakeDeviceScan(2, "d2", std::nullopt, false)}));
  ASSERT_TRUE(index->Close(*store_));
  index.reset();
  index = OpenIndex(*store_);
  ASSERT_NE(index, nullptr);
  // Kept as it was, not rebuilt (the store holds no events).
  EXPECT_EQ(index->opened(), DeviceScanIndex::Opened::kKept);
  EXPECT_EQ(IndexRows(*index, *store_),
            (std::vector<std::string>{"k1 d1 i1 1 1001 c1 1", "k1 d2 i1 2 1002 - 0"}));
}

TEST_F(DeviceScanIndexTest, WithoutACleanCloseItIsRebuiltFromTheStoresEvents) {
  StoreEvent(*store_, 1, "scan", "c1", "d1", R"({"valid":true})");
  StoreEvent(*store_, 2, "scan", "c1", "d2", R"({"valid":false})");
  StoreEvent(*store_, 3, "scan", "", "d3", R"({"valid":true})");
  StoreEvent(*store_, 4, "scan", "c1", "", R"({"valid":true})");      // no device
  StoreEvent(*store_, 5, "signup", "c1", "d1", R"({"valid":true})");  // not a scan
  const std::vector<std::string> expected = {"k1 d1 i1 1 1001 c1 1", "k1 d2 i1 2 1002 c1 0",
                                             "k1 d3 i1 3 1003 - 0"};
  auto index = OpenIndex(*store_);
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(IndexRows(*index, *store_), expected);
  ASSERT_TRUE(index->Close(*store_));
  index.reset();
  index = OpenIndex(*store_);
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(index->opened(), DeviceScanIndex::Opened::kKept);
  // A scan the store does not hold, then a crash: no Close.
  index->Add(OfK1({MakeDeviceScan(9, "d9", "c1", true)}));
  EXPECT_EQ(IndexRows(*index, *store_).size(), 4u);
  index.reset();
  index = OpenIndex(*store_);
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(index->opened(), DeviceScanIndex::Opened::kRebuilt);
  EXPECT_EQ(IndexRows(*index, *store_), expected);
}

TEST_F(DeviceScanIndexTest, AStoreRestoredFromABackupRebuildsIt) {
  StoreEvent(*store_, 1, "scan", "c1", "d1", R"({"valid":true})");
  auto index = OpenIndex(*store_);
  ASSERT_NE(index, nullptr);
  ASSERT_TRUE(index->Close(*store_));
  index.reset();
  store_.reset();
  const fs::path backup = dir_.path() / "backup.db";
  fs::copy_file(store_path_, backup);
  // The next session stores another scan and closes cleanly.
  store_ = OpenStore(store_path_);
  StoreEvent(*store_, 2, "scan", "c1", "d2", R"({"valid":true})");
  index = OpenIndex(*store_);
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(index->opened(), DeviceScanIndex::Opened::kKept);
  index->Add(OfK1({MakeDeviceScan(2, "d2", "c1", true)}));
  ASSERT_TRUE(index->Close(*store_));
  index.reset();
  store_.reset();
  // The backup comes back: the index's scan 2 is not in it.
  fs::copy_file(backup, store_path_, fs::copy_options::overwrite_existing);
  store_ = OpenStore(store_path_);
  ExpectOpenRebuildsScan1();
}

TEST_F(DeviceScanIndexTest, AFailedWriteFailsReadersAndTheFileIsRebuilt) {
  StoreEvent(*store_, 1, "scan", "c1", "d1", R"({"valid":true})");
  auto index = OpenIndex(*store_);
  ASSERT_NE(index, nullptr);
  {  // Another connection takes the table away: the worker's next insert fails.
    auto meddler = Database::Open(index->path(), DatabaseOptions{});
    ASSERT_TRUE(meddler) << meddler.error().message();
    ASSERT_TRUE(meddler->Exec("DROP TABLE device_scans"));
  }
  index->Add(OfK1({MakeDeviceScan(2, "d2", "c1", true)}));
  auto attached = index->AttachTo(*store_);
  ASSERT_FALSE(attached);
  EXPECT_NE(attached.error().message().find("device scan index"), std::string::npos)
      << attached.error().message();
  EXPECT_FALSE(index->Close(*store_));  // not marked clean
  index.reset();
  ExpectOpenRebuildsScan1();
}

TEST_F(DeviceScanIndexTest, ADamagedFileIsRebuilt) {
  StoreEvent(*store_, 1, "scan", "c1", "d1", R"({"valid":true})");
  const fs::path path = store_path_.string() + "-device-scans";
  std::ofstream(path, std::ios::binary) << std::string(8192, 'x');
  ExpectOpenRebuildsScan1();
}

TEST_F(DeviceScanIndexTest, OneProcessAtATimeKeepsIt) {
  auto index = OpenIndex(*store_);
  ASSERT_NE(index, nullptr);
  auto second_store = OpenStore(store_path_);  // another connection, as another process has
  ASSERT_NE(second_store, nullptr);
  auto second = DeviceScanIndex::Open(*second_store);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().kind(), ErrorKind::kUnavailable);
  EXPECT_NE(second.error().message().find("kept by another profile-store process"),
            std::string::npos)
      << second.error().message();
  index.reset();  // released with the index
  EXPECT_NE(OpenIndex(*second_store), nullptr);
}

// Every row of a closed index file.
std::vector<std::string> FileRows(const fs::path& path) {
  auto db = Database::Open(path, DatabaseOptions{});
  EXPECT_TRUE(db) << db.error().message();
  if (!db) return {};
  return RowsOf(*db, "device_scans");
}

TEST(DeviceScanIndexOfSqliteStoreTest, IngestAddsTheRowsARebuildFindsInTheEvents) {
  testing::TempDir dir;
  const fs::path store_path = dir.path() / "hq.db";
  const fs::path index_path = store_path.string() + "-device-scans";
  auto identity = testing::TestHqIdentity(std::string(32, 'k'));
  ASSERT_TRUE(identity) << identity.error().message();
  FakeClock clock;
  {
    auto store = SqliteStore::Open(store_path, *identity, clock);
    ASSERT_TRUE(store) << store.error().message();
    for (const EventBatch& batch :
         testing::attribution::AttributionBatches(identity->public_key())) {
      auto answer = (*store)->Ingest(batch);
      ASSERT_TRUE(answer) << answer.error().message();
      ASSERT_TRUE(answer->rejected.empty()) << answer->rejected[0].reason;
    }
  }
  const std::vector<std::string> live = FileRows(index_path);
  // The dataset has touches and scans that are not (invalid ones).
  const auto attributable = [](std::string_view row) { return row.ends_with(" 1"); };
  EXPECT_TRUE(std::any_of(live.begin(), live.end(), attributable));
  EXPECT_FALSE(std::all_of(live.begin(), live.end(), attributable));
  fs::remove(index_path);
  {
    auto store = SqliteStore::Open(store_path, *identity, clock);
    ASSERT_TRUE(store) << store.error().message();
  }
  EXPECT_EQ(FileRows(index_path), live);
}

TEST(DeviceScanIndexOfSqliteStoreTest, TheCommandLinesStoreRunsBesideTheServersWithoutIngest) {
  testing::TempDir dir;
  const fs::path store_path = dir.path() / "hq.db";
  auto identity = testing::TestHqIdentity(std::string(32, 'k'));
  ASSERT_TRUE(identity) << identity.error().message();
  FakeClock clock;
  auto serving = SqliteStore::Open(store_path, *identity, clock);
  ASSERT_TRUE(serving) << serving.error().message();
  auto beside = SqliteStore::Open(store_path, *identity, clock, SqliteStore::DeviceScans::kAbsent);
  ASSERT_TRUE(beside) << beside.error().message();
  EXPECT_TRUE((*beside)->CreateEnrollmentToken("kiosk-9", std::chrono::hours(1)));
  const auto batches = testing::attribution::AttributionBatches(identity->public_key());
  auto refused = (*beside)->Ingest(batches.front());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind(), ErrorKind::kUnavailable);
  EXPECT_TRUE((*serving)->Ingest(batches.front()));
}

}  // namespace
}  // namespace kiosk_edge
