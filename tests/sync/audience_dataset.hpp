#pragma once

// A hand-built dataset for the "not redeemed" audience (docs/attribution.md, "Audiences"), shared
// by audience_test.cpp (both backends) and hq_audience_test.cpp (HQ's API). Times are relative to
// `t0`; the audience is asked for at t0 + 10 days with after=48h. Every shopper is named by the
// last digits of their phone (+86138000000NN):
//   01  consent, never redeemed                                     in
//   02  no marketing consent                                        out
//   03  consent, redeemed 24 h after signing up                     out
//   04  consent, redeemed 72 h after signing up (after the window)  in
//   05  consent, then consent_withdrawn an hour later               out
//   06  consent (tests withdraw it through HQ's call)               in
//   07  consent, withdrawn, then a later signup with consent again  in (first signup)
//   08  consent, signed up 1 h before the audience is asked for     out (not due yet)
//   09  consent at two signups; a withdrawal between them arrives later from kiosk-b    in
//   10  consent; kiosk-b's withdrawal after it, then kiosk-b's late signup between them out

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <string>
#include <vector>

#include "common/strings.hpp"
#include "sync/attribution_dataset.hpp"
#include "sync/store_test_events.hpp"

namespace kiosk_edge::testing::audience {

using attribution::ChannelDefined;
using attribution::RedeemedAt;
using attribution::SignupOf;
using attribution::VoucherOf;

inline constexpr std::int64_t kMinute = 60'000;
inline constexpr std::int64_t kHourMs = 60 * kMinute;
inline constexpr std::int64_t kDayMs = 24 * kHourMs;

inline std::string Phone(int n) { return StrCat("+86138000000", n < 10 ? "0" : "", n); }

inline WireEvent SignupWithoutConsent(const std::string& hq_key, const std::string& phone,
                                      std::optional<std::string> channel, std::int64_t at_ms) {
  WireEvent event = Signup(hq_key, SignupSpec{phone, Device('b'), false, at_ms});
  event.channel_id = std::move(channel);
  return event;
}

// The dataset's batches, to be ingested in order.
inline std::vector<EventBatch> AudienceBatches(const std::string& hq_key, std::int64_t t0) {
  const auto at = [t0](std::int64_t offset) { return t0 + offset; };
  std::vector<WireEvent> a = {
      ChannelDefined("EL3", "Elevator 3 poster", "north/el3", "store-1", "spring", at(-kDayMs)),
      ChannelDefined("COUNTER", "Counter card", "south/counter", "store-2", "spring", at(-kDayMs)),
      SignupOf(hq_key, Phone(1), Device('1'), "spring", "EL3", at(0)),
      VoucherOf("0000000000000001", "spring", "EL3", at(1000)),
      SignupWithoutConsent(hq_key, Phone(2), "EL3", at(kHourMs)),
      SignupOf(hq_key, Phone(3), Device('3'), "spring", "EL3", at(2 * kHourMs)),
      VoucherOf("0000000000000003", "spring", "EL3", at(2 * kHourMs + 1000)),
      SignupOf(hq_key, Phone(4), Device('4'), "spring", "COUNTER", at(3 * kHourMs)),
      VoucherOf("0000000000000004", "spring", "COUNTER", at(3 * kHourMs + 1000)),
      SignupOf(hq_key, Phone(5), Device('5'), "spring", "EL3", at(4 * kHourMs)),
      ConsentWithdrawn(hq_key, Phone(5), at(5 * kHourMs)),
      SignupOf(hq_key, Phone(6), Device('6'), "spring", std::nullopt, at(5 * kHourMs)),
      SignupOf(hq_key, Phone(7), Device('7'), "spring", "EL3", at(6 * kHourMs)),
      ConsentWithdrawn(hq_key, Phone(7), at(7 * kHourMs)),
      SignupOf(hq_key, Phone(7), Device('7'), "spring", "EL3", at(8 * kHourMs)),
      SignupOf(hq_key, Phone(9), Device('9'), "welcome", "COUNTER", at(9 * kHourMs)),
      SignupOf(hq_key, Phone(9), Device('9'), "welcome", "COUNTER", at(11 * kHourMs)),
      SignupOf(hq_key, Phone(10), Device('a'), "spring", "EL3", at(12 * kHourMs)),
      RedeemedAt("kiosk-a", "0000000000000003", at(26 * kHourMs)),
      RedeemedAt("kiosk-a", "0000000000000004", at(75 * kHourMs)),
      SignupOf(hq_key, Phone(8), Device('8'), "spring", "EL3", at(10 * kDayMs - kHourMs)),
  };
  std::vector<WireEvent> b1 = {
      ConsentWithdrawn(hq_key, Phone(9), at(10 * kHourMs)),
      ConsentWithdrawn(hq_key, Phone(10), at(13 * kHourMs)),
  };
  std::vector<WireEvent> b2 = {
      SignupOf(hq_key, Phone(10), Device('a'), "spring", "EL3", at(12 * kHourMs + 30 * kMinute)),
  };
  return {MakeBatch("kiosk-a", "inc-a", 1, std::move(a)),
          MakeBatch("kiosk-b", "inc-b", 1, std::move(b1)),
          MakeBatch("kiosk-b", "inc-b", 3, std::move(b2))};
}

}  // namespace kiosk_edge::testing::audience
