#pragma once

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <type_traits>
#include <utility>

namespace kiosk_edge {

// Runs blocking `work` (SQLite, file I/O, image decoding) on `pool`; the awaiting coroutine
// resumes on its own executor with work's result, so the I/O thread never blocks.
//
// `work` is copied. Pass a named object: GCC 12 destroys non-trivial temporaries created inside
// a co_await expression twice (a lambda written in place, a braced temporary), so this is a
// plain asynchronous operation taking a reference, not a coroutine taking a value.
template <class Work>
auto RunBlocking(boost::asio::thread_pool& pool, const Work& work) {
  using Value = std::invoke_result_t<Work&>;
  auto initiation = [&pool](auto handler, Work task) {
    auto resume_on = boost::asio::get_associated_executor(handler);
    boost::asio::post(
        pool, [handler = std::move(handler), task = std::move(task), resume_on]() mutable {
          Value value = task();
          boost::asio::post(resume_on,
                            [handler = std::move(handler), value = std::move(value)]() mutable {
                              std::move(handler)(std::move(value));
                            });
        });
  };
  return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&, void(Value)>(
      std::move(initiation), boost::asio::use_awaitable, work);
}

}  // namespace kiosk_edge
