#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/error.hpp"

namespace kiosk_edge {

// What a caller asks the journal to record. The journal adds the rest of the envelope.
struct EventDraft {
  std::string type;                       // "scan", "signup", ...: [a-z_]{1,32}
  std::optional<std::string> channel_id;  // where known: [A-Za-z0-9._-]{1,64}
  int payload_version = 1;                // schema version of `payload_json` for this type
  std::string payload_json = "{}";        // a JSON object, at most kMaxPayloadBytes
  // A unique claim (1-200 printable ASCII characters). The event is stored only if no earlier
  // event made the same claim; otherwise it fails with kConflict and nothing is stored.
  std::optional<std::string> claim;
};

inline constexpr std::size_t kMaxPayloadBytes = 16 * 1024;

// An event as stored, with its full envelope (DESIGN.md §4). (kiosk_id, incarnation, seq) is
// its identity everywhere, HQ included.
struct JournalEvent {
  std::string kiosk_id;
  std::string incarnation;
  std::int64_t seq = 0;  // gap-free from 1 within an incarnation
  std::string type;
  std::int64_t occurred_at_ms = 0;  // wall clock, Unix milliseconds
  std::int64_t monotonic_ns = 0;    // monotonic clock reading, comparable within one boot
  std::string boot_id;              // the boot that monotonic_ns belongs to
  std::optional<std::string> channel_id;
  int payload_version = 1;
  std::string payload_json;
};

// An event HQ refused, with its reason (kept in the journal's dead-letter table).
struct RefusedEvent {
  std::int64_t seq = 0;
  std::string reason;
};

// kInvalidArgument naming the offending field unless `draft` may be journaled.
Result<void> ValidateDraft(const EventDraft& draft);

}  // namespace kiosk_edge
