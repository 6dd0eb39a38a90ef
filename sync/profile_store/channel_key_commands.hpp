#pragma once

// profile-store's commands for the fleet's channel codes (hq_channel_keys.hpp), run where HQ's
// state folder is; they need no database and no running server:
//   rotate-channel-key               a new key signs channel codes from now on; the one before is
//                                    retired, its codes valid for the overlap (90 days)
//   withdraw-channel-key ID          ends retired key ID's overlap now: kiosks refuse its codes
//                                    from their next config pull
//   channel-code ID [--base-url URL] the code of channel ID of the config's [channels], signed
//                                    with HQ's signing key: "/C/<token>", or the whole URL
// Exit status: 0 done, 1 failed, 2 usage error.

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "sync/profile_store/profile_store_config.hpp"

namespace kiosk_edge {

int RotateChannelKeyCommand(const ProfileStoreConfig& config, std::ostream& out, std::ostream& err);

// `key_id`: as rotate-channel-key prints it.
int WithdrawChannelKeyCommand(const ProfileStoreConfig& config, char key_id, std::ostream& out,
                              std::ostream& err);

// `words`: the command's positional words (the channel id). `base_url`: http(s)://HOST[:PORT],
// upper-cased in the output so that the whole URL stays in QR alphanumeric mode.
int ChannelCodeCommand(const ProfileStoreConfig& config, const std::vector<std::string>& words,
                       const std::optional<std::string>& base_url, std::ostream& out,
                       std::ostream& err);

}  // namespace kiosk_edge
