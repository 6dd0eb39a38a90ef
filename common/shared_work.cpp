#include "common/shared_work.hpp"

#include <algorithm>
#include <atomic>
#include <boost/asio/post.hpp>
#include <memory>

namespace kiosk_edge {
namespace {

// What the caller and the helper share. The helper's task keeps it alive, since it may start
// after ForEachIndex has returned; it then finds no chunk left and never touches `body`.
struct SharedLoop {
  SharedLoop(std::size_t count_in, std::size_t chunk_in,
             const std::function<void(std::size_t)>* body_in)
      : count(count_in), chunk(chunk_in), body(body_in) {}

  const std::size_t count;
  const std::size_t chunk;
  const std::function<void(std::size_t)>* const body;  // valid while finished < count
  std::atomic<std::size_t> next{0};                    // the first index not yet claimed
  std::atomic<std::size_t> finished{0};                // indexes whose call has returned
};

void ClaimChunks(SharedLoop& loop) {
  while (true) {
    const std::size_t begin = loop.next.fetch_add(loop.chunk);
    if (begin >= loop.count) return;
    const std::size_t end = std::min(loop.count, begin + loop.chunk);
    for (std::size_t i = begin; i < end; ++i) (*loop.body)(i);
    if (loop.finished.fetch_add(end - begin) + (end - begin) == loop.count) {
      loop.finished.notify_all();
    }
  }
}

}  // namespace

void ForEachIndex(std::size_t count, std::size_t chunk, boost::asio::thread_pool* helpers,
                  const std::function<void(std::size_t)>& body) {
  if (helpers == nullptr || count <= chunk) {
    for (std::size_t i = 0; i < count; ++i) body(i);
    return;
  }
  auto loop = std::make_shared<SharedLoop>(count, chunk, &body);
  boost::asio::post(*helpers, [loop] { ClaimChunks(*loop); });
  ClaimChunks(*loop);
  // Only chunks the helper claimed and is still running are left to wait for.
  for (std::size_t seen = loop->finished.load(); seen != count; seen = loop->finished.load()) {
    loop->finished.wait(seen);
  }
}

}  // namespace kiosk_edge
