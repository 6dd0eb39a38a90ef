#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "agent/event.hpp"
#include "common/clock.hpp"
#include "common/error.hpp"

namespace kiosk_edge {

class Database;
class JournalWriter;
class WalCheckpointer;

struct JournalOptions {
  std::filesystem::path path;  // the database file; its folder must exist
  std::string kiosk_id;
  // Disk budget for the database (pages in use). Past it, synced events (other than
  // definitions) are shed oldest first;
  // when nothing synced is left, appends fail with kJournalFull. The WAL adds up to 4 MiB
  // (kCheckpoints in journal.cpp).
  std::uint64_t max_disk_bytes = 512ull << 20;
  std::size_t max_batch_events = 1024;  // events per group-commit transaction
  const Clock* clock = &SystemClock();
  std::string boot_id;  // empty: read /proc/sys/kernel/random/boot_id
};

struct JournalStats {
  std::string kiosk_id;
  std::string incarnation;
  std::int64_t last_seq = 0;
  std::int64_t synced_seq = 0;
  std::int64_t unsynced_count = 0;
  std::int64_t stored_count = 0;       // events still on disk (synced ones may have been shed)
  std::int64_t dead_letter_count = 0;  // events HQ refused
  std::int64_t disk_bytes = 0;
  std::uint64_t max_disk_bytes = 0;
};

// The kiosk's durable, append-only event journal (DESIGN.md §4).
//
// One writer thread commits queued events in batches (group commit). A submitter is told an
// event's seq only after the COMMIT that stored it returned under synchronous=FULL; a failed
// transaction assigns no seq, so seqs stay gap-free. Reads use a second connection and never
// wait for the writer. All methods are thread-safe.
class Journal {
 public:
  // Called on the writer thread, once, with the event's seq (durable) or why it was not stored.
  // Must be quick: post the result elsewhere rather than doing work here.
  using AppendCallback = std::function<void(Result<std::int64_t>)>;

  static Result<std::unique_ptr<Journal>> Open(JournalOptions options);
  // Commits everything already submitted, then stops the writer.
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Queues `draft`. An invalid draft, or a journal that is closing, fails at once (on the
  // calling thread, before Submit returns).
  void Submit(EventDraft draft, AppendCallback done);
  // Submits and waits until durable: the event's seq.
  Result<std::int64_t> Append(EventDraft draft);

  // Up to `limit` events with seq > `after_seq`, in seq order.
  Result<std::vector<JournalEvent>> ReadAfter(std::int64_t after_seq, std::size_t limit);
  // Like ReadAfter, but only definition events (channel_defined, channel_retired): the
  // configuration a kiosk rebuilds at start. Definition events are never shed.
  Result<std::vector<JournalEvent>> ReadDefinitionsAfter(std::int64_t after_seq, std::size_t limit);
  // Records that HQ holds every event up to `high_water` (idempotent; lower marks are ignored),
  // and copies the events HQ refused, with its reasons, to the dead-letter table in the same
  // transaction. A mark beyond the last committed seq, or a dead letter beyond the mark, is
  // refused.
  Result<void> MarkSynced(std::int64_t high_water,
                          const std::vector<RefusedEvent>& dead_letters = {});
  // Removes the personal data of the signup and consent_withdrawn events `seqs`, which HQ says
  // belong to an erased shopper (sync/protocol/erasure.hpp), in one transaction: their payloads
  // (and dead-letter copies) lose the sealed contact, the blind index and the device, and the
  // claims holding the blind index ("signup:...", "voucher-for:signup:...") are dropped, so the
  // shopper is forgotten here too. Other events and unknown seqs are left alone. Idempotent. The
  // number of events scrubbed now. Freed space is overwritten (secure_delete); older copies may
  // remain in the WAL until it is checkpointed and reused.
  Result<std::int64_t> ScrubErased(const std::vector<std::int64_t>& seqs);
  // `listener` is called on the writer thread after every commit that stored events (new events
  // to upload). It must be quick: post elsewhere. Set it before events are submitted.
  void SetCommitListener(std::function<void()> listener);
  Result<JournalStats> Stats();
  // The last committed seq and HQ's high-water mark, without reading the database (the uploader
  // asks before every batch; Stats() counts rows).
  struct SyncMarks {
    std::int64_t last_seq = 0;
    std::int64_t synced_seq = 0;
  };
  SyncMarks Marks();
  // The seq of the event holding `claim`, if any event does.
  Result<std::optional<std::int64_t>> FindClaim(std::string_view claim);

  const std::string& kiosk_id() const { return kiosk_id_; }
  const std::string& incarnation() const { return incarnation_; }
  // Where a corrupt journal found at Open was moved to, if one was.
  const std::optional<std::filesystem::path>& quarantined_to() const { return quarantined_to_; }

 private:
  struct Pending {
    EventDraft draft;
    AppendCallback done;
    std::int64_t occurred_at_ms;
    std::int64_t monotonic_ns;
  };
  class Reader;

  Journal(JournalOptions options, std::unique_ptr<JournalWriter> writer,
          std::unique_ptr<Reader> reader, std::string incarnation,
          std::optional<std::filesystem::path> quarantined_to,
          std::unique_ptr<WalCheckpointer> checkpointer);
  void WriterLoop();

  const JournalOptions options_;
  const std::string kiosk_id_;
  const std::string incarnation_;
  const std::optional<std::filesystem::path> quarantined_to_;
  std::mutex writer_mutex_;  // serialises the writer thread's batches and MarkSynced
  std::unique_ptr<JournalWriter> writer_;
  std::unique_ptr<Reader> reader_;

  std::mutex queue_mutex_;
  std::condition_variable queue_ready_;
  std::deque<Pending> queue_;
  std::size_t wake_at_queue_size_ = 1;  // Submit wakes the writer once the queue is this long
  bool closing_ = false;

  // Checkpoints the writer's WAL from a thread of its own; reset before the writer closes.
  std::unique_ptr<WalCheckpointer> checkpointer_;

  std::function<void()> commit_listener_;  // set before use; read by the writer thread only

  std::thread writer_thread_;
};

}  // namespace kiosk_edge
