#pragma once

// Splits a loop over indexes between the calling thread and one thread of a pool, when the pool
// has one free: profile-store prepares a batch's events (opening sealed phones costs CPU) on the
// ingest's own thread, and a spare core takes half.

#include <boost/asio/thread_pool.hpp>
#include <cstddef>
#include <functional>

namespace kiosk_edge {

// Calls body(i) exactly once for every i in [0, count), `chunk` indexes at a time (chunk > 0),
// and returns when all calls have returned. The calling thread works through the indexes itself;
// with `helpers`, one task posted to it claims chunks too while any are left. The caller never
// waits for that task to start, so a pool whose threads are all busy (or that runs this very
// call) costs nothing but the post. `body` must be safe to call from two threads at once for
// different indexes, and must not throw.
void ForEachIndex(std::size_t count, std::size_t chunk, boost::asio::thread_pool* helpers,
                  const std::function<void(std::size_t)>& body);

}  // namespace kiosk_edge
