#include "common/shared_work.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace kiosk_edge {
namespace {

// How often each index was visited, for count indexes in chunks of `chunk`.
std::vector<int> VisitsOf(std::size_t count, std::size_t chunk, boost::asio::thread_pool* helpers) {
  std::vector<std::atomic<int>> visits(count);
  ForEachIndex(count, chunk, helpers, [&](std::size_t i) { visits[i].fetch_add(1); });
  std::vector<int> result;
  for (const auto& visit : visits) result.push_back(visit.load());
  return result;
}

TEST(SharedWorkTest, EveryIndexIsVisitedExactlyOnceWithOrWithoutHelpers) {
  boost::asio::thread_pool helpers(2);
  for (const std::size_t count : {0u, 1u, 7u, 8u, 9u, 500u, 1001u}) {
    SCOPED_TRACE(count);
    EXPECT_EQ(VisitsOf(count, 8, nullptr), std::vector<int>(count, 1));
    EXPECT_EQ(VisitsOf(count, 8, &helpers), std::vector<int>(count, 1));
    EXPECT_EQ(VisitsOf(count, 1, &helpers), std::vector<int>(count, 1));
  }
  helpers.join();
}

TEST(SharedWorkTest, AFreeHelperTakesPart) {
  boost::asio::thread_pool helpers(1);
  std::mutex mutex;
  std::condition_variable joined;
  std::set<std::thread::id> threads;
  // Each thread's first call waits (up to 10 s) for a second thread to show up: the caller alone
  // would find the helper never came.
  ForEachIndex(64, 4, &helpers, [&](std::size_t) {
    std::unique_lock lock(mutex);
    if (!threads.insert(std::this_thread::get_id()).second) return;
    joined.notify_all();
    joined.wait_for(lock, std::chrono::seconds(10), [&] { return threads.size() >= 2; });
  });
  EXPECT_EQ(threads.size(), 2u);
  helpers.join();
}

TEST(SharedWorkTest, APoolWithNoFreeThreadDoesNotHoldUpTheCaller) {
  boost::asio::thread_pool helpers(1);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  boost::asio::post(helpers, [released] { released.wait(); });  // the pool's only thread, busy
  std::atomic<int> by_the_caller = 0;
  auto finished = std::async(std::launch::async, [&] {
    const std::thread::id caller = std::this_thread::get_id();
    ForEachIndex(100, 4, &helpers, [&](std::size_t) {
      if (std::this_thread::get_id() == caller) by_the_caller.fetch_add(1);
    });
  });
  const bool returned = finished.wait_for(std::chrono::seconds(30)) == std::future_status::ready;
  const int done_alone = by_the_caller.load();
  release.set_value();  // lets a wrongly waiting call finish too, so that the test ends
  finished.wait();
  EXPECT_TRUE(returned) << "ForEachIndex waited for a helper that could not start";
  EXPECT_EQ(done_alone, 100);
  helpers.join();
}

}  // namespace
}  // namespace kiosk_edge
