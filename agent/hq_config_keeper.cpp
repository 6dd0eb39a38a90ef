#include "agent/hq_config_keeper.hpp"

#include <algorithm>
#include <set>
#include <utility>

#include "common/files.hpp"
#include "common/log.hpp"
#include "common/strings.hpp"
#include "sync/protocol/erasure.hpp"

namespace kiosk_edge {
namespace {

constexpr std::string_view kComponent = "sync";
constexpr std::size_t kMaxSavedBytes = kMaxConfigBundleBytes;

Channel FromBundle(const BundleChannel& from) {
  Channel channel;
  channel.id = from.id;
  channel.name = from.name;
  channel.medium = ParseMedium(from.medium).value_or(Medium::kPoster);
  channel.path = from.path;
  channel.campaign = from.campaign;
  channel.store = from.store;
  channel.active_from_ms = from.active_from_ms;
  channel.active_until_ms = from.active_until_ms;
  channel.defined_by_hq = true;
  return channel;
}

// The events that make the registry hold `bundle`'s channels, as ChannelsFromHq describes.
Result<std::vector<EventDraft>> ChannelChanges(const ConfigBundle& bundle,
                                               const ChannelRegistry& registry) {
  std::vector<EventDraft> events;
  std::set<std::string, std::less<>> listed;
  for (const BundleChannel& from : bundle.channels) {
    listed.insert(from.id);
    const Channel wanted = FromBundle(from);
    if (auto valid = ValidateChannel(wanted); !valid) {
      return valid.error().WithContext(StrCat("channel ", from.id));
    }
    const std::optional<Channel> known = registry.Find(from.id);
    if (!known && from.retired) continue;  // never used here: nothing to record
    const bool define =
        !known || !SameDefinition(*known, wanted) || (known->retired && !from.retired);
    if (define) events.push_back(ChannelDefinedEvent(wanted));
    if (from.retired && (define || !known->retired)) {
      events.push_back(ChannelRetiredEvent(from.id, /*by_hq=*/true));
    }
  }
  for (const Channel& channel : registry.All()) {
    if (channel.defined_by_hq && !channel.retired && !listed.contains(channel.id)) {
      events.push_back(ChannelRetiredEvent(channel.id, /*by_hq=*/true));
    }
  }
  return events;
}

// The trust list `bundle` means for this kiosk, but for the redeemed vouchers (those are in
// hq-redeemed.db): HQ's trusted kiosks, revocations and honoured vouchers, plus this kiosk's own
// key (a kiosk always accepts its own vouchers unless HQ revoked it).
TrustList TrustListFromBundle(const ConfigBundle& bundle, const std::string& own_kiosk_id,
                              const std::string& own_public_key) {
  TrustList trust;
  for (const auto& [kiosk_id, public_key] : bundle.trusted_kiosks) {
    trust.kiosk_keys.emplace(kiosk_id, public_key);
  }
  trust.kiosk_keys.insert_or_assign(own_kiosk_id, own_public_key);
  trust.revoked_kiosks.insert(bundle.revoked_kiosks.begin(), bundle.revoked_kiosks.end());
  trust.revoked_vouchers.insert(bundle.revoked_vouchers.begin(), bundle.revoked_vouchers.end());
  trust.honoured = bundle.honoured_vouchers;
  return trust;
}

}  // namespace

// Everything a bundle means for the kiosk, built before anything is changed.
struct HqConfigKeeper::Plan {
  std::optional<ChannelTokenCodec> codec;
  TrustList trust;
  std::vector<EventDraft> channel_events;
  std::vector<std::int64_t> erased_seqs;  // of this journal's incarnation, ascending
};

HqConfigKeeper::HqConfigKeeper(const std::filesystem::path& state_dir, HqConfigTargets targets,
                               KioskOwnKeys own, const Clock& clock)
    : file_(state_dir / "hq-config.json"),
      redeemed_file_(state_dir / "hq-redeemed.db"),
      targets_(targets),
      own_(std::move(own)),
      clock_(clock) {}

std::int64_t HqConfigKeeper::NowSeconds() const { return UnixMs(clock_.WallNow()) / 1000; }

Result<RedeemedListStore*> HqConfigKeeper::RedeemedFile() {
  if (!redeemed_store_) {
    auto opened = RedeemedListStore::Open(redeemed_file_);
    if (!opened) return opened.error();
    redeemed_store_ = std::move(*opened);
  }
  return redeemed_store_.get();
}

RedeemedPosition HqConfigKeeper::redeemed_end() const {
  std::lock_guard lock(mutex_);
  return redeemed_end_;
}

std::string HqConfigKeeper::honoured_digest() const {
  return HonouredListDigest(targets_.trust->Current()->honoured);
}

std::optional<std::int64_t> HqConfigKeeper::version() const {
  std::lock_guard lock(mutex_);
  return version_;
}

Result<HqConfigKeeper::Plan> HqConfigKeeper::Prepare(const ConfigBundle& bundle) const {
  Plan plan;
  std::vector<TokenKey> keys;
  bool own_id_taken = false;
  for (const BundleTokenKey& key : bundle.channel_keys) {
    keys.push_back(TokenKey{key.id, key.secret, key.retired_at_s});
    own_id_taken = own_id_taken || key.id == own_.channel_key.id;
  }
  if (!own_id_taken) keys.push_back(TokenKey{own_.channel_key.id, own_.channel_key.secret, {}});
  const char signing = bundle.channel_keys.empty() ? own_.channel_key.id : bundle.signing_key_id;
  auto codec = ChannelTokenCodec::Create(std::move(keys), signing, kChannelKeyOverlap);
  if (!codec) return codec.error().WithContext("channel keys");
  plan.codec.emplace(std::move(*codec));
  plan.trust = TrustListFromBundle(bundle, own_.kiosk_id, own_.voucher_public_key);
  auto changes = ChannelChanges(bundle, *targets_.channels);
  if (!changes) return changes.error().WithContext("channels");
  plan.channel_events = std::move(*changes);
  for (const std::string& key : bundle.erased_events) {
    const std::optional<ErasedEventRef> event = ParseErasedEventKey(key);
    if (event && event->kiosk_id == targets_.journal->kiosk_id() &&
        event->incarnation == targets_.journal->incarnation()) {
      plan.erased_seqs.push_back(event->seq);
    }
  }
  std::sort(plan.erased_seqs.begin(), plan.erased_seqs.end());
  return plan;
}

Result<void> HqConfigKeeper::RecordChannels(const std::vector<EventDraft>& events) {
  for (std::size_t i = 0; i < events.size(); ++i) {
    const EventDraft& event = events[i];
    auto seq = targets_.journal->Append(event);
    if (!seq) {
      return seq.error().WithContext(
          StrCat("channel ", event.channel_id.value_or(""), " (", i, " of ", events.size(),
                 " channel changes recorded; the rest when HQ's bundle is applied again)"));
    }
    if (auto applied = targets_.channels->Apply(event.type, event.payload_json); !applied) {
      return applied.error().WithContext(StrCat("channel ", event.channel_id.value_or("")));
    }
    LogInfo(kComponent, "HQ ", event.type == "channel_retired" ? "retired" : "defined", " channel ",
            event.channel_id.value_or(""));
  }
  return {};
}

void HqConfigKeeper::RestoreSavedCopy() {
  if (saved_text_) {
    if (auto restored = WriteFileAtomically(file_, *saved_text_, 0600); !restored) {
      LogError(kComponent, "could not put back HQ's previous config in ", file_.string(), ": ",
               restored.error().message());
    }
    return;
  }
  std::error_code error;
  std::filesystem::remove(file_, error);
  if (error) {
    LogError(kComponent, "could not remove ", file_.string(), ": ", error.message());
  }
}

Result<std::size_t> HqConfigKeeper::ApplyLocked(const ConfigBundle& bundle,
                                                std::optional<std::string> text,
                                                const RedeemedVouchers* sent_redeemed) {
  auto plan = Prepare(bundle);
  if (!plan) return plan.error();
  // First, and whatever happens next: erasure only removes data, and repeating it is harmless.
  if (!plan->erased_seqs.empty()) {
    auto scrubbed = targets_.journal->ScrubErased(plan->erased_seqs);
    if (!scrubbed) return scrubbed.error().WithContext("erase what HQ erased");
    if (*scrubbed > 0) {
      LogInfo(kComponent, "HQ erased shoppers: scrubbed ", *scrubbed, " signup(s) in the journal");
    }
  }
  auto store = RedeemedFile();
  if (!store) return store.error();
  if (sent_redeemed != nullptr) {
    if (auto saved = (*store)->Save(*sent_redeemed, NowSeconds()); !saved) {
      return saved.error().WithContext(redeemed_file_.string());
    }
  }
  auto held = (*store)->Load(NowSeconds());
  if (!held) return held.error().WithContext(redeemed_file_.string());
  for (RedeemedVoucher& voucher : held->vouchers) {  // sorted by key: each insert is at the end
    plan->trust.redeemed_elsewhere.emplace_hint(plan->trust.redeemed_elsewhere.end(),
                                                std::move(voucher.key));
  }
  const bool write = text && text != saved_text_;
  if (write) {
    if (auto written = WriteFileAtomically(file_, *text, 0600); !written) {
      return written.error().WithContext("save HQ's config");
    }
  }
  if (auto recorded = RecordChannels(plan->channel_events); !recorded) {
    if (write) RestoreSavedCopy();
    return recorded.error();
  }
  if (text) saved_text_ = std::move(text);

  targets_.channel_codes->Replace(std::move(*plan->codec));
  if (*targets_.hq_public_key->Current() != bundle.hq_public_key) {
    targets_.hq_public_key->Replace(bundle.hq_public_key);
    LogInfo(kComponent, "HQ's sealing key is new: personal data is sealed for it from now on");
  }
  const std::size_t redeemed_count = plan->trust.redeemed_elsewhere.size();
  targets_.trust->Replace(std::move(plan->trust));
  version_ = bundle.version;
  redeemed_end_ = held->end();
  return redeemed_count;
}

Result<void> HqConfigKeeper::LoadSaved() {
  std::lock_guard lock(mutex_);
  auto text = ReadSmallFile(file_, kMaxSavedBytes);
  if (!text) return text.error().kind() == ErrorKind::kNotFound ? Result<void>() : text.error();
  auto decoded = DecodeConfigBundle(*text);
  if (!decoded) return decoded.error().WithContext(file_.string());
  auto store = RedeemedFile();
  if (!store) return store.error();
  if (decoded->redeemed.through > 0 || !decoded->redeemed.vouchers.empty()) {
    // Saved before the list had a file of its own: the copy's list is the one in force.
    RedeemedVouchers whole_list = std::exchange(decoded->redeemed, {});
    whole_list.since.reset();
    if (auto moved = (*store)->Save(whole_list, NowSeconds()); !moved) {
      return moved.error().WithContext(redeemed_file_.string());
    }
    LogInfo(kComponent, "moved the ", whole_list.vouchers.size(),
            " redeemed vouchers of HQ's saved config to ", redeemed_file_.string());
  }
  saved_text_ = *text;
  auto applied = ApplyLocked(*decoded, std::nullopt, nullptr);
  if (!applied) return applied.error().WithContext(file_.string());
  LogInfo(kComponent, "applied HQ's saved config version ", decoded->version, " with ", *applied,
          " vouchers redeemed elsewhere");
  return {};
}

Result<void> HqConfigKeeper::Apply(const ConfigBundle& bundle) {
  std::lock_guard lock(mutex_);
  if (auto valid = ValidateConfigBundle(bundle); !valid) return valid.error();
  const RedeemedVouchers& sent = bundle.redeemed;
  if (sent.since && *sent.since != redeemed_end_.through) {
    return Error(
        ErrorKind::kInvalidArgument,
        StrCat("redeemed.since: HQ sent the vouchers redeemed after ledger position ", *sent.since,
               ", but this kiosk holds them through ", redeemed_end_.through));
  }
  ConfigBundle copy = bundle;  // the list lives in hq-redeemed.db
  copy.redeemed = RedeemedVouchers{};
  if (copy.honoured_vouchers.empty() && !copy.honoured_digest.empty()) {  // the digest alone
    const std::shared_ptr<const TrustList> in_force = targets_.trust->Current();
    if (copy.honoured_digest != HonouredListDigest(in_force->honoured)) {
      return Error(ErrorKind::kInvalidArgument,
                   "honoured_digest: HQ sent it alone for a list of honoured vouchers this kiosk "
                   "does not hold");
    }
    copy.honoured_vouchers = in_force->honoured;
  }
  auto text = EncodeConfigBundle(copy);
  if (!text) return text.error();
  auto applied = ApplyLocked(copy, std::move(*text), &sent);
  if (!applied) return applied.error();
  return {};
}

}  // namespace kiosk_edge
