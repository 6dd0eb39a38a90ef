#include "bench/sync_drain_events.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <random>

#include "bench/bench_support.hpp"
#include "common/pii_seal.hpp"
#include "common/strings.hpp"

namespace kiosk_edge::bench {
namespace {

constexpr std::string_view kAgents[] = {"ios", "android", "wechat", "alipay", "other"};
constexpr std::string_view kGivenNames[] = {"Wei",  "Fang", "Min",   "Jing",  "Lei",
                                            "Anna", "Mark", "Sofia", "Lucas", "Mei"};
constexpr std::string_view kFamilyNames[] = {"Zhang", "Wang", "Li",     "Chen",   "Liu",
                                             "Smith", "Tan",  "Garcia", "Nguyen", "Huang"};
constexpr std::string_view kCampaigns[] = {"spring-2026", "store-opening", "loyalty-q2"};
constexpr std::string_view kGifts[] = {"coffee", "tote-bag", "10-percent-off"};

std::string ScanPayload(Draw& draw, bool presence, bool valid, const std::string& device) {
  boost::json::object payload;
  if (presence) {
    payload = {{"code", "presence"},
               {"valid", valid},
               {"presence", draw.Percent(90) ? "verified" : "unverified"},
               {"device", device},
               {"ua", draw.Pick(kAgents)}};
  } else {
    payload = {
        {"code", "channel"}, {"valid", valid}, {"device", device}, {"ua", draw.Pick(kAgents)}};
    if (valid) {
      payload["known"] = true;
      payload["active"] = true;
    } else {
      payload["reason"] = "token signature does not verify";
    }
  }
  return boost::json::serialize(payload);
}

Result<std::string> SignupPayload(Draw& draw, const BacklogOptions& options,
                                  const std::string& device, std::string_view campaign) {
  const std::string name = StrCat(draw.Pick(kGivenNames), " ", draw.Pick(kFamilyNames));
  const std::string phone = StrCat("+86138", 10'000'000 + draw.Below(90'000'000));
  auto name_sealed = SealForHq(options.hq_public_key, name, "signup.name");
  if (!name_sealed) return name_sealed.error();
  auto phone_sealed = SealForHq(options.hq_public_key, phone, "signup.phone");
  if (!phone_sealed) return phone_sealed.error();
  const boost::json::object payload{
      {"device", device},
      {"campaign", campaign},
      {"name", *name_sealed},
      {"phone", *phone_sealed},
      {"phone_index", draw.Base32(52)},
      {"consent",
       {{"service", true}, {"marketing", draw.Percent(60)}, {"text_version", "2026-01"}}},
      {"language", draw.Percent(70) ? "zh" : "en"},
      {"source", draw.Percent(80) ? "phone" : "kiosk_touch"}};
  return boost::json::serialize(payload);
}

std::string VoucherPayload(Draw& draw, std::string_view campaign, std::int64_t now_s) {
  const boost::json::object payload{
      {"voucher", draw.Hex(16)},     {"campaign", campaign},
      {"gift", draw.Pick(kGifts)},   {"scope", draw.Percent(80) ? "store" : "fleet"},
      {"voucher_store", "store-12"}, {"expires_at", now_s + 30 * 86'400}};
  return boost::json::serialize(payload);
}

}  // namespace

Result<Backlog> MakeBacklog(const BacklogOptions& options) {
  Draw draw(options.seed);
  std::vector<std::string> channels;
  for (int store = 1; store <= 10; ++store) {
    for (const char* spot : {"POSTER", "COUNTER", "WINDOW", "FLYER"}) {
      channels.push_back(StrCat("S", store, "-", spot, 1 + draw.Below(3)));
    }
  }
  const auto now = std::chrono::system_clock::now();
  const std::int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::int64_t occurred_ms = now_ms - static_cast<std::int64_t>(options.events) * 275;
  std::int64_t monotonic_ns = 5'000'000'000;
  std::string boot_id = draw.Hex(32);

  Backlog backlog;
  backlog.events.reserve(options.events);
  backlog.device_ids.reserve(options.events);
  std::size_t payload_bytes = 0, encoded_bytes = 0;
  const auto add = [&](std::string type, std::optional<std::string> channel, std::string payload,
                       std::string device) {
    const std::int64_t step_ms = 50 + static_cast<std::int64_t>(draw.Below(451));
    occurred_ms += step_ms;
    monotonic_ns += step_ms * 1'000'000;
    WireEvent event{static_cast<std::int64_t>(backlog.events.size()) + 1,
                    std::move(type),
                    occurred_ms,
                    monotonic_ns,
                    boot_id,
                    std::move(channel),
                    1,
                    std::move(payload)};
    payload_bytes += event.payload_json.size();
    encoded_bytes += EncodedEventBytes(event);
    ++backlog.count_by_type[event.type];
    backlog.events.push_back(std::move(event));
    backlog.device_ids.push_back(std::move(device));
  };
  while (backlog.events.size() < options.events) {
    if (backlog.events.size() % 50'000 == 49'999) boot_id = draw.Hex(32);  // a reboot
    std::string device = draw.Hex(32);
    const std::string& channel = channels[draw.Below(channels.size())];
    if (draw.Percent(options.signup_percent) && backlog.events.size() + 2 <= options.events) {
      const std::string_view campaign = draw.Pick(kCampaigns);
      auto signup = SignupPayload(draw, options, device, campaign);
      if (!signup) return signup.error().WithContext("seal a signup");
      add("signup", channel, std::move(*signup), device);
      add("voucher_issued", channel, VoucherPayload(draw, campaign, now_ms / 1000), "");
      continue;
    }
    const bool presence = draw.Percent(20);
    const bool valid = draw.Percent(97);
    std::string payload = ScanPayload(draw, presence, valid, device);
    add("scan", valid ? std::optional(channel) : std::nullopt, std::move(payload),
        std::move(device));
  }
  const double n = static_cast<double>(std::max<std::size_t>(backlog.events.size(), 1));
  backlog.mean_payload_bytes = static_cast<double>(payload_bytes) / n;
  backlog.mean_encoded_bytes = static_cast<double>(encoded_bytes) / n;
  return backlog;
}

Result<SyncJournal::Position> MemoryJournal::ReadPosition() {
  return Position{kiosk_id_, incarnation_, synced_.load(),
                  static_cast<std::int64_t>(events_.size())};
}

Result<std::vector<WireEvent>> MemoryJournal::ReadAfter(std::int64_t after_seq,
                                                        std::size_t max_events) {
  std::vector<WireEvent> read;
  const auto first = static_cast<std::size_t>(std::max<std::int64_t>(after_seq, 0));
  const std::size_t end = std::min(events_.size(), first + max_events);
  read.reserve(end > first ? end - first : 0);
  for (std::size_t i = first; i < end; ++i) {
    read.push_back(events_[i]);
    read.back().seq = static_cast<std::int64_t>(i) + 1;
  }
  return read;
}

Result<void> MemoryJournal::Acknowledge(std::int64_t high_water,
                                        const std::vector<RejectedEvent>& rejected,
                                        const std::vector<std::int64_t>& /*erased*/) {
  if (high_water > synced_.load()) synced_.store(high_water);
  dead_letters_ += static_cast<std::int64_t>(rejected.size());
  return {};
}

}  // namespace kiosk_edge::bench
