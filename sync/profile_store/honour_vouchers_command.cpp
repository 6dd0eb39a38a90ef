#include "sync/profile_store/honour_vouchers_command.hpp"

#include <algorithm>
#include <ostream>

#include "common/strings.hpp"
#include "sync/profile_store/report_time.hpp"
#include "sync/protocol/config_bundle.hpp"

namespace kiosk_edge {

std::string HonourBoundaryText(std::span<const std::int64_t> arrivals_ms, std::int64_t cutoff_ms) {
  const auto first_after = std::lower_bound(arrivals_ms.begin(), arrivals_ms.end(), cutoff_ms);
  const auto before = static_cast<std::size_t>(first_after - arrivals_ms.begin());
  const std::size_t after = arrivals_ms.size() - before;
  const std::string cutoff = FormatReportTime(cutoff_ms, 0);
  std::string text = "its unexpired vouchers' issues: ";
  text += before == 0 ? StrCat("none received before ", cutoff)
                      : StrCat(before, " received before ", cutoff, ", the last at ",
                               FormatReportTime(*(first_after - 1), 0));
  text += after == 0 ? "; none from then on"
                     : StrCat("; ", after, " received from then on, the first at ",
                              FormatReportTime(*first_after, 0), ", stay refused");
  return text;
}

int HonourVouchersCommand(StoreBackend& store, std::string_view kiosk_id,
                          std::int64_t received_before_ms, bool dry_run, std::int64_t now_ms,
                          std::ostream& out, std::ostream& err) {
  constexpr int kOk = 0, kFailed = 1;
  auto cutoff = dry_run ? store.HonourCutoffFor(kiosk_id, received_before_ms)
                        : store.HonourVouchersOf(kiosk_id, received_before_ms);
  if (!cutoff) {
    err << "profile-store: " << cutoff.error().message() << "\n";
    return kFailed;
  }
  const std::int64_t now_s = now_ms / 1000;
  auto arrivals = store.VoucherIssueArrivals(kiosk_id, now_s);
  if (!arrivals) {
    err << "profile-store: " << arrivals.error().message() << "\n";
    return kFailed;
  }
  const std::string before = FormatReportTime(*cutoff, 0);
  if (dry_run) {
    out << "kiosk " << kiosk_id << ": the vouchers whose issue HQ received before " << before
        << " would be honoured (--dry-run: nothing changed)\n";
  } else {
    // What kiosks get: the bundle's list as HQ now makes it.
    auto honoured = store.HonouredVouchersOfRevokedKiosks(now_s, kMaxBundleListItems);
    if (!honoured) {
      err << "profile-store: " << honoured.error().message() << "\n";
      return kFailed;
    }
    const auto kiosk = honoured->find(std::string(kiosk_id));
    out << "kiosk " << kiosk_id << ": "
        << (kiosk == honoured->end() ? 0 : kiosk->second.vouchers.size())
        << " unexpired vouchers whose issue HQ received before " << before
        << " are honoured: kiosks accept them from their next config pull\n";
  }
  out << HonourBoundaryText(*arrivals, *cutoff) << "\n";
  return kOk;
}

}  // namespace kiosk_edge
