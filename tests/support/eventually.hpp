#pragma once

// Waiting on other processes (kiosk-agent, profile-store) whose progress offers no condition a
// test could wait on: poll what the test can see.

#include <poll.h>

#include <chrono>

namespace kiosk_edge::testing {

// Polls `done` every 50 ms until it holds or `patience` passes; its last answer.
template <class Done>
bool Eventually(Done done, std::chrono::milliseconds patience = std::chrono::seconds(60)) {
  const auto deadline = std::chrono::steady_clock::now() + patience;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    ::poll(nullptr, 0, 50);
  }
  return done();
}

}  // namespace kiosk_edge::testing
