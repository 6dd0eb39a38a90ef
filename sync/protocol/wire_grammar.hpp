#pragma once

// The grammar of the identifiers that cross the wire between kiosks and HQ. The rules match what
// a kiosk accepts (agent/agent_config.cpp, agent/event.hpp, agent/channels.hpp,
// agent/voucher_token.hpp); they are repeated here because sync/ may not use agent/.

#include <cstddef>
#include <string_view>

namespace kiosk_edge::wire {

// Kiosk and store ids: 1-64 of [A-Za-z0-9._-], starting with a letter or digit.
bool IsKioskId(std::string_view text);
// A journal incarnation: 1-64 of [A-Za-z0-9._-] (kiosks use 16 lower-case hex digits).
bool IsIncarnation(std::string_view text);
// A boot id: 1-64 of [A-Za-z0-9._-] (kiosks send the kernel's UUID, or "unknown").
bool IsBootId(std::string_view text);
// An event type: 1-32 of [a-z_].
bool IsEventType(std::string_view text);
// A channel id as events carry it: 1-64 of [A-Za-z0-9._-].
bool IsEventChannelId(std::string_view text);
// A channel id as channels define it (the code's path stays QR alphanumeric): 1-32 of [A-Z0-9-].
bool IsDefinedChannelId(std::string_view text);
// A voucher id: 16 lower-case hex digits.
bool IsVoucherId(std::string_view text);
// A fleet-wide voucher reference "<signer kiosk id>/<voucher id>".
bool IsVoucherKey(std::string_view text);
// A first-party device id (the kiosk's device cookie): 32 lower-case hex digits.
bool IsDeviceId(std::string_view text);
// `size` lower-case hex digits.
bool IsLowerHex(std::string_view text, std::size_t size);
// An HQ subject id (a profile key, see sync/profile_store/identity.hpp): 52 of [A-Z2-7].
bool IsSubjectId(std::string_view text);

}  // namespace kiosk_edge::wire
