#include "sync/profile_store/stream_state.hpp"

#include <algorithm>

namespace kiosk_edge {

std::int64_t HighWater(const StreamState& state) {
  return state.gaps.empty() ? state.max_seq : state.gaps.front().from_seq - 1;
}

bool IsStored(const StreamState& state, std::int64_t seq) {
  if (seq < 1 || seq > state.max_seq) return false;
  return std::none_of(state.gaps.begin(), state.gaps.end(), [seq](const SeqGap& gap) {
    return seq >= gap.from_seq && seq <= gap.to_seq;
  });
}

StreamState AdvanceStream(const StreamState& state, std::int64_t first, std::int64_t last,
                          std::int64_t now_ms) {
  StreamState next;
  next.max_seq = std::max(state.max_seq, last);
  for (const SeqGap& gap : state.gaps) {
    // Keep what the batch leaves of each gap: the part below `first`, the part above `last`.
    if (gap.to_seq < first || gap.from_seq > last) {
      next.gaps.push_back(gap);
      continue;
    }
    if (gap.from_seq < first) next.gaps.push_back({gap.from_seq, first - 1, gap.detected_at_ms});
    if (gap.to_seq > last) next.gaps.push_back({last + 1, gap.to_seq, gap.detected_at_ms});
  }
  if (first > state.max_seq + 1) next.gaps.push_back({state.max_seq + 1, first - 1, now_ms});
  return next;
}

}  // namespace kiosk_edge
