#pragma once

// The hand-built dataset of the attribution tests, the one docs/attribution.md works through.
// Two kiosks, the window 2027-03-01 .. 2027-03-03 (UTC):
//
// kiosk-a (store-1)                              kiosk-b (store-2)
//   D0-60d  defines EL3 (an older name), FLYER,     D0-10d  defines EL3 (current name), COUNTER-2
//           KIOSK
//   D0-40d  P7 signs up on d7 (channel EL3),        D1 09:00, 09:10  d5 scans COUNTER-2 twice
//           voucher V7                              D1 10:00  P5 signs up on d5 (COUNTER-2), V5
//   D0-31d  d1 scans FLYER (beyond 30 days)         D1 12:00  V5 redeemed
//   D0 08:00  d1 scans EL3                          D1 15:50  d8 scans GHOST (defined nowhere)
//   D0 09:00  d1 scans FLYER                        D1 16:00  P7 signs up on d8 (no channel), V7b
//   D0 10:00  P1 signs up on d1 (FLYER), V1         D1 18:00  a voucher of kiosk-z (never seen)
//   D0 11:00  d2 presence scan, verified (KIOSK)              is redeemed
//   D0 11:05  d2 presence scan, unverified (KIOSK)
//   D0 11:30  P2 signs up on d2 (KIOSK), V2
//   D0 12:00  d3 scans EL3 (never signs up)
//   D0 13:00  d4's scan fails its check (invalid)
//   D0 13:01  d4 scans FLYER
//   D0 14:00  d7 scans EL3 (P7's phone: linked by the D0-40d signup)
//   D0 16:00  V7 redeemed
//   D1 10:00  V1 redeemed
//   D1 13:00  d6's presence code fails its check (invalid)
//   D1 14:00  P6 signs up on d6 (no channel, no scan before), V6
//   D2 00:00  d3 scans EL3 (the window's end: not in it)

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <optional>
#include <string>
#include <vector>

#include "sync/store_test_events.hpp"

namespace kiosk_edge::testing::attribution {

inline constexpr std::int64_t kD0 = 1'803'859'200'000;  // 2027-03-01T00:00:00Z
inline constexpr std::int64_t kHour = 3'600'000;
inline constexpr std::int64_t kDay = 24 * kHour;
inline constexpr std::int64_t kD1 = kD0 + kDay;
inline constexpr std::int64_t kD2 = kD0 + 2 * kDay;
inline constexpr std::int64_t kExpiresS = 1'900'000'000;

inline std::string WithMember(const std::string& payload, const char* key,
                              const std::string& value) {
  auto json = boost::json::parse(payload).as_object();
  json[key] = value;
  return boost::json::serialize(json);
}

inline WireEvent ChannelDefined(const std::string& id, const std::string& name,
                                const std::string& path, const std::string& store,
                                const std::string& campaign, std::int64_t at_ms) {
  boost::json::object payload{{"id", id},     {"name", name},         {"medium", "poster"},
                              {"path", path}, {"campaign", campaign}, {"store", store}};
  return MakeEvent("channel_defined", boost::json::serialize(payload), at_ms, id);
}

// A channel code that failed its check: no channel (agent/shopper_routes.cpp).
inline WireEvent InvalidScan(const std::string& device, std::int64_t at_ms) {
  boost::json::object payload{
      {"code", "channel"}, {"valid", false}, {"device", device}, {"ua", "ios"}, {"reason", "mac"}};
  return MakeEvent("scan", boost::json::serialize(payload), at_ms);
}

// The kiosk screen's code: fresh (verified) or stale; `channel` empty: its MAC failed.
inline WireEvent PresenceScan(const std::string& device, std::int64_t at_ms, bool fresh,
                              const std::string& channel) {
  boost::json::object payload{{"code", "presence"},
                              {"valid", !channel.empty()},
                              {"presence", fresh ? "verified" : "unverified"},
                              {"device", device},
                              {"ua", "android"}};
  return MakeEvent("scan", boost::json::serialize(payload), at_ms,
                   channel.empty() ? std::nullopt : std::optional(channel));
}

inline WireEvent SignupOf(const std::string& hq_key, const std::string& phone,
                          const std::string& device, const std::string& campaign,
                          std::optional<std::string> channel, std::int64_t at_ms) {
  WireEvent event = Signup(hq_key, SignupSpec{phone, device, true, at_ms});
  event.payload_json = WithMember(event.payload_json, "campaign", campaign);
  event.channel_id = std::move(channel);
  return event;
}

inline WireEvent VoucherOf(const std::string& voucher_id, const std::string& campaign,
                           std::optional<std::string> channel, std::int64_t at_ms) {
  WireEvent event = VoucherIssued(voucher_id, "store", kExpiresS, at_ms);
  event.payload_json = WithMember(event.payload_json, "campaign", campaign);
  event.channel_id = std::move(channel);
  return event;
}

inline WireEvent RedeemedAt(const std::string& signer, const std::string& voucher_id,
                            std::int64_t at_ms) {
  return Redemption(signer, voucher_id, "store", kExpiresS, at_ms);
}

// The two kiosks' batches, sealed for `hq_key`.
inline std::vector<EventBatch> AttributionBatches(const std::string& hq_key) {
  const std::string d1 = Device('1'), d2 = Device('2'), d3 = Device('3'), d4 = Device('4'),
                    d5 = Device('5'), d6 = Device('6'), d7 = Device('7'), d8 = Device('8');
  const std::string p1 = "+8613800000001", p2 = "+8613800000002", p5 = "+8613800000005",
                    p6 = "+8613800000006", p7 = "+8613800000007";
  const std::string el3_path = "north/greenwood/bldg-2/elevator-3";
  std::vector<WireEvent> a = {
      ChannelDefined("EL3", "Elevator 3 poster (old)", el3_path, "store-1", "spring",
                     kD0 - 60 * kDay),
      ChannelDefined("FLYER", "March flyer", "north/greenwood/flyer-mar", "store-1", "spring",
                     kD0 - 60 * kDay),
      ChannelDefined("KIOSK", "Kiosk screen", "north/mall-7/kiosk", "store-1", "welcome",
                     kD0 - 60 * kDay),
      SignupOf(hq_key, p7, d7, "spring", "EL3", kD0 - 40 * kDay),
      VoucherOf("7777777777777777", "spring", "EL3", kD0 - 40 * kDay + 1000),
      Scan(d1, kD0 - 31 * kDay, "FLYER"),
      Scan(d1, kD0 + 8 * kHour, "EL3"),
      Scan(d1, kD0 + 9 * kHour, "FLYER"),
      SignupOf(hq_key, p1, d1, "spring", "FLYER", kD0 + 10 * kHour),
      VoucherOf("1111111111111111", "spring", "FLYER", kD0 + 10 * kHour + 1000),
      PresenceScan(d2, kD0 + 11 * kHour, true, "KIOSK"),
      PresenceScan(d2, kD0 + 11 * kHour + 5 * 60'000, false, "KIOSK"),
      SignupOf(hq_key, p2, d2, "welcome", "KIOSK", kD0 + 11 * kHour + 30 * 60'000),
      VoucherOf("2222222222222222", "welcome", "KIOSK", kD0 + 11 * kHour + 30 * 60'000 + 1000),
      Scan(d3, kD0 + 12 * kHour, "EL3"),
      InvalidScan(d4, kD0 + 13 * kHour),
      Scan(d4, kD0 + 13 * kHour + 60'000, "FLYER"),
      Scan(d7, kD0 + 14 * kHour, "EL3"),
      RedeemedAt("kiosk-a", "7777777777777777", kD0 + 16 * kHour),
      RedeemedAt("kiosk-a", "1111111111111111", kD1 + 10 * kHour),
      PresenceScan(d6, kD1 + 13 * kHour, false, ""),
      SignupOf(hq_key, p6, d6, "spring", std::nullopt, kD1 + 14 * kHour),
      VoucherOf("6666666666666666", "spring", std::nullopt, kD1 + 14 * kHour + 1000),
      Scan(d3, kD2, "EL3"),
  };
  std::vector<WireEvent> b = {
      ChannelDefined("EL3", "Elevator 3 poster", el3_path, "store-1", "spring", kD0 - 10 * kDay),
      ChannelDefined("COUNTER-2", "Counter card", "south/plaza/counter", "store-2", "spring",
                     kD0 - 10 * kDay),
      Scan(d5, kD1 + 9 * kHour, "COUNTER-2"),
      Scan(d5, kD1 + 9 * kHour + 10 * 60'000, "COUNTER-2"),
      SignupOf(hq_key, p5, d5, "spring", "COUNTER-2", kD1 + 10 * kHour),
      VoucherOf("5555555555555555", "spring", "COUNTER-2", kD1 + 10 * kHour + 1000),
      RedeemedAt("kiosk-b", "5555555555555555", kD1 + 12 * kHour),
      Scan(d8, kD1 + 15 * kHour + 50 * 60'000, "GHOST"),
      SignupOf(hq_key, p7, d8, "spring", std::nullopt, kD1 + 16 * kHour),
      VoucherOf("7b7b7b7b7b7b7b7b", "spring", std::nullopt, kD1 + 16 * kHour + 1000),
      RedeemedAt("kiosk-z", "9999999999999999", kD1 + 18 * kHour),
  };
  return {MakeBatch("kiosk-a", "inc-a", 1, std::move(a)),
          MakeBatch("kiosk-b", "inc-b", 1, std::move(b))};
}

}  // namespace kiosk_edge::testing::attribution
