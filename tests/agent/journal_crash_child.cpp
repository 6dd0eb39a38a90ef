// Crash-test child: appends events from several threads forever and writes each acknowledged
// (durable) seq to stdout as 8 raw bytes, so the parent knows exactly what was promised before
// it SIGKILLs this process. Usage: journal_crash_child JOURNAL_PATH KIOSK_ID
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "agent/journal.hpp"

int main(int argc, char** argv) {
  using namespace kiosk_edge;
  if (argc != 3) {
    std::fprintf(stderr, "usage: journal_crash_child JOURNAL_PATH KIOSK_ID\n");
    return 2;
  }
  JournalOptions options;
  options.path = argv[1];
  options.kiosk_id = argv[2];
  auto journal = Journal::Open(options);
  if (!journal) {
    std::fprintf(stderr, "open: %s\n", journal.error().message().c_str());
    return 1;
  }
  std::vector<std::thread> producers;
  for (int t = 0; t < 4; ++t) {
    producers.emplace_back([&journal, t] {
      for (std::int64_t n = 0;; ++n) {
        const std::string payload =
            "{\"producer\":" + std::to_string(t) + ",\"n\":" + std::to_string(n) + "}";
        auto seq = (*journal)->Append(EventDraft{"scan", "poster-1", 1, payload, std::nullopt});
        if (!seq) {
          std::fprintf(stderr, "append: %s\n", seq.error().message().c_str());
          std::_Exit(1);
        }
        const std::int64_t value = *seq;
        // One write of 8 bytes to a pipe is atomic, so threads cannot interleave within a seq.
        if (::write(STDOUT_FILENO, &value, sizeof value) != sizeof value) std::_Exit(1);
      }
    });
  }
  for (auto& producer : producers) producer.join();
}
