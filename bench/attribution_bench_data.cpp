#include "bench/attribution_bench_data.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <queue>
#include <random>
#include <vector>

#include "bench/bench_support.hpp"
#include "common/pii_seal.hpp"
#include "common/strings.hpp"

namespace kiosk_edge::bench {
namespace {

constexpr std::int64_t kMinute = 60'000;
constexpr std::int64_t kDayMs = 86'400'000;
constexpr std::string_view kSpots[] = {"POSTER1", "POSTER2", "ELEVATOR1", "ELEVATOR2", "FLYER1",
                                       "FLYER2",  "WINDOW",  "COUNTER",   "BUS-STOP",  "MAILER"};
constexpr std::string_view kCampaigns[] = {"spring", "opening", "loyalty"};

WireEvent Event(std::string type, std::int64_t at_ms, std::optional<std::string> channel,
                const boost::json::object& payload) {
  WireEvent event;
  event.type = std::move(type);
  event.occurred_at_ms = at_ms;
  event.monotonic_ns = at_ms * 1000;
  event.boot_id = "bench-boot";
  event.channel_id = std::move(channel);
  event.payload_json = boost::json::serialize(payload);
  return event;
}

struct PendingRedemption {
  std::int64_t at_ms = 0;
  std::string voucher_id;
  friend bool operator>(const PendingRedemption& a, const PendingRedemption& b) {
    return a.at_ms > b.at_ms;
  }
};

// One kiosk's journal, ingested as it is generated.
class KioskJournal {
 public:
  KioskJournal(StoreBackend& store, const AttributionDataOptions& options, int kiosk,
               AttributionDataSummary& summary)
      : store_(store),
        options_(options),
        kiosk_id_(StrCat("kiosk-", kiosk)),
        store_name_(StrCat("store-", kiosk % options.stores)),
        screen_channel_(StrCat("SCREEN-", kiosk)),
        summary_(summary) {
    for (std::string_view spot : kSpots) {
      channels_.push_back(StrCat("S", kiosk % options.stores, "-", spot));
    }
  }

  Result<void> DefineChannels(std::int64_t at_ms) {
    for (const std::string& channel : channels_) {
      if (auto added = Add(Define(channel, "poster", at_ms)); !added) return added;
    }
    return Add(Define(screen_channel_, "kiosk", at_ms));
  }

  // A visit at `at_ms` (redemptions due before it come first).
  Result<void> Visit(Draw& draw, std::int64_t at_ms, std::vector<std::string>& phones,
                     std::map<std::string, std::string>& sealed_phones,
                     const std::string& sealed_name) {
    while (!redemptions_.empty() && redemptions_.top().at_ms <= at_ms) {
      const PendingRedemption due = redemptions_.top();
      redemptions_.pop();
      const boost::json::object payload{
          {"voucher", due.voucher_id}, {"signer", kiosk_id_}, {"voucher_store", store_name_},
          {"scope", "store"},          {"gift", "tote-bag"},  {"expires_at", 4'000'000'000},
          {"source", "scanner"},       {"staff", "clerk-1"}};
      if (auto added = Add(Event("redemption", due.at_ms, std::nullopt, payload)); !added) {
        return added;
      }
    }
    std::string device;
    if (!devices_.empty() && draw.Percent(30)) {
      device = devices_[draw.Below(devices_.size())];
    } else {
      device = draw.Hex(32);
      if (devices_.size() < 5000) {
        devices_.push_back(device);
      } else {
        devices_[draw.Below(devices_.size())] = device;
      }
    }
    std::int64_t t = at_ms;
    std::optional<std::string> last_channel;
    const int scans = 1 + static_cast<int>(draw.Below(3));
    for (int i = 0; i < scans; ++i) {
      const bool presence = draw.Percent(20);
      const bool valid = !draw.Percent(3);
      std::optional<std::string> channel;
      if (valid) channel = presence ? screen_channel_ : channels_[draw.Below(channels_.size())];
      boost::json::object payload{{"code", presence ? "channel" : "channel"},
                                  {"valid", valid},
                                  {"device", device},
                                  {"ua", "android"}};
      if (presence) {
        payload["code"] = "presence";
        payload["presence"] = draw.Percent(85) ? "verified" : "unverified";
      }
      if (channel) last_channel = channel;
      if (auto added = Add(Event("scan", t, channel, payload)); !added) return added;
      t += 1 + static_cast<std::int64_t>(draw.Below(20)) * kMinute;
    }
    if (!draw.Percent(8)) return {};
    std::string phone;
    if (!phones.empty() && draw.Percent(5)) {
      phone = phones[draw.Below(phones.size())];
    } else {
      phone = StrCat("+86139", 10'000'000 + draw.Below(90'000'000));
      if (phones.size() < 200'000) phones.push_back(phone);
    }
    auto& sealed = sealed_phones[phone];
    if (sealed.empty()) {
      auto sealed_phone = SealForHq(options_.hq_public_key, phone, "signup.phone");
      if (!sealed_phone) return sealed_phone.error();
      sealed = std::move(*sealed_phone);
    }
    const std::string campaign(kCampaigns[draw.Below(std::size(kCampaigns))]);
    t += 2 * kMinute + static_cast<std::int64_t>(draw.Below(28)) * kMinute;
    const boost::json::object signup{
        {"device", device},
        {"campaign", campaign},
        {"name", sealed_name},
        {"phone", sealed},
        {"phone_index", draw.Hex(20)},
        {"consent", {{"service", true}, {"marketing", draw.Percent(60)}, {"text_version", "v1"}}},
        {"language", "en"},
        {"source", "phone"}};
    if (auto added = Add(Event("signup", t, last_channel, signup)); !added) return added;
    const std::string voucher_id = draw.Hex(16);
    const boost::json::object voucher{
        {"voucher", voucher_id}, {"campaign", campaign},         {"gift", "tote-bag"},
        {"scope", "store"},      {"voucher_store", store_name_}, {"expires_at", 4'000'000'000}};
    if (auto added = Add(Event("voucher_issued", t + 1000, last_channel, voucher)); !added) {
      return added;
    }
    if (draw.Percent(40)) {
      const std::int64_t lag = kDayMs + static_cast<std::int64_t>(draw.Below(4 * kDayMs));
      redemptions_.push(PendingRedemption{t + lag, voucher_id});
    }
    return {};
  }

  Result<void> Flush() {
    if (pending_.empty()) return {};
    EventBatch batch;
    batch.kiosk_id = kiosk_id_;
    batch.incarnation = "inc-1";
    batch.first_seq = next_seq_;
    for (WireEvent& event : pending_) event.seq = next_seq_++;
    batch.last_seq = next_seq_ - 1;
    batch.events = std::move(pending_);
    pending_.clear();
    auto answer = store_.Ingest(batch);
    if (!answer) return answer.error().WithContext(StrCat("ingest ", kiosk_id_));
    if (!answer->rejected.empty()) {
      return Error(ErrorKind::kInternal,
                   StrCat("bench event rejected: ", answer->rejected[0].reason));
    }
    return {};
  }

  std::int64_t events() const { return events_; }

 private:
  WireEvent Define(const std::string& channel, const char* medium, std::int64_t at_ms) {
    const boost::json::object payload{
        {"id", channel},
        {"name", StrCat("Channel ", channel)},
        {"medium", medium},
        {"path", StrCat("region-", kiosk_id_.size() % 3, "/", store_name_, "/", channel)},
        {"campaign", "spring"},
        {"store", store_name_}};
    return Event("channel_defined", at_ms, channel, payload);
  }

  Result<void> Add(WireEvent event) {
    ++summary_.count_by_type[event.type];
    ++events_;
    pending_.push_back(std::move(event));
    if (pending_.size() >= options_.batch_events) return Flush();
    return {};
  }

  StoreBackend& store_;
  const AttributionDataOptions& options_;
  std::string kiosk_id_;
  std::string store_name_;
  std::string screen_channel_;
  std::vector<std::string> channels_;
  std::vector<std::string> devices_;
  std::priority_queue<PendingRedemption, std::vector<PendingRedemption>, std::greater<>>
      redemptions_;
  std::vector<WireEvent> pending_;
  std::int64_t next_seq_ = 1;
  std::int64_t events_ = 0;
  AttributionDataSummary& summary_;
};

}  // namespace

Result<AttributionDataSummary> IngestAttributionData(StoreBackend& store,
                                                     const AttributionDataOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  AttributionDataSummary summary;
  Draw draw(options.seed);
  auto sealed_name = SealForHq(options.hq_public_key, "Li Lei", "signup.name");
  if (!sealed_name) return sealed_name.error();
  std::vector<std::string> phones;
  std::map<std::string, std::string> sealed_phones;
  const std::int64_t start_ms = options.end_ms - std::int64_t{options.days} * kDayMs;
  const std::int64_t per_kiosk = options.events / options.kiosks;
  // About 2.3 events per visit (scans, signups with their vouchers, redemptions).
  const std::int64_t visits = std::max<std::int64_t>(1, per_kiosk * 10 / 23);
  const std::int64_t mean_gap_ms = std::max<std::int64_t>(2, (options.end_ms - start_ms) / visits);
  for (int kiosk = 0; kiosk < options.kiosks; ++kiosk) {
    KioskJournal journal(store, options, kiosk, summary);
    if (auto defined = journal.DefineChannels(start_ms - 30 * kDayMs); !defined) {
      return defined.error();
    }
    std::int64_t at_ms = start_ms;
    while (journal.events() < per_kiosk) {
      at_ms +=
          1 + static_cast<std::int64_t>(draw.Below(static_cast<std::uint64_t>(2 * mean_gap_ms)));
      if (at_ms >= options.end_ms - 2 * 3'600'000) break;
      if (auto visited = journal.Visit(draw, at_ms, phones, sealed_phones, *sealed_name);
          !visited) {
        return visited.error();
      }
    }
    if (auto flushed = journal.Flush(); !flushed) return flushed.error();
  }
  summary.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return summary;
}

}  // namespace kiosk_edge::bench
