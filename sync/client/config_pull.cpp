// SyncClient's config pulls (sync_client.hpp): HQ's config bundle, page after page, and what a
// pull's answer says of the events HQ holds and of HQ's clock.
#include <boost/asio/use_awaitable.hpp>

#include "common/blocking.hpp"
#include "common/http_date.hpp"
#include "common/http_forms.hpp"
#include "common/log.hpp"
#include "common/strings.hpp"
#include "sync/client/sync_client.hpp"
#include "sync/protocol/erasure.hpp"

namespace kiosk_edge {
namespace {

using boost::asio::awaitable;

constexpr std::string_view kComponent = "sync";
constexpr std::string_view kConfigTarget = "/v1/sync/config";
constexpr std::size_t kQuotedBytes = 200;  // of HQ's answer, in an error

}  // namespace

void SyncClient::ResumeConfig(std::int64_t version, RedeemedPosition redeemed_end,
                              std::string honoured_digest) {
  std::lock_guard lock(mutex_);
  status_.config_version = version;
  redeemed_end_ = std::move(redeemed_end);
  honoured_digest_ = std::move(honoured_digest);
}

awaitable<Result<void>> SyncClient::PullConfig() {
  // HQ sends a long redeemed list in pages (RedeemedVouchers::more): pull again at once, as long
  // as each page moves the kiosk's position on.
  while (true) {
    std::int64_t held = 0;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) co_return Result<void>();
      held = redeemed_end_.through;
    }
    Result<bool> more = co_await PullConfigPage();
    if (!more) co_return more.error();
    if (!*more) co_return Result<void>();
    std::lock_guard lock(mutex_);
    if (redeemed_end_.through <= held) {
      co_return Error(ErrorKind::kIo, StrCat("HQ's redeemed vouchers go on, but its page did not "
                                             "move past ledger position ",
                                             held));
    }
  }
}

awaitable<Result<bool>> SyncClient::PullConfigPage() {
  std::vector<std::pair<std::string, std::string>> headers = {
      {std::string(kSyncFeaturesHeader),
       StrCat(kSyncFeatureErasure, ",", kSyncFeatureRedeemedDelta, ",", kSyncFeatureRefill, ",",
              kSyncFeatureHonouredVouchers)},
      {std::string(kKioskClockHeader), std::to_string(UnixMs(clock_.WallNow()))}};
  std::string target(kConfigTarget);
  {
    std::lock_guard lock(mutex_);
    if (status_.config_version) {
      headers.emplace_back("if-none-match", ConfigBundleEtag(*status_.config_version));
    }
    // HQ then sends only the vouchers redeemed since, and the honoured vouchers only when they
    // changed (config_bundle.hpp).
    std::string_view separator = "?";
    if (redeemed_end_.through > 0) {
      target = StrCat(target, separator, kRedeemedThroughParameter, "=", redeemed_end_.through, "&",
                      kRedeemedThroughKeyParameter, "=", UrlEncode(redeemed_end_.through_key));
      separator = "&";
    }
    if (!honoured_digest_.empty()) {
      target = StrCat(target, separator, kHonouredDigestParameter, "=", honoured_digest_);
    }
  }
  const std::string method = "GET", body;
  auto response = co_await transport_.Send(method, target, headers, body);
  {
    std::lock_guard lock(mutex_);
    status_.hq_reachable = response.has_value();
    if (response) {
      if (const auto hq_time = ParseHttpDate(response->Header("date").value_or(""))) {
        status_.clock_offset_ms = UnixMs(clock_.WallNow()) - UnixMs(*hq_time);
      }
    }
  }
  if (!response) co_return response.error();
  if (response->status == 304) {
    if (Result<void> checked = co_await CheckHqStreamEnd(*response); !checked) {
      co_return checked.error();
    }
    co_return false;
  }
  if (response->status != 200) {
    co_return Error(ErrorKind::kIo, StrCat("HQ refused the config pull: ", response->status, " ",
                                           OneLine(response->body, kQuotedBytes)));
  }
  auto bundle = DecodeConfigBundle(response->body);
  if (!bundle) co_return bundle.error().WithContext("HQ's config bundle");
  const auto apply = [this, &bundle] { return apply_config_(*bundle); };
  Result<void> applied = co_await RunBlocking(pool_, apply);
  if (!applied) co_return applied.error().WithContext("apply config bundle");
  Result<void> checked = co_await CheckHqStreamEnd(*response);
  std::lock_guard lock(mutex_);
  status_.config_version = bundle->version;
  redeemed_end_ = bundle->redeemed.end();
  honoured_digest_ = bundle->honoured_digest;
  if (bundle->redeemed.more) {
    LogInfo(kComponent, "applied HQ's config bundle version ", bundle->version,
            " with the redeemed vouchers through ledger position ", redeemed_end_.through,
            "; HQ has more");
  } else {
    LogInfo(kComponent, "applied HQ's config bundle version ", bundle->version);
  }
  if (!checked) co_return checked.error();
  co_return bundle->redeemed.more;
}

awaitable<Result<void>> SyncClient::CheckHqStreamEnd(const SyncResponse& response) {
  const std::optional<std::string> header = response.Header(kStreamEndHeader);
  if (!header) co_return Result<void>();  // an HQ from before the header
  const std::optional<StreamEnd> hq_end = ParseStreamEnd(*header);
  if (!hq_end) {
    LogWarning(kComponent, "ignored HQ's malformed ", kStreamEndHeader,
               " header: ", OneLine(*header, kQuotedBytes));
    co_return Result<void>();
  }
  const auto find = [journal = &journal_, options = options_, end = *hq_end] {
    return FindShortfall(*journal, options, end);
  };
  Result<std::optional<HqShortfall>> shortfall = co_await RunBlocking(pool_, find);
  if (!shortfall) co_return shortfall.error().WithContext("compare the journal with HQ's copy");
  if (!*shortfall) {
    reported_shortfall_.reset();
    co_return Result<void>();
  }
  HqShortfall& lost = **shortfall;
  if (!lost.probe) {
    // Nothing to send: say so once, not at every pull.
    if (reported_shortfall_ != lost) {
      LogWarning(kComponent, "HQ holds this journal only up to seq ", lost.held,
                 " but had acknowledged it up to seq ", lost.synced, "; the journal has shed seq ",
                 lost.held + 1, "..", lost.synced, ", so HQ has lost them for good");
      reported_shortfall_ = std::move(lost);
    }
    co_return Result<void>();
  }
  LogWarning(kComponent, "HQ holds this journal only up to seq ", lost.held,
             " but had acknowledged it up to seq ", lost.synced, ": sending seq ", *lost.probe,
             " again, so that HQ names the events it lost");
  missing_ = {MissingSeqs{*lost.probe, *lost.probe}};
  missing_incarnation_ = std::move(lost.incarnation);
  co_return Result<void>();
}

Result<std::optional<SyncClient::HqShortfall>> SyncClient::FindShortfall(
    SyncJournal& journal, const SyncClientOptions& options, const StreamEnd& hq_end) {
  auto position = journal.ReadPosition();
  if (!position) return position.error().WithContext("read the journal's synced mark");
  HqShortfall lost{position->incarnation,
                   hq_end.incarnation == position->incarnation ? hq_end.max_seq : 0,
                   position->synced_seq, std::nullopt};
  if (lost.synced <= lost.held) return std::optional<HqShortfall>();
  auto last = journal.ReadAfter(lost.synced - 1, 1);
  if (!last) return last.error();
  if (!last->empty() && last->front().seq == lost.synced) {
    lost.probe = lost.synced;
    return std::optional(std::move(lost));
  }
  // Shedding takes the oldest synced events first, so every event up to the synced mark is gone
  // but the definition events, which are never shed: few. The highest of the first batch of them
  // will do; HQ's next stream end shows whether any above it are still missing.
  auto held = journal.ReadAfter(lost.held, options.max_batch_events);
  if (!held) return held.error();
  for (const WireEvent& event : *held) {
    if (event.seq <= lost.synced) lost.probe = event.seq;
  }
  return std::optional(std::move(lost));
}

}  // namespace kiosk_edge
