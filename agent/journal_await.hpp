#pragma once

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>

#include "agent/journal.hpp"

namespace kiosk_edge {

// co_await AppendDurably(journal, draft): the event's seq once it is durable, or why not. The
// coroutine resumes on its own executor (the I/O thread), never on the journal's writer thread.
// `draft` is moved from. It is taken by reference because GCC 12 mishandles non-trivial
// temporaries created inside a co_await expression (double destruction): callers build the
// draft as a named local first.
inline auto AppendDurably(Journal& journal, EventDraft& draft) {
  auto initiation = [&journal](auto handler, EventDraft event) {
    auto resume_on = boost::asio::get_associated_executor(handler);
    // Journal callbacks are std::function (copyable); the awaitable handler is move-only.
    auto shared = std::make_shared<decltype(handler)>(std::move(handler));
    journal.Submit(std::move(event), [shared, resume_on](Result<std::int64_t> seq) {
      boost::asio::post(resume_on, [shared, seq]() mutable { std::move (*shared)(seq); });
    });
  };
  return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&,
                                     void(Result<std::int64_t>)>(
      std::move(initiation), boost::asio::use_awaitable, std::move(draft));
}

}  // namespace kiosk_edge
