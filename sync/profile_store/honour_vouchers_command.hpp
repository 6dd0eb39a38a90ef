#pragma once

// profile-store's `honour-vouchers ID --received-before TIME [--dry-run]` once its command line is
// checked (and, unless a dry run, audited): kiosks accept again the revoked kiosk's vouchers whose
// issue HQ received before TIME (StoreBackend::HonourVouchersOf). Both forms print how many, and
// where TIME falls among the arrivals of the kiosk's unexpired vouchers' issues
// (HonourBoundaryText), so that an operator can see a thief's burst before naming a time too late.
// Exit status: 0 done, 1 failed.

#include <cstdint>
#include <iosfwd>
#include <span>
#include <string>
#include <string_view>

#include "sync/profile_store/store_backend.hpp"

namespace kiosk_edge {

// `now_ms`: HQ's clock, for which vouchers have expired. A dry run stores nothing.
int HonourVouchersCommand(StoreBackend& store, std::string_view kiosk_id,
                          std::int64_t received_before_ms, bool dry_run, std::int64_t now_ms,
                          std::ostream& out, std::ostream& err);

// Where `cutoff_ms` falls among `arrivals_ms` (ascending, StoreBackend::VoucherIssueArrivals):
//   "its unexpired vouchers' issues: 212 received before 2026-12-01T10:00:00Z, the last at
//    2026-12-01T09:58:12Z; 37 received from then on, the first at 2026-12-01T10:20:03Z, stay
//    refused"
// with "none received before ..." or "none from then on" when a side is empty.
std::string HonourBoundaryText(std::span<const std::int64_t> arrivals_ms, std::int64_t cutoff_ms);

}  // namespace kiosk_edge
