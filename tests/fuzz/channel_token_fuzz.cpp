// Channel tokens from a URL (agent/channel_token.hpp): Verify must refuse anything but a genuine
// token, and what it accepts must be exactly what Issue makes.

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "agent/channel_token.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace kiosk_edge::fuzz {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

const ChannelTokenCodec& Codec() {
  static const ChannelTokenCodec codec =
      ChannelTokenCodec::Create(ChannelKeys(), 'A', kChannelKeyOverlap).value();
  return codec;
}

std::string UpperCase(std::string_view text) {
  std::string upper(text);
  std::transform(upper.begin(), upper.end(), upper.begin(), [](char c) {
    return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  });
  return upper;
}

void CheckToken(std::string_view token) {
  const ChannelTokenCodec& codec = Codec();
  // While key B is still in its overlap, and after.
  const system_clock::time_point in_overlap{seconds(kChannelKeyBRetiredAt + 3600)};
  const system_clock::time_point after_overlap = in_overlap + kChannelKeyOverlap + seconds(3600);
  const Result<std::string> channel = codec.Verify(token, in_overlap);
  const Result<std::string> later = codec.Verify(token, after_overlap);
  if (!channel) {
    FUZZ_CHECK(channel.error().kind() == ErrorKind::kInvalidArgument);
    FUZZ_CHECK(!later);  // time only takes acceptance away
    return;
  }
  // Accepted: the channel id is valid and names the token's own first part.
  FUZZ_CHECK(IsValidChannelId(*channel));
  const std::string upper = UpperCase(token);
  FUZZ_CHECK(upper.starts_with(*channel + "."));
  const char key_id = upper[channel->size() + 1];
  FUZZ_CHECK(key_id == 'A' || key_id == 'B');
  if (key_id == 'A') {
    // The signing key's tokens are exactly what Issue makes (one token per channel and key).
    const Result<std::string> issued = codec.Issue(*channel);
    FUZZ_CHECK(issued && *issued == upper);
    FUZZ_CHECK(later && *later == *channel);
  } else {
    FUZZ_CHECK(!later && later.error().message() == "key retired");
  }
}

// Issue then Verify gives the channel back, for every id Issue accepts.
void CheckIssue(std::string_view channel_id) {
  const Result<std::string> token = Codec().Issue(channel_id);
  FUZZ_CHECK(token.has_value() == IsValidChannelId(channel_id));
  if (!token) return;
  const Result<std::string> verified =
      Codec().Verify(*token, system_clock::time_point{seconds(kChannelKeyBRetiredAt)});
  FUZZ_CHECK(verified && *verified == channel_id);
}

}  // namespace
}  // namespace kiosk_edge::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = kiosk_edge::fuzz::AsText(data, size);
  kiosk_edge::fuzz::CheckToken(text);
  kiosk_edge::fuzz::CheckIssue(text);
  return 0;
}
