#pragma once

#include <span>
#include <string_view>

namespace kiosk_edge {

// profile-store's command line:
//   profile-store [serve] [--config FILE] [--state-dir DIR] [--port N]
//   profile-store enroll-token --kiosk ID [--valid-hours H]    prints a one-time token
//   profile-store revoke-kiosk ID
//   profile-store kiosks                                      each kiosk's sync status
//   profile-store rotate-channel-key                          a new channel-code signing key
//   profile-store withdraw-channel-key ID                     a retired key's codes end now
//   profile-store channel-code ID [--base-url URL]            a channel's code, for posters
// Returns the exit code: 0 done, 1 failed, 2 bad command line or config.
int RunProfileStore(std::span<const std::string_view> args);

}  // namespace kiosk_edge
