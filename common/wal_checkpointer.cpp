#include "common/wal_checkpointer.hpp"

#include "common/log.hpp"

namespace kiosk_edge {

Result<std::unique_ptr<WalCheckpointer>> WalCheckpointer::Start(Database& writer,
                                                                WalCheckpointPolicy policy,
                                                                std::string log_name) {
  auto db = Database::Open(writer.path(), DatabaseOptions{});
  if (!db) return db.error().WithContext("open for checkpoints");
  std::unique_ptr<WalCheckpointer> checkpointer(
      new WalCheckpointer(std::move(*db), policy, std::move(log_name)));
  writer.SetWalCommitHook([self = checkpointer.get()](Database& committed, int wal_frames) {
    self->Committed(committed, wal_frames);
  });
  return checkpointer;
}

WalCheckpointer::WalCheckpointer(Database db, WalCheckpointPolicy policy, std::string log_name)
    : db_(std::move(db)),
      policy_(policy),
      log_name_(std::move(log_name)),
      thread_([this] { Loop(); }) {}

WalCheckpointer::~WalCheckpointer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wanted_.notify_one();
  thread_.join();
}

void WalCheckpointer::Committed(Database& writer, int wal_frames) {
  if (wal_frames < nudged_at_frames_) nudged_at_frames_ = 0;  // the WAL started afresh
  if (wal_frames >= policy_.restart_at_frames) {
    // SQLite fails a checkpoint at once, without waiting, while another runs: wait for ours.
    std::lock_guard lock(checkpointing_);
    Report(writer.Checkpoint(CheckpointMode::kRestart));
  } else if (wal_frames - nudged_at_frames_ >= policy_.checkpoint_at_frames) {
    // Once per checkpoint_at_frames of growth: a checkpoint (and its fsync) per small commit
    // would cost more than it copies.
    nudged_at_frames_ = wal_frames;
    {
      std::lock_guard lock(mutex_);
      pending_ = true;
    }
    wanted_.notify_one();
  }
}

void WalCheckpointer::Loop() {
  while (true) {
    bool last = false;
    {
      std::unique_lock lock(mutex_);
      wanted_.wait(lock, [this] { return pending_ || stopping_; });
      pending_ = false;
      last = stopping_;
    }
    {
      std::lock_guard lock(checkpointing_);
      Report(db_.Checkpoint(CheckpointMode::kPassive));
    }
    if (last) return;
  }
}

void WalCheckpointer::Report(const Result<void>& done) {
  // kUnavailable: another connection holds what the checkpoint needs (another checkpoint, or a
  // reader past the busy timeout); a later one catches up.
  if (!done && done.error().kind() != ErrorKind::kUnavailable) {
    LogWarning(log_name_, "checkpoint: ", done.error().message());
  }
}

}  // namespace kiosk_edge
