#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <string_view>

#include "agent/journal.hpp"
#include "agent/voucher_check.hpp"
#include "common/error.hpp"

namespace kiosk_edge {

// Blocking (journal reads). `code` decoded and checked as the counter in `store_id` would check
// it at `now_unix_s`, without redeeming it, with its redemption and the refusals of it found in
// the journal: the body of POST /admin/voucher (admin_status.hpp). Refusals are looked for among
// the newest kVoucherRefusalScanEvents events. An error only when the journal cannot be read.
Result<boost::json::object> DescribeVoucher(Journal& journal, const TrustList& trust,
                                            std::string_view store_id, std::int64_t now_unix_s,
                                            std::string_view code);

inline constexpr std::int64_t kVoucherRefusalScanEvents = 100'000;

}  // namespace kiosk_edge
