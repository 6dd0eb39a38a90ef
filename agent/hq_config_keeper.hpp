#pragma once

// Applies HQ's config bundle (sync/protocol/config_bundle.hpp) to a running kiosk, whole or not
// at all, and keeps the last good copy in `state_dir`/hq-config.json (0600), all of it but the
// redeemed vouchers, which live in `state_dir`/hq-redeemed.db (agent/redeemed_list_store.hpp).
//
// What a bundle changes:
//   channels      HQ's channels become the kiosk's. The journal stays the record: the keeper
//                 appends channel_defined ("origin": "hq") for each channel that is new or
//                 changed, and channel_retired for each HQ channel the bundle retires or no longer
//                 lists; HQ receives them back like any event. Channels the kiosk defined itself
//                 (kiosk-agent.toml, kioskctl) stay unless HQ defines the same id. A retired
//                 channel the kiosk never knew is not recorded.
//   channel keys  new codes are signed with HQ's signing key; every HQ key in the bundle
//                 verifies, retired ones for kChannelKeyOverlap after retirement; the kiosk's own
//                 key stays as a verifying-only key, so codes it printed before enrollment keep
//                 working (unless HQ sends a key with the same id, which then wins).
//   hq_public_key new personal data is sealed for it.
//   trust list    trusted kiosks, revoked kiosks and vouchers, vouchers HQ knows were redeemed.
//                 A bundle may carry only the vouchers redeemed since the list the kiosk holds
//                 (RedeemedVouchers::since); one since another position is refused.
//                 hq-redeemed.db merges what HQ sent (RedeemedListStore::Save), and the trust
//                 list is then read back from it, so the list a kiosk holds is not bound by one
//                 bundle's limits (HQ sends it in pages). A saved copy from before (hq-config.json
//                 holding the list) moves the list into hq-redeemed.db at the next start.
//   erasure       the personal data of this journal's erased_events is scrubbed
//                 (Journal::ScrubErased), before anything else and even if the rest fails.
//
// Order, so that a failure changes nothing: everything is checked and built first (a bundle that
// fails there changes nothing); then the redeemed vouchers are saved and the list in force read
// back (a list ahead of the copy is harmless, see redeemed_list_store.hpp); then the copy is saved
// (the commit point: a crash after it is mended at the next start, which applies the saved copy);
// then the channel events are journaled (if that fails, the previous copy is put back and the keys
// stay as they were; channel events already recorded are complete definitions and stay, and the
// next pull tries again); then the keys, HQ's key and the trust list are swapped in memory, which
// cannot fail.

#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "agent/channel_token.hpp"
#include "agent/channels.hpp"
#include "agent/journal.hpp"
#include "agent/redeemed_list_store.hpp"
#include "agent/voucher_check.hpp"
#include "common/clock.hpp"
#include "sync/protocol/config_bundle.hpp"

namespace kiosk_edge {

// Printed posters stay valid this long after their signing key is retired. HQ keeps a retired
// key in the bundle for as long (sync/profile_store/hq_channel_keys.hpp).
inline constexpr std::chrono::hours kChannelKeyOverlap{24 * 90};

// What a bundle changes on the kiosk. Everything outlives the keeper.
struct HqConfigTargets {
  Journal* journal;
  ChannelRegistry* channels;
  ChannelCodecHolder* channel_codes;
  SharedSnapshot<std::string>* hq_public_key;  // X25519, 32 bytes
  TrustStore* trust;
};

// The kiosk's own identity and keys, which a bundle adds to rather than replaces.
struct KioskOwnKeys {
  std::string kiosk_id;
  std::string voucher_public_key;  // Ed25519, 32 bytes
  TokenKey channel_key;            // verifying-only once HQ's keys arrive
};

class HqConfigKeeper {
 public:
  // `clock` tells which redeemed vouchers have expired.
  HqConfigKeeper(const std::filesystem::path& state_dir, HqConfigTargets targets, KioskOwnKeys own,
                 const Clock& clock);

  // Applies the saved copy, if any (a missing file is not an error), including channel events
  // the journal lacks. Call at start, before the kiosk's own channels are defined.
  Result<void> LoadSaved();
  // Applies `bundle` and saves it as the last good copy. An error (logged by the caller) leaves
  // the kiosk as it was, see above. Calls are serialised.
  Result<void> Apply(const ConfigBundle& bundle);

  // The version of the bundle in force; nullopt before the first one.
  std::optional<std::int64_t> version() const;
  // Where the redeemed vouchers in force end (through 0 before any).
  RedeemedPosition redeemed_end() const;
  // The honoured_digest of the honoured vouchers in force, the trust list's ("": none). A bundle
  // may send the digest alone for them (config_bundle.hpp).
  std::string honoured_digest() const;

 private:
  struct Plan;
  Result<Plan> Prepare(const ConfigBundle& bundle) const;
  // Applies `bundle` (its redeemed list ignored) with the list in hq-redeemed.db, after adding
  // `sent_redeemed` (what HQ sent) to the file if given; with `text`, saves it as the copy.
  // Returns how many redeemed vouchers are now in force.
  Result<std::size_t> ApplyLocked(const ConfigBundle& bundle, std::optional<std::string> text,
                                  const RedeemedVouchers* sent_redeemed);
  // The redeemed list's file, opened at first use.
  Result<RedeemedListStore*> RedeemedFile();
  std::int64_t NowSeconds() const;  // Unix s, by clock_
  Result<void> RecordChannels(const std::vector<EventDraft>& events);
  void RestoreSavedCopy();

  const std::filesystem::path file_;
  const std::filesystem::path redeemed_file_;
  std::unique_ptr<RedeemedListStore> redeemed_store_;
  const HqConfigTargets targets_;
  const KioskOwnKeys own_;
  const Clock& clock_;
  mutable std::mutex mutex_;
  std::optional<std::string> saved_text_;  // the file's contents: the last good copy
  std::optional<std::int64_t> version_;
  RedeemedPosition redeemed_end_;  // where the list in force (the trust list's) ends
};

}  // namespace kiosk_edge
