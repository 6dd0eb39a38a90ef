#pragma once

// A value that is read by many threads and replaced whole now and then: HQ's config bundle swaps
// the channel-code keys and HQ's sealing key of a running kiosk (HqConfigKeeper). A reader takes
// a snapshot and uses it for as long as it needs; a replacement never changes a snapshot already
// taken, so a request sees one consistent value from start to end. Thread-safe.

#include <memory>
#include <mutex>
#include <utility>

namespace kiosk_edge {

template <class T>
class SharedSnapshot {
 public:
  explicit SharedSnapshot(T initial) : current_(std::make_shared<const T>(std::move(initial))) {}
  SharedSnapshot(const SharedSnapshot&) = delete;
  SharedSnapshot& operator=(const SharedSnapshot&) = delete;

  std::shared_ptr<const T> Current() const {
    std::lock_guard lock(mutex_);
    return current_;
  }
  void Replace(T next) {
    auto replacement = std::make_shared<const T>(std::move(next));
    std::lock_guard lock(mutex_);
    current_ = std::move(replacement);
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const T> current_;
};

}  // namespace kiosk_edge
