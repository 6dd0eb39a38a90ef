#pragma once

// Checkpoints a WAL-mode SQLite database on a connection and thread of its own, so that the
// writer's COMMIT does not wait for the checkpoint's reads, writes and fsyncs (SQLite's automatic
// checkpoint runs inside the COMMIT that crosses its threshold).
//
// Its checkpoints are PASSIVE: they copy what they can without blocking the writer. SQLite starts
// the WAL afresh only when a transaction begins after a checkpoint has copied all of it, which a
// writer that never pauses never sees: so once the WAL holds `restart_at_frames`, the writer runs
// a RESTART checkpoint itself, after that COMMIT (it copies what the thread has not yet copied),
// and the next transaction reuses the WAL from its start. That bounds the WAL, except while a
// reader holds on to it (an online backup, say): then the RESTART gives up at once rather than
// stall the writer, and the next COMMIT tries again.

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/sqlite.hpp"

namespace kiosk_edge {

struct WalCheckpointPolicy {
  int checkpoint_at_frames = 1000;  // the thread checkpoints each time the WAL grows this much
  int restart_at_frames = 4096;     // the writer restarts the WAL at this many
};

class WalCheckpointer {
 public:
  // Takes over `writer`'s checkpoints (Database::SetWalCommitHook) and opens a connection of its
  // own to the same file. `log_name` prefixes its warnings. The writer must not commit after
  // this is destroyed.
  static Result<std::unique_ptr<WalCheckpointer>> Start(Database& writer,
                                                        WalCheckpointPolicy policy,
                                                        std::string log_name);
  // Runs one last checkpoint, then stops the thread.
  ~WalCheckpointer();
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

 private:
  WalCheckpointer(Database db, WalCheckpointPolicy policy, std::string log_name);
  void Committed(Database& writer, int wal_frames);
  void Loop();
  void Report(const Result<void>& done);

  Database db_;  // the thread's
  // The WAL's length at the last nudge; used by the committing thread only (commits are serial).
  int nudged_at_frames_ = 0;
  const WalCheckpointPolicy policy_;
  const std::string log_name_;
  std::mutex checkpointing_;  // held through each checkpoint, the thread's and the writer's
  std::mutex mutex_;          // guards pending_ and stopping_
  std::condition_variable wanted_;
  bool pending_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace kiosk_edge
