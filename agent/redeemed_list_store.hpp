#pragma once

// The vouchers HQ knows were redeemed that a kiosk holds (HqConfigKeeper), with where HQ's
// ledger list ends, kept in their own SQLite file (state_dir/hq-redeemed.db): a bundle's news
// then costs the kiosk a few rows, not a rewrite of the whole list, and the list is not bound by
// the limits of one bundle (kMaxBundleListItems, kMaxConfigBundleBytes).
//
// The file may run ahead of hq-config.json (a crash between the two, or channels that failed to
// apply after the list was saved): HQ's ledger only grows, so a list through a later position is
// still HQ's truth, and news applied twice change nothing.

#include <cstdint>
#include <filesystem>
#include <memory>

#include "common/error.hpp"
#include "common/sqlite.hpp"
#include "sync/protocol/config_bundle.hpp"

namespace kiosk_edge {

class RedeemedListStore {
 public:
  // Opens or creates `file`.
  static Result<std::unique_ptr<RedeemedListStore>> Open(const std::filesystem::path& file);

  // The list held without the vouchers expired at `now_s` (sorted by key, `since` unset), through
  // 0 and empty before the first Save.
  Result<RedeemedVouchers> Load(std::int64_t now_s);
  // Stores what HQ sent: `sent` without `since` replaces the list, with `since` adds to it; then
  // drops the vouchers expired at `now_s`, and records `sent`'s end. One transaction.
  Result<void> Save(const RedeemedVouchers& sent, std::int64_t now_s);

 private:
  explicit RedeemedListStore(Database db) : db_(std::move(db)) {}

  Database db_;
};

}  // namespace kiosk_edge
