#include "sync/profile_store/event_rules.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/value.hpp>
#include <string_view>

#include "common/pii_seal.hpp"
#include "common/shared_work.hpp"
#include "common/strings.hpp"
#include "sync/protocol/strict_json.hpp"
#include "sync/protocol/wire_grammar.hpp"

namespace kiosk_edge {
namespace {

using wire::StrictObject;

struct KnownType {
  std::string_view type;
  int newest_version;
};
constexpr KnownType kKnownTypes[] = {{"scan", 1},
                                     {"signup", 1},
                                     {"voucher_issued", 1},
                                     {"redemption", 1},
                                     {"redemption_refused", 1},
                                     {"channel_defined", 1},
                                     {"channel_retired", 1},
                                     {"consent_withdrawn", 1}};

constexpr std::int64_t kMaxUnixS = 100'000'000'000;
// A batch of 500 events is 32 chunks: with one signup in 20, each chunk has about one phone to
// open, so the two threads' shares even out.
constexpr std::size_t kEventsPerChunk = 16;
constexpr std::string_view kVoucherIdRule = "must be 16 lower-case hex digits";
constexpr std::string_view kScopeRule = "must be \"store\" or \"fleet\"";
constexpr std::string_view kKioskIdRule = "must be a kiosk id";

bool HasNul(const boost::json::value& value) {
  switch (value.kind()) {
    case boost::json::kind::string:
      return std::string_view(value.as_string()).find('\0') != std::string_view::npos;
    case boost::json::kind::array:
      for (const auto& item : value.as_array()) {
        if (HasNul(item)) return true;
      }
      return false;
    case boost::json::kind::object:
      for (const auto& member : value.as_object()) {
        if (member.key().find('\0') != std::string_view::npos || HasNul(member.value())) {
          return true;
        }
      }
      return false;
    default:
      return false;
  }
}

bool IsScope(std::string_view text) { return text == "store" || text == "fleet"; }
bool IsCode(std::string_view text) { return text == "channel" || text == "presence"; }
bool IsSealed(std::string_view text) {
  return text.starts_with(kSealedPrefix) && text.size() <= 4 * kMaxSealedPlaintext;
}

std::optional<std::string> DeviceOf(const boost::json::object& payload) {
  const auto* device = payload.if_contains("device");
  if (device == nullptr || !device->is_string() || !wire::IsDeviceId(device->as_string())) {
    return std::nullopt;
  }
  return std::string(device->as_string());
}

Result<ScanFacts> ReadScan(StrictObject& payload, const boost::json::object& object,
                           const WireEvent& event) {
  auto code = payload.String("code", IsCode, "must be \"channel\" or \"presence\"");
  if (!code) return code.error();
  auto valid = payload.Bool("valid");
  if (!valid) return valid.error();
  const auto* presence = object.if_contains("presence");
  return ScanFacts{.attributable = *valid && event.channel_id.has_value(),
                   .verified_presence = *code == "presence" && presence != nullptr &&
                                        presence->is_string() &&
                                        presence->as_string() == "verified"};
}

Result<SignupFacts> ReadSignup(StrictObject& payload, const HqIdentity& identity) {
  SignupFacts facts;
  auto phone = payload.String("phone", IsSealed, "must be a sealed value (\"S1.\")");
  if (!phone) return phone.error();
  auto key = identity.ProfileKeyOfSealedPhone(*phone);
  if (!key) return payload.Invalid("phone", key.error().message());
  facts.profile_key = std::move(*key);
  facts.phone_sealed = std::move(*phone);
  auto name = payload.String("name", IsSealed, "must be a sealed value (\"S1.\")");
  if (!name) return name.error();
  facts.name_sealed = std::move(*name);
  auto campaign = payload.Text("campaign", 1, 64);
  if (!campaign) return campaign.error();
  facts.campaign = std::move(*campaign);
  auto consent_object = payload.Object("consent");
  if (!consent_object) return consent_object.error();
  StrictObject consent(**consent_object, "payload.consent");
  auto service = consent.Bool("service");
  if (!service) return service.error();
  auto marketing = consent.Bool("marketing");
  if (!marketing) return marketing.error();
  facts.marketing_consent = *marketing;
  auto version = consent.Text("text_version", 1, 64);
  if (!version) return version.error();
  facts.consent_text_version = std::move(*version);
  return facts;
}

Result<ConsentWithdrawnFacts> ReadConsentWithdrawn(StrictObject& payload,
                                                   const HqIdentity& identity) {
  auto phone = payload.String("phone", IsSealed, "must be a sealed value (\"S1.\")");
  if (!phone) return phone.error();
  auto key = identity.ProfileKeyOfSealedPhone(*phone);
  if (!key) return payload.Invalid("phone", key.error().message());
  auto purpose = payload.String(
      "purpose", [](std::string_view text) { return text == "marketing"; },
      "must be \"marketing\"");
  if (!purpose) return purpose.error();
  return ConsentWithdrawnFacts{std::move(*key)};
}

Result<VoucherIssuedFacts> ReadVoucherIssued(StrictObject& payload, const std::string& signer) {
  VoucherIssuedFacts facts;
  auto id = payload.String("voucher", wire::IsVoucherId, kVoucherIdRule);
  if (!id) return id.error();
  facts.voucher_id = std::move(*id);
  facts.voucher_key = StrCat(signer, "/", facts.voucher_id);
  auto scope = payload.String("scope", IsScope, kScopeRule);
  if (!scope) return scope.error();
  facts.scope = std::move(*scope);
  auto expires = payload.Int("expires_at", 0, kMaxUnixS);
  if (!expires) return expires.error();
  facts.expires_at = *expires;
  auto campaign = payload.Text("campaign", 1, 64);
  if (!campaign) return campaign.error();
  facts.campaign = std::move(*campaign);
  auto gift = payload.Text("gift", 1, 64);
  if (!gift) return gift.error();
  facts.gift = std::move(*gift);
  auto store = payload.String("voucher_store", wire::IsKioskId, kKioskIdRule);
  if (!store) return store.error();
  facts.voucher_store = std::move(*store);
  return facts;
}

Result<RedemptionFacts> ReadRedemption(StrictObject& payload) {
  RedemptionFacts facts;
  auto id = payload.String("voucher", wire::IsVoucherId, kVoucherIdRule);
  if (!id) return id.error();
  facts.voucher_id = std::move(*id);
  auto signer = payload.String("signer", wire::IsKioskId, kKioskIdRule);
  if (!signer) return signer.error();
  facts.signer = std::move(*signer);
  facts.voucher_key = StrCat(facts.signer, "/", facts.voucher_id);
  auto scope = payload.String("scope", IsScope, kScopeRule);
  if (!scope) return scope.error();
  facts.scope = std::move(*scope);
  auto expires = payload.Int("expires_at", 0, kMaxUnixS);
  if (!expires) return expires.error();
  facts.expires_at = *expires;
  auto store = payload.String("voucher_store", wire::IsKioskId, kKioskIdRule);
  if (!store) return store.error();
  facts.voucher_store = std::move(*store);
  auto gift = payload.Text("gift", 1, 64);
  if (!gift) return gift.error();
  facts.gift = std::move(*gift);
  auto staff = payload.Text("staff", 0, 64);
  if (!staff) return staff.error();
  facts.staff = std::move(*staff);
  auto source = payload.Text("source", 0, 32);
  if (!source) return source.error();
  facts.source = std::move(*source);
  return facts;
}

// The reason `event` is rejected, or nothing, filling `prepared` as it goes.
Result<void> Prepare(const EventBatch& batch, const WireEvent& event, const HqIdentity& identity,
                     PreparedEvent& prepared) {
  // A payload's document fits the stack buffer (kMaxWirePayloadBytes is larger, and then the
  // arena takes the rest from the heap): no malloc per value.
  unsigned char buffer[4096];
  boost::json::monotonic_resource arena(buffer, sizeof buffer);
  auto document = wire::ParseJsonObject(event.payload_json, "payload", &arena);
  if (!document) return document.error();
  if (HasNul(*document)) {
    return Error(ErrorKind::kInvalidArgument, "payload: contains a NUL character");
  }
  const KnownType* known = nullptr;
  for (const KnownType& candidate : kKnownTypes) {
    if (candidate.type == event.type) known = &candidate;
  }
  if (known == nullptr) return {};  // stored as it is
  if (event.payload_version > known->newest_version) {
    return Error(ErrorKind::kInvalidArgument,
                 StrCat("payload_version ", event.payload_version, " is unknown (HQ reads up to ",
                        known->newest_version, ")"));
  }
  const boost::json::object& object = document->as_object();
  StrictObject payload(object, "payload");
  if (event.type == "scan") {
    auto facts = ReadScan(payload, object, event);
    if (!facts) return facts.error();
    prepared.device_id = DeviceOf(object);
    prepared.facts = *facts;
  } else if (event.type == "signup") {
    auto facts = ReadSignup(payload, identity);
    if (!facts) return facts.error();
    prepared.device_id = DeviceOf(object);
    prepared.facts = std::move(*facts);
  } else if (event.type == "voucher_issued") {
    auto facts = ReadVoucherIssued(payload, batch.kiosk_id);
    if (!facts) return facts.error();
    prepared.facts = std::move(*facts);
  } else if (event.type == "redemption") {
    auto facts = ReadRedemption(payload);
    if (!facts) return facts.error();
    prepared.facts = std::move(*facts);
  } else if (event.type == "consent_withdrawn") {
    auto facts = ReadConsentWithdrawn(payload, identity);
    if (!facts) return facts.error();
    prepared.facts = std::move(*facts);
  }
  return {};
}

}  // namespace

std::vector<PreparedEvent> PrepareEvents(const EventBatch& batch, const HqIdentity& identity,
                                         boost::asio::thread_pool* helpers) {
  std::vector<PreparedEvent> prepared(batch.events.size());
  ForEachIndex(batch.events.size(), kEventsPerChunk, helpers, [&](std::size_t i) {
    const WireEvent& event = batch.events[i];
    prepared[i].event = &event;
    if (auto ok = Prepare(batch, event, identity, prepared[i]); !ok) {
      prepared[i] = PreparedEvent{&event, StrCat(event.type, ": ", ok.error().message()),
                                  std::nullopt, std::monostate()};
      // A reason is short printable ASCII (the answer's rule, and safe to cut anywhere): tame
      // whatever a payload put into it.
      std::string& reason = *prepared[i].rejection;
      if (reason.size() > kMaxRejectReasonBytes) reason.resize(kMaxRejectReasonBytes);
      for (char& c : reason) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte >= 0x7f) c = '?';
      }
    }
  });
  return prepared;
}

}  // namespace kiosk_edge
