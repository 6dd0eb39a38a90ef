#pragma once

// The bookkeeping of one kiosk incarnation's event stream at HQ: which seqs are stored, which are
// missing, and the high-water mark the kiosk is answered with. Pure arithmetic shared by every
// storage backend, so that all of them answer alike.
//
// Model: every seq 1..max_seq is stored (as an event or a dead letter) except those inside
// `gaps`. Everything HQ stores arrives in contiguous batches, so this is exact.
// high_water = the highest seq such that 1..high_water are all stored: (lowest gap start) - 1, or
// max_seq without gaps. A kiosk marks events synced up to the high-water mark only, so a gap
// holds back "synced" until the missing events arrive, and they stay in the kiosk's journal.

#include <cstdint>
#include <vector>

#include "sync/profile_store/store_types.hpp"

namespace kiosk_edge {

struct StreamState {
  std::int64_t max_seq = 0;
  std::vector<SeqGap> gaps;  // disjoint, lowest first, all within 1..max_seq

  friend bool operator==(const StreamState&, const StreamState&) = default;
};

std::int64_t HighWater(const StreamState& state);

// True when `seq` is stored according to `state`.
bool IsStored(const StreamState& state, std::int64_t seq);

// The state after storing seqs first..last (first <= last). A batch that starts past
// max_seq + 1 opens the gap max_seq+1..first-1 (stamped `now_ms`); a batch inside a gap closes
// that part of it (splitting the gap when it lands in the middle).
StreamState AdvanceStream(const StreamState& state, std::int64_t first, std::int64_t last,
                          std::int64_t now_ms);

}  // namespace kiosk_edge
