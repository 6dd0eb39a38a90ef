#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "agent/event.hpp"
#include "agent/journal_file.hpp"
#include "common/error.hpp"
#include "common/sqlite.hpp"

namespace kiosk_edge {

// An event draft with the clock readings taken when it was submitted.
struct StampedDraft {
  const EventDraft* draft;
  std::int64_t occurred_at_ms;
  std::int64_t monotonic_ns;
};

// The journal's write side: owns the write connection and the seq counter. Not thread-safe;
// Journal serialises access to it.
class JournalWriter {
 public:
  static Result<JournalWriter> Create(OpenedJournalFile file, std::uint64_t max_disk_bytes,
                                      std::string boot_id);

  // Stores `batch` in one transaction and reports each event's outcome in order: its seq once
  // COMMIT returned; kJournalFull for the events past the disk budget (after shedding synced
  // events); kConflict for an event whose claim an earlier event holds; or the transaction's
  // error for all of them. Seqs are assigned, gap-free, only to committed events.
  std::vector<Result<std::int64_t>> CommitBatch(std::span<const StampedDraft> batch);

  // Records HQ's high-water mark and its dead letters; see Journal::MarkSynced.
  Result<void> MarkSynced(std::int64_t high_water, const std::vector<RefusedEvent>& dead_letters,
                          std::int64_t now_ms);

  // Scrubs the personal data of events `seqs`; see Journal::ScrubErased. In journal_scrub.cpp.
  Result<std::int64_t> ScrubErased(std::span<const std::int64_t> seqs);

  const JournalMeta& meta() const { return meta_; }

 private:
  JournalWriter(Database db, JournalMeta meta, std::uint64_t max_disk_bytes, std::string boot_id,
                Statement insert_event, Statement update_last_seq, Statement used_bytes,
                Statement insert_claim);
  Result<std::int64_t> UsedBytes();
  // Inserts what fits, advancing `last_seq` for each stored event.
  Result<std::vector<Result<std::int64_t>>> InsertBatch(std::span<const StampedDraft> batch,
                                                        std::int64_t& last_seq);
  // Takes `key` for event `seq`; false when an earlier event holds it.
  Result<bool> Claim(const std::string& key, std::int64_t seq);
  // Deletes synced events, oldest first, until `needed` more bytes fit the budget or none are
  // left. Returns the bytes in use afterwards.
  Result<std::int64_t> ShedSyncedFor(std::int64_t needed);

  Database db_;
  JournalMeta meta_;
  std::uint64_t max_disk_bytes_;
  std::string boot_id_;
  Statement insert_event_;
  Statement update_last_seq_;
  Statement used_bytes_;
  Statement insert_claim_;
};

}  // namespace kiosk_edge
