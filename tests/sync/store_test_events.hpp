#pragma once

// Events as a kiosk journals them (agent/shopper_routes.cpp, shopper_signup.cpp,
// voucher_issue.cpp, redemption.cpp), for the profile-store tests.

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/crypto.hpp"
#include "common/pii_seal.hpp"
#include "sync/protocol/batch.hpp"

namespace kiosk_edge::testing {

inline constexpr std::int64_t kT0 = 1'800'000'000'000;  // Unix ms
// A voucher expiry, in Unix s: after kT0, where a FakeClock starts by default.
inline constexpr std::int64_t kExpires = 1'900'000'000;

inline WireEvent MakeEvent(std::string type, std::string payload, std::int64_t at_ms = kT0,
                           std::optional<std::string> channel = std::nullopt) {
  WireEvent event;
  event.type = std::move(type);
  event.occurred_at_ms = at_ms;
  event.monotonic_ns = at_ms * 1000;
  event.boot_id = "0b6f4c2e-9d1a-4c3b-8e2f-1a2b3c4d5e6f";
  event.channel_id = std::move(channel);
  event.payload_json = std::move(payload);
  return event;
}

// A device cookie value: 32 lower-case hex digits.
inline std::string Device(char c) { return std::string(32, c); }

inline WireEvent Scan(const std::string& device, std::int64_t at_ms = kT0,
                      std::string channel = "LOBBY-1") {
  boost::json::object payload{{"code", "channel"}, {"valid", true}, {"device", device},
                              {"ua", "android"},   {"known", true}, {"active", true}};
  return MakeEvent("scan", boost::json::serialize(payload), at_ms, std::move(channel));
}

struct SignupSpec {
  std::string phone = "+8613812345678";
  std::string device = Device('d');
  bool marketing = true;
  std::int64_t at_ms = kT0;
  std::string kiosk_phone_index = "KIOSKINDEX";  // the kiosk's own blind index: opaque to HQ
  std::string consent_version = "v1";
};

// A signup sealed for `hq_public_key`, as shopper_signup.cpp builds it.
inline WireEvent Signup(const std::string& hq_public_key, const SignupSpec& spec) {
  auto name = SealForHq(hq_public_key, "Li Lei", "signup.name");
  auto phone = SealForHq(hq_public_key, spec.phone, "signup.phone");
  boost::json::object payload{
      {"device", spec.device},
      {"campaign", "spring"},
      {"name", name ? *name : std::string("seal failed")},
      {"phone", phone ? *phone : std::string("seal failed")},
      {"phone_index", spec.kiosk_phone_index},
      {"consent",
       {{"service", true}, {"marketing", spec.marketing}, {"text_version", spec.consent_version}}},
      {"language", "en"},
      {"source", "phone"}};
  return MakeEvent("signup", boost::json::serialize(payload), spec.at_ms, "LOBBY-1");
}

// A consent_withdrawn event as a kiosk sends it (agent/admin_routes.cpp): the phone sealed for HQ.
inline WireEvent ConsentWithdrawn(const std::string& hq_public_key, const std::string& phone,
                                  std::int64_t at_ms = kT0) {
  auto sealed = SealForHq(hq_public_key, phone, "signup.phone");
  boost::json::object payload{{"phone", sealed ? *sealed : std::string("seal failed")},
                              {"purpose", "marketing"}};
  return MakeEvent("consent_withdrawn", boost::json::serialize(payload), at_ms);
}

inline WireEvent VoucherIssued(const std::string& voucher_id, const std::string& scope,
                               std::int64_t expires_at_s, std::int64_t at_ms = kT0) {
  boost::json::object payload{{"voucher", voucher_id},      {"campaign", "spring"},
                              {"gift", "Tote bag"},         {"scope", scope},
                              {"voucher_store", "store-1"}, {"expires_at", expires_at_s}};
  return MakeEvent("voucher_issued", boost::json::serialize(payload), at_ms, "LOBBY-1");
}

inline WireEvent Redemption(const std::string& signer, const std::string& voucher_id,
                            const std::string& scope, std::int64_t expires_at_s,
                            std::int64_t at_ms = kT0) {
  boost::json::object payload{{"voucher", voucher_id},      {"signer", signer},
                              {"voucher_store", "store-1"}, {"scope", scope},
                              {"gift", "Tote bag"},         {"expires_at", expires_at_s},
                              {"source", "scanner"},        {"staff", "clerk-7"}};
  return MakeEvent("redemption", boost::json::serialize(payload), at_ms);
}

// A valid batch of `events`, numbered from `first_seq` on.
inline EventBatch MakeBatch(const std::string& kiosk_id, const std::string& incarnation,
                            std::int64_t first_seq, std::vector<WireEvent> events) {
  EventBatch batch;
  batch.kiosk_id = kiosk_id;
  batch.incarnation = incarnation;
  batch.first_seq = first_seq;
  batch.last_seq = first_seq + static_cast<std::int64_t>(events.size()) - 1;
  for (std::size_t i = 0; i < events.size(); ++i) {
    events[i].seq = first_seq + static_cast<std::int64_t>(i);
  }
  batch.events = std::move(events);
  return batch;
}

// `count` scans from distinct devices, numbered from `first_seq`.
inline EventBatch ScanBatch(const std::string& kiosk_id, const std::string& incarnation,
                            std::int64_t first_seq, std::size_t count) {
  std::vector<WireEvent> events;
  for (std::size_t i = 0; i < count; ++i) {
    const std::int64_t seq = first_seq + static_cast<std::int64_t>(i);
    events.push_back(Scan(HexEncode(std::string(16, static_cast<char>(seq % 251))), kT0 + seq));
  }
  return MakeBatch(kiosk_id, incarnation, first_seq, std::move(events));
}

}  // namespace kiosk_edge::testing
