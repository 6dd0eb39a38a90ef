#include "sync/protocol/channel_code.hpp"

#include "common/crypto.hpp"

namespace kiosk_edge {
namespace {

using namespace std::string_view_literals;

// Domain separation: a MAC made for a channel token is useless anywhere else, even if a key were
// (wrongly) shared with another purpose. The "\0" is part of the MAC input.
constexpr std::string_view kChannelMacDomain = "kiosk-edge channel v1\0"sv;
constexpr std::size_t kChannelMacBytes = 10;  // 80 bits, DESIGN.md's minimum

}  // namespace

std::string ChannelCodeMac(std::string_view secret, std::string_view channel_id) {
  std::string message(kChannelMacDomain);
  message.append(channel_id);
  std::string mac = HmacSha256(secret, message);
  mac.resize(kChannelMacBytes);
  return Base32Encode(mac);
}

std::string ChannelCodeToken(std::string_view channel_id, char key_id, std::string_view secret) {
  std::string token(channel_id);
  token.push_back('.');
  token.push_back(key_id);
  token.append(ChannelCodeMac(secret, channel_id));
  return token;
}

}  // namespace kiosk_edge
