#include "agent/journal.hpp"

#include <algorithm>
#include <fstream>
#include <future>

#include "agent/journal_writer.hpp"
#include "common/log.hpp"
#include "common/sqlite.hpp"
#include "common/wal_checkpointer.hpp"

namespace kiosk_edge {
namespace {

std::string ReadBootId() {
  std::ifstream file("/proc/sys/kernel/random/boot_id");
  std::string id;
  if (!std::getline(file, id) || id.empty()) return "unknown";
  return id;
}

// Checkpoints at 1 MiB of WAL (quick); the writer restarts it just under 4 MiB, the size
// DatabaseOptions::wal_size_limit_bytes keeps the file to.
constexpr WalCheckpointPolicy kCheckpoints{.checkpoint_at_frames = 256, .restart_at_frames = 1000};

// Group-commit gathering: see WriterLoop.
constexpr std::size_t kGatherAfterBatchOf = 4;
constexpr std::chrono::microseconds kGatherWindow{200};

template <class Duration, class TimePoint>
std::int64_t Ticks(TimePoint point) {
  return std::chrono::duration_cast<Duration>(point.time_since_epoch()).count();
}

}  // namespace

// The read side: its own connection, so reads see committed data without waiting for writes.
class Journal::Reader {
 public:
  Reader(Database db, std::string kiosk_id, std::string incarnation)
      : db_(std::move(db)), kiosk_id_(std::move(kiosk_id)), incarnation_(std::move(incarnation)) {}

  Result<std::vector<JournalEvent>> ReadAfter(std::int64_t after_seq, std::size_t limit,
                                              bool definitions_only) {
    std::lock_guard lock(mutex_);
    auto select = db_.Prepare(
        definitions_only
            ? "SELECT seq, type, occurred_at_ms, monotonic_ns, boot_id, channel_id, "
              "payload_version, payload FROM events WHERE seq > ? AND type IN "
              "('channel_defined', 'channel_retired') ORDER BY seq LIMIT ?"
            : "SELECT seq, type, occurred_at_ms, monotonic_ns, boot_id, channel_id, "
              "payload_version, payload FROM events WHERE seq > ? ORDER BY seq LIMIT ?");
    if (!select) return select.error();
    Result<void> bound = select->Bind(1, after_seq);
    if (bound) bound = select->Bind(2, static_cast<std::int64_t>(limit));
    if (!bound) return bound.error();
    std::vector<JournalEvent> events;
    while (true) {
      auto row = select->Step();
      if (!row) return row.error();
      if (!*row) break;
      JournalEvent& event = events.emplace_back();
      event.kiosk_id = kiosk_id_;
      event.incarnation = incarnation_;
      event.seq = select->ColumnInt(0);
      event.type = select->ColumnText(1);
      event.occurred_at_ms = select->ColumnInt(2);
      event.monotonic_ns = select->ColumnInt(3);
      event.boot_id = select->ColumnText(4);
      if (!select->ColumnIsNull(5)) event.channel_id = select->ColumnText(5);
      event.payload_version = static_cast<int>(select->ColumnInt(6));
      event.payload_json = select->ColumnText(7);
    }
    return events;
  }

  Result<std::optional<std::int64_t>> FindClaim(std::string_view claim) {
    std::lock_guard lock(mutex_);
    auto select = db_.Prepare("SELECT seq FROM claims WHERE key = ?");
    if (!select) return select.error();
    if (auto bound = select->Bind(1, claim); !bound) return bound.error();
    auto row = select->Step();
    if (!row) return row.error();
    if (!*row) return std::optional<std::int64_t>();
    return std::optional<std::int64_t>(select->ColumnInt(0));
  }

  // One statement, so that every figure comes from the same snapshot.
  Result<JournalStats> Stats() {
    std::lock_guard lock(mutex_);
    auto select = db_.Prepare(
        "SELECT last_seq, synced_seq, (SELECT count(*) FROM events), "
        "(SELECT count(*) FROM dead_letters) FROM journal_meta");
    if (!select) return select.error();
    auto row = select->Step();
    if (!row) return row.error();
    if (!*row) return Error(ErrorKind::kCorrupt, "journal has no identity row");
    JournalStats stats;
    stats.kiosk_id = kiosk_id_;
    stats.incarnation = incarnation_;
    stats.last_seq = select->ColumnInt(0);
    stats.synced_seq = select->ColumnInt(1);
    stats.unsynced_count = stats.last_seq - stats.synced_seq;
    stats.stored_count = select->ColumnInt(2);
    stats.dead_letter_count = select->ColumnInt(3);
    auto used = db_.UsedBytes();
    if (!used) return used.error();
    stats.disk_bytes = *used;
    return stats;
  }

 private:
  std::mutex mutex_;
  Database db_;
  const std::string kiosk_id_;
  const std::string incarnation_;
};

Result<std::unique_ptr<Journal>> Journal::Open(JournalOptions options) {
  if (options.boot_id.empty()) options.boot_id = ReadBootId();
  auto file = OpenJournalFile(options.path, options.kiosk_id, *options.clock);
  if (!file) return file.error().WithContext("open journal");
  const std::string incarnation = file->meta.incarnation;
  const auto quarantined_to = file->quarantined_to;

  auto read_db = OpenJournalFileForReading(options.path);
  if (!read_db) return read_db.error().WithContext("open journal for reading");
  auto checkpointer = WalCheckpointer::Start(file->db, kCheckpoints, "journal");
  if (!checkpointer) return checkpointer.error().WithContext("journal");
  auto writer = JournalWriter::Create(std::move(*file), options.max_disk_bytes, options.boot_id);
  if (!writer) return writer.error().WithContext("open journal");

  auto reader = std::make_unique<Reader>(std::move(*read_db), options.kiosk_id, incarnation);
  std::unique_ptr<Journal> journal(
      new Journal(std::move(options), std::make_unique<JournalWriter>(std::move(*writer)),
                  std::move(reader), incarnation, quarantined_to, std::move(*checkpointer)));
  LogInfo("journal", "opened ", journal->options_.path.string(), " for kiosk ", journal->kiosk_id_,
          ", incarnation ", incarnation);
  return journal;
}

Journal::Journal(JournalOptions options, std::unique_ptr<JournalWriter> writer,
                 std::unique_ptr<Reader> reader, std::string incarnation,
                 std::optional<std::filesystem::path> quarantined_to,
                 std::unique_ptr<WalCheckpointer> checkpointer)
    : options_(std::move(options)),
      kiosk_id_(options_.kiosk_id),
      incarnation_(std::move(incarnation)),
      quarantined_to_(std::move(quarantined_to)),
      writer_(std::move(writer)),
      reader_(std::move(reader)),
      checkpointer_(std::move(checkpointer)),
      writer_thread_([this] { WriterLoop(); }) {}

Journal::~Journal() {
  {
    std::lock_guard lock(queue_mutex_);
    closing_ = true;
  }
  queue_ready_.notify_all();
  writer_thread_.join();
  checkpointer_.reset();  // one last checkpoint, of everything committed
}

void Journal::Submit(EventDraft draft, AppendCallback done) {
  if (auto valid = ValidateDraft(draft); !valid) {
    done(valid.error());
    return;
  }
  Pending pending{std::move(draft), std::move(done),
                  Ticks<std::chrono::milliseconds>(options_.clock->WallNow()),
                  Ticks<std::chrono::nanoseconds>(options_.clock->MonotonicNow())};
  {
    std::lock_guard lock(queue_mutex_);
    if (!closing_) {
      queue_.push_back(std::move(pending));
      if (queue_.size() >= wake_at_queue_size_) queue_ready_.notify_one();
      return;
    }
  }
  pending.done(Error(ErrorKind::kUnavailable, "journal is closing"));
}

Result<std::int64_t> Journal::Append(EventDraft draft) {
  std::promise<Result<std::int64_t>> promise;
  auto future = promise.get_future();
  Submit(std::move(draft), [&promise](Result<std::int64_t> seq) { promise.set_value(seq); });
  return future.get();
}

void Journal::WriterLoop() {
  std::vector<Pending> batch;
  std::vector<StampedDraft> stamped;
  std::size_t last_batch_size = 0;
  while (true) {
    {
      std::unique_lock lock(queue_mutex_);
      // Under load, the submitters just acknowledged come back one by one; committing the first
      // of them alone would halve every later batch. So after a large batch, give them a short
      // window to gather (PostgreSQL's commit_delay idea, bounded by one fsync's time).
      if (last_batch_size >= kGatherAfterBatchOf && queue_.size() < last_batch_size / 2) {
        wake_at_queue_size_ = last_batch_size / 2;
        queue_ready_.wait_for(lock, kGatherWindow,
                              [&] { return closing_ || queue_.size() >= wake_at_queue_size_; });
      }
      wake_at_queue_size_ = 1;
      queue_ready_.wait(lock, [this] { return closing_ || !queue_.empty(); });
      if (queue_.empty()) return;  // closing, and everything submitted has been committed
      const std::size_t take = std::min(queue_.size(), options_.max_batch_events);
      for (std::size_t i = 0; i < take; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    for (const Pending& pending : batch) {
      stamped.push_back({&pending.draft, pending.occurred_at_ms, pending.monotonic_ns});
    }
    std::vector<Result<std::int64_t>> outcomes;
    {
      std::lock_guard lock(writer_mutex_);
      outcomes = writer_->CommitBatch(stamped);
      const bool stored = std::any_of(outcomes.begin(), outcomes.end(),
                                      [](const auto& outcome) { return outcome.has_value(); });
      if (stored && commit_listener_) commit_listener_();
    }
    for (std::size_t i = 0; i < batch.size(); ++i) batch[i].done(std::move(outcomes[i]));
    last_batch_size = batch.size();
    batch.clear();
    stamped.clear();
  }
}

Result<std::vector<JournalEvent>> Journal::ReadAfter(std::int64_t after_seq, std::size_t limit) {
  return reader_->ReadAfter(after_seq, limit, /*definitions_only=*/false);
}

Result<std::vector<JournalEvent>> Journal::ReadDefinitionsAfter(std::int64_t after_seq,
                                                                std::size_t limit) {
  return reader_->ReadAfter(after_seq, limit, /*definitions_only=*/true);
}

Journal::SyncMarks Journal::Marks() {
  std::lock_guard lock(writer_mutex_);
  return SyncMarks{writer_->meta().last_seq, writer_->meta().synced_seq};
}

void Journal::SetCommitListener(std::function<void()> listener) {
  std::lock_guard lock(writer_mutex_);
  commit_listener_ = std::move(listener);
}

Result<void> Journal::MarkSynced(std::int64_t high_water,
                                 const std::vector<RefusedEvent>& dead_letters) {
  std::lock_guard lock(writer_mutex_);
  return writer_->MarkSynced(high_water, dead_letters,
                             std::chrono::duration_cast<std::chrono::milliseconds>(
                                 options_.clock->WallNow().time_since_epoch())
                                 .count());
}

Result<std::int64_t> Journal::ScrubErased(const std::vector<std::int64_t>& seqs) {
  std::lock_guard lock(writer_mutex_);
  return writer_->ScrubErased(seqs);
}

Result<std::optional<std::int64_t>> Journal::FindClaim(std::string_view claim) {
  return reader_->FindClaim(claim);
}

Result<JournalStats> Journal::Stats() {
  auto stats = reader_->Stats();
  if (stats) stats->max_disk_bytes = options_.max_disk_bytes;
  return stats;
}

}  // namespace kiosk_edge
