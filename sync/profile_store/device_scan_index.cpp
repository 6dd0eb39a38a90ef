#include "sync/profile_store/device_scan_index.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <system_error>

#include "common/log.hpp"
#include "common/random.hpp"
#include "sync/profile_store/sqlite_binding.hpp"

namespace kiosk_edge {
namespace {

using sqlite_binding::BindAll;
using sqlite_binding::Run;

constexpr std::string_view kLog = "profile-store";

constexpr std::string_view kSchemaSql = R"sql(
CREATE TABLE IF NOT EXISTS device_scans (
  kiosk_id TEXT NOT NULL, device_id TEXT NOT NULL, incarnation TEXT NOT NULL, seq INTEGER NOT NULL,
  occurred_at_ms INTEGER NOT NULL, channel_id TEXT, attributable INTEGER NOT NULL,
  PRIMARY KEY (kiosk_id, device_id, incarnation, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS device_scans_state (
  singleton INTEGER PRIMARY KEY CHECK (singleton = 1), closed_at_generation TEXT);
)sql";

// OR IGNORE: a scan is added once per commit of its event, but a duplicate must not stop the rest.
constexpr std::string_view kInsertSql =
    "INSERT OR IGNORE INTO device_scans (kiosk_id, device_id, incarnation, seq, occurred_at_ms, "
    "channel_id, attributable) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

// The same rows from the store's events (`attributable` as event_rules.cpp's ScanFacts).
constexpr std::string_view kRebuildSql =
    "INSERT INTO device_scans (kiosk_id, device_id, incarnation, seq, occurred_at_ms, channel_id, "
    "attributable) SELECT kiosk_id, device_id, incarnation, seq, occurred_at_ms, channel_id, "
    "channel_id IS NOT NULL AND json_extract(payload, '$.valid') IS 1 FROM store.events "
    "WHERE type = 'scan' AND device_id IS NOT NULL "
    "ORDER BY kiosk_id, device_id, incarnation, seq";

constexpr std::int64_t kCacheBytes = 32 * 1024 * 1024;

std::filesystem::path IndexPath(const Database& store) {
  return store.path().string() + "-device-scans";
}

void RemoveFiles(const std::filesystem::path& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::error_code ignored;
    std::filesystem::remove(path.string() + suffix, ignored);
  }
}

// The lock of the index at `path`, held for as long as the returned descriptor stays open.
Result<int> Lock(const std::filesystem::path& path) {
  const std::string lock_path = path.string() + ".lock";
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Error(ErrorKind::kIo, StrCat(lock_path, ": cannot open: ", std::strerror(errno)));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    ::close(fd);
    if (error == EWOULDBLOCK) {
      return Error(ErrorKind::kUnavailable,
                   StrCat(path.string(), " is kept by another profile-store process"));
    }
    return Error(ErrorKind::kIo, StrCat(lock_path, ": cannot lock: ", std::strerror(error)));
  }
  return fd;
}

Result<Database> OpenFile(const std::filesystem::path& path) {
  DatabaseOptions options;
  options.durable = false;  // derived data: rebuilt after anything but a clean Close
  options.cache_bytes = kCacheBytes;
  auto db = Database::Open(path, options);
  if (!db) return db.error();
  if (auto made = db->Exec(kSchemaSql); !made) return made.error();
  return db;
}

// The store's generation; empty before the first Close.
Result<std::string> StoreGeneration(Database& store) {
  auto select = store.Prepare("SELECT generation FROM device_scans_generation");
  if (!select) return select.error();
  std::string generation;
  auto read = select->ReadOne([&](const Statement& row) { generation = row.ColumnText(0); });
  if (!read) return read.error();
  return generation;
}

// Why `db` cannot be trusted as the index of the store at `generation`; empty when it can.
std::string Distrust(Database& db, const std::string& generation) {
  auto select = db.Prepare("SELECT closed_at_generation FROM device_scans_state");
  if (!select) return select.error().message();
  std::string closed_at;
  auto read = select->ReadOne([&](const Statement& row) {
    if (!row.ColumnIsNull(0)) closed_at = row.ColumnText(0);
  });
  if (!read) return read.error().message();
  if (closed_at.empty()) return "it was not closed cleanly";
  if (closed_at != generation) return "it belongs to another state of the store";
  return "";
}

// Writes the generation the file was closed at (none: open, not to be trusted), with an fsync
// (the worker's own commits skip it).
Result<void> MarkClosedAt(Database& db, const std::optional<std::string>& generation) {
  if (auto durable = db.Exec("PRAGMA synchronous=FULL"); !durable) return durable.error();
  Result<void> done = Run(
      db,
      "INSERT INTO device_scans_state (singleton, closed_at_generation) VALUES (1, ?1) "
      "ON CONFLICT (singleton) DO UPDATE SET closed_at_generation = excluded.closed_at_generation",
      generation);
  if (auto fast = db.Exec("PRAGMA synchronous=OFF"); !fast && done) done = fast;
  return done;
}

// Fills the empty `db` from the events of the store at `store_path`, in one transaction.
Result<std::int64_t> Rebuild(Database& db, const std::filesystem::path& store_path) {
  if (auto attached = Run(db, "ATTACH DATABASE ?1 AS store", store_path.string()); !attached) {
    return attached.error();
  }
  // A deferred BEGIN: BEGIN IMMEDIATE would take the store's write lock as well.
  Result<void> done = db.Exec("BEGIN");
  if (done) done = db.Exec(kRebuildSql);
  const std::int64_t rows = db.Changes();
  if (done) done = db.Exec("COMMIT");
  if (!done) (void)db.Exec("ROLLBACK");
  if (auto detached = db.Exec("DETACH DATABASE store"); !detached && done) done = detached;
  if (!done) return done.error();
  return rows;
}

}  // namespace

Result<std::unique_ptr<DeviceScanIndex>> DeviceScanIndex::Open(Database& store) {
  const std::filesystem::path path = IndexPath(store);
  auto lock_fd = Lock(path);
  if (!lock_fd) return lock_fd.error().WithContext("device scan index");
  HeldLock lock(*lock_fd);  // released on every return below, unless the index takes it
  auto generation = StoreGeneration(store);
  if (!generation) return generation.error().WithContext("device scan index");
  std::string distrust = "it is missing";
  std::optional<Database> db;
  if (std::filesystem::exists(path)) {
    auto existing = OpenFile(path);
    distrust = existing ? Distrust(*existing, *generation) : existing.error().message();
    if (distrust.empty()) db = std::move(*existing);
  }
  Opened opened = Opened::kKept;
  if (!db) {
    opened = Opened::kRebuilt;
    LogInfo(kLog, "building ", path.string(), " from the store's events: ", distrust);
    const auto started = std::chrono::steady_clock::now();
    RemoveFiles(path);
    auto fresh = OpenFile(path);
    if (!fresh) return fresh.error().WithContext("device scan index");
    auto rows = Rebuild(*fresh, store.path());
    if (!rows) return rows.error().WithContext(StrCat("device scan index: rebuilding ", path));
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
    LogInfo(kLog, "built ", path.string(), ": ", *rows, " scans in ", took.count(), " s");
    db = std::move(*fresh);
  }
  // From here until Close the file is not trusted: a crash leaves it to be rebuilt.
  if (auto marked = MarkClosedAt(*db, std::nullopt); !marked) {
    return marked.error().WithContext("device scan index");
  }
  auto index = std::unique_ptr<DeviceScanIndex>(
      new DeviceScanIndex(std::move(lock), std::move(*db), opened));
  index->thread_ = std::thread([raw = index.get()] { raw->Loop(); });
  return index;
}

DeviceScanIndex::DeviceScanIndex(HeldLock lock, Database db, Opened opened)
    : lock_(std::move(lock)), db_(std::move(db)), opened_(opened) {}

DeviceScanIndex::~DeviceScanIndex() { Stop(); }

DeviceScanIndex::HeldLock::~HeldLock() {
  if (fd_ >= 0) ::close(fd_);
}

void DeviceScanIndex::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void DeviceScanIndex::Add(DeviceScanBatch batch) {
  if (batch.scans.empty()) return;
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [this] { return added_ - applied_ < kMaxQueued || stopping_; });
  if (stopping_) return;  // after Close: nothing would apply them
  added_ += batch.scans.size();
  queued_.push_back(std::move(batch));
  changed_.notify_all();
}

void DeviceScanIndex::Loop() {
  auto insert = db_.Prepare(kInsertSql);
  const auto write = [&](const std::vector<DeviceScanBatch>& batches) -> Result<void> {
    if (!insert) return insert.error();
    auto transaction = Transaction::Begin(db_);
    if (!transaction) return transaction.error();
    for (const DeviceScanBatch& batch : batches) {
      for (const DeviceScan& scan : batch.scans) {
        auto bound =
            BindAll(*insert, batch.kiosk_id, scan.device_id, batch.incarnation, scan.seq,
                    scan.occurred_at_ms, scan.channel_id, std::int64_t{scan.attributable ? 1 : 0});
        if (!bound) return bound.error();
        if (auto ran = insert->Run(); !ran) return ran.error();
      }
    }
    return transaction->Commit();
  };
  std::unique_lock lock(mutex_);
  while (true) {
    changed_.wait(lock, [this] { return stopping_ || !queued_.empty(); });
    if (queued_.empty()) return;  // stopping, with everything written
    std::vector<DeviceScanBatch> batches = std::move(queued_);
    queued_.clear();
    const bool skip = failed_.has_value();
    lock.unlock();
    Result<void> written = skip ? Result<void>() : write(batches);
    lock.lock();
    if (!written) {
      LogError(kLog, "device scan index: ", written.error().message(),
               "; reports fail until profile-store restarts and rebuilds it");
      failed_ = written.error();
    }
    for (const DeviceScanBatch& batch : batches) applied_ += batch.scans.size();
    changed_.notify_all();
  }
}

Result<void> DeviceScanIndex::Flush() {
  std::unique_lock lock(mutex_);
  const std::uint64_t target = added_;
  changed_.wait(lock, [&] { return applied_ >= target; });
  if (failed_) return failed_->WithContext("device scan index");
  return {};
}

Result<DeviceScanIndex::Attachment> DeviceScanIndex::AttachTo(Database& reader) {
  if (auto flushed = Flush(); !flushed) return flushed.error();
  if (auto attached = Run(reader, "ATTACH DATABASE ?1 AS device_index", path().string());
      !attached) {
    return attached.error();
  }
  return Attachment(&reader);
}

DeviceScanIndex::Attachment::~Attachment() {
  if (reader_ == nullptr) return;
  if (auto detached = reader_->Exec("DETACH DATABASE device_index"); !detached) {
    LogError(kLog, "device scan index: ", detached.error().message());
  }
}

Result<void> DeviceScanIndex::Close(Database& store) {
  if (auto flushed = Flush(); !flushed) return flushed.error();
  Stop();
  auto generation = RandomHex(16);
  if (!generation) return generation.error();
  // The store first: should the index's mark not follow, the generations differ and the next
  // Open rebuilds.
  if (auto stored =
          Run(store,
              "INSERT INTO device_scans_generation (singleton, generation) VALUES (1, ?1) "
              "ON CONFLICT (singleton) DO UPDATE SET generation = excluded.generation",
              *generation);
      !stored) {
    return stored.error();
  }
  return MarkClosedAt(db_, *generation);
}

}  // namespace kiosk_edge
