#include "sync/profile_store/stream_state.hpp"

#include <gtest/gtest.h>

namespace kiosk_edge {
namespace {

TEST(StreamStateTest, ContiguousBatchesRaiseTheHighWaterMark) {
  StreamState state;
  EXPECT_EQ(HighWater(state), 0);
  state = AdvanceStream(state, 1, 500, 10);
  EXPECT_EQ(state, (StreamState{500, {}}));
  state = AdvanceStream(state, 501, 600, 20);
  EXPECT_EQ(HighWater(state), 600);
  EXPECT_TRUE(IsStored(state, 1));
  EXPECT_TRUE(IsStored(state, 600));
  EXPECT_FALSE(IsStored(state, 601));
  EXPECT_FALSE(IsStored(state, 0));
}

TEST(StreamStateTest, ReplaysAndOverlapsChangeNothingButTheNewTail) {
  StreamState state = AdvanceStream({}, 1, 100, 10);
  EXPECT_EQ(AdvanceStream(state, 1, 100, 99), state);
  EXPECT_EQ(AdvanceStream(state, 50, 60, 99), state);
  EXPECT_EQ(AdvanceStream(state, 90, 120, 99), (StreamState{120, {}}));
}

TEST(StreamStateTest, GapsOpenSplitAndClose) {
  StreamState state = AdvanceStream({}, 1, 10, 1);
  state = AdvanceStream(state, 21, 30, 2);  // 11..20 missing
  EXPECT_EQ(state, (StreamState{30, {{11, 20, 2}}}));
  EXPECT_EQ(HighWater(state), 10);
  EXPECT_FALSE(IsStored(state, 15));
  EXPECT_TRUE(IsStored(state, 25));
  state = AdvanceStream(state, 41, 45, 3);  // a second gap, 31..40
  EXPECT_EQ(state.gaps, (std::vector<SeqGap>{{11, 20, 2}, {31, 40, 3}}));
  state = AdvanceStream(state, 14, 16, 4);  // splits the first gap; keeps its detection time
  EXPECT_EQ(state.gaps, (std::vector<SeqGap>{{11, 13, 2}, {17, 20, 2}, {31, 40, 3}}));
  EXPECT_EQ(HighWater(state), 10);
  state = AdvanceStream(state, 9, 35, 5);  // covers two gaps and part of the third
  EXPECT_EQ(state.gaps, (std::vector<SeqGap>{{36, 40, 3}}));
  EXPECT_EQ(HighWater(state), 35);
  state = AdvanceStream(state, 36, 40, 6);
  EXPECT_EQ(state, (StreamState{45, {}}));
}

TEST(StreamStateTest, AFirstBatchPastSeqOneOpensAGapFromOne) {
  const StreamState state = AdvanceStream({}, 5, 7, 42);
  EXPECT_EQ(state, (StreamState{7, {{1, 4, 42}}}));
  EXPECT_EQ(HighWater(state), 0);
}

}  // namespace
}  // namespace kiosk_edge
