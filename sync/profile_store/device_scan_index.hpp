#pragma once

// SqliteStore's index of scans by device: every scan that carries a device id, keyed by
// (kiosk_id, device_id), in a SQLite file of its own beside the store, `<store>-device-scans`.
// The attribution report's touches and a profile's linked scans read it.
//
// Why a file of its own: inside the store, as an index on events, it cost a random insert per
// scan, and synchronous=FULL wrote and fsynced every page it touched with each batch, which halved
// one kiosk's ingest. Here it is derived data. A worker thread adds each committed batch's scans
// on a connection of its own (WAL, synchronous=OFF), off the ingest path. Open trusts the file
// only if it was closed cleanly for this very state of the store (a generation written to both by
// Close, so that a store restored from a backup is caught); otherwise it builds the file again
// from the store's events. Readers attach it through AttachTo, which first waits for the worker,
// and so see the scans of every batch committed before.

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/sqlite.hpp"

namespace kiosk_edge {

// A stored scan with a device id, of the stream its DeviceScanBatch names.
struct DeviceScan {
  std::string device_id;
  std::int64_t seq = 0;
  std::int64_t occurred_at_ms = 0;
  std::optional<std::string> channel_id;
  bool attributable = false;  // ScanFacts::attributable: a touch
};

// The stored scans with a device of one batch, which comes from one kiosk's stream.
struct DeviceScanBatch {
  std::string kiosk_id;
  std::string incarnation;
  std::vector<DeviceScan> scans;
};

// SqliteStore's migration 8: the store's events lose their device index, and gain the table that
// holds the generation.
inline constexpr std::string_view kDeviceScanIndexMigrationSql = R"sql(
DROP INDEX events_by_device;
CREATE TABLE device_scans_generation (
  singleton INTEGER PRIMARY KEY CHECK (singleton = 1), generation TEXT NOT NULL);
)sql";

class DeviceScanIndex {
 public:
  // How Open found the file.
  enum class Opened { kKept, kRebuilt };

  // Opens the index of `store` (migrated to version 8 or later, in no transaction), building it
  // again from the store's events when it cannot be trusted, then starts the worker. One process
  // at a time keeps it (a lock on `<store>-device-scans.lock`): kUnavailable in any other.
  static Result<std::unique_ptr<DeviceScanIndex>> Open(Database& store);
  // Stops the worker without marking the file clean: the next Open rebuilds it (Close keeps it).
  ~DeviceScanIndex();
  DeviceScanIndex(const DeviceScanIndex&) = delete;
  DeviceScanIndex& operator=(const DeviceScanIndex&) = delete;

  // Queues the scans of a batch the store has committed. Blocks while kMaxQueued scans wait to be
  // written.
  void Add(DeviceScanBatch batch);

  // While alive, the index is attached to a reader's connection as the schema `device_index`,
  // holding every scan added before AttachTo. Destroy it before the reader starts a write
  // transaction: BEGIN IMMEDIATE would take the index's write lock too.
  class Attachment {
   public:
    Attachment(Attachment&& other) noexcept : reader_(std::exchange(other.reader_, nullptr)) {}
    Attachment(const Attachment&) = delete;
    Attachment& operator=(const Attachment&) = delete;
    Attachment& operator=(Attachment&&) = delete;
    ~Attachment();

   private:
    friend class DeviceScanIndex;
    explicit Attachment(Database* reader) : reader_(reader) {}
    Database* reader_;
  };
  // Waits for the worker, then attaches the file to `reader` (in no transaction). Fails with the
  // worker's error should one of its writes have failed (the next Open rebuilds the file).
  Result<Attachment> AttachTo(Database& reader);

  // Waits for the worker, stops it and marks the file as matching `store` (in no transaction).
  // Afterwards only the destructor may be called.
  Result<void> Close(Database& store);

  Opened opened() const { return opened_; }
  const std::filesystem::path& path() const { return db_.path(); }

  static constexpr std::size_t kMaxQueued = 100'000;

 private:
  // The lock's descriptor, closed (so released) on destruction. Move-only.
  class HeldLock {
   public:
    explicit HeldLock(int fd) : fd_(fd) {}
    HeldLock(HeldLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    HeldLock(const HeldLock&) = delete;
    HeldLock& operator=(const HeldLock&) = delete;
    HeldLock& operator=(HeldLock&&) = delete;
    ~HeldLock();

   private:
    int fd_;
  };

  DeviceScanIndex(HeldLock lock, Database db, Opened opened);
  Result<void> Flush();
  void Loop();
  void Stop();

  const HeldLock lock_;  // declared first, so released after db_ has closed
  Database db_;          // the worker's while it runs
  const Opened opened_;
  std::mutex mutex_;  // guards the members below
  std::condition_variable changed_;
  std::vector<DeviceScanBatch> queued_;
  std::uint64_t added_ = 0;    // scans handed to Add
  std::uint64_t applied_ = 0;  // of those, written (or given up on: see failed_)
  std::optional<Error> failed_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace kiosk_edge
