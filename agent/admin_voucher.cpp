#include "agent/admin_voucher.hpp"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>

#include "common/json_fields.hpp"
#include "common/strings.hpp"

namespace kiosk_edge {
namespace {

constexpr std::size_t kReadChunk = 2000;

Result<boost::json::value> RedemptionOf(Journal& journal, const Voucher& voucher) {
  // The claim redemption.cpp takes for a voucher.
  auto seq = journal.FindClaim(StrCat("redeem:", voucher.kiosk_id, "/", voucher.id));
  if (!seq) return seq.error();
  if (!*seq) return boost::json::value(nullptr);
  boost::json::object redeemed{{"seq", **seq}};
  auto events = journal.ReadAfter(**seq - 1, 1);
  if (!events) return events.error();
  if (!events->empty() && events->front().seq == **seq) {
    const JournalEvent& event = events->front();
    redeemed["at_ms"] = event.occurred_at_ms;
    redeemed["kiosk"] = event.kiosk_id;
    boost::system::error_code error;
    const auto payload = boost::json::parse(event.payload_json, error);
    if (!error && payload.is_object()) {
      redeemed["staff"] = JsonString(payload.as_object(), "staff");
      redeemed["source"] = JsonString(payload.as_object(), "source");
    }
  }
  return boost::json::value(std::move(redeemed));
}

Result<boost::json::array> RefusalsOf(Journal& journal, const Voucher& voucher) {
  boost::json::array refusals;
  std::int64_t after =
      std::max<std::int64_t>(0, journal.Marks().last_seq - kVoucherRefusalScanEvents);
  while (true) {
    auto events = journal.ReadAfter(after, kReadChunk);
    if (!events) return events.error();
    for (const JournalEvent& event : *events) {
      after = event.seq;
      if (event.type != "redemption_refused") continue;
      boost::system::error_code error;
      const auto payload = boost::json::parse(event.payload_json, error);
      if (error || !payload.is_object()) continue;
      const auto& fields = payload.as_object();
      if (JsonString(fields, "voucher") != voucher.id ||
          JsonString(fields, "signer") != voucher.kiosk_id) {
        continue;
      }
      refusals.push_back(boost::json::object{{"seq", event.seq},
                                             {"at_ms", event.occurred_at_ms},
                                             {"reason", JsonString(fields, "reason")}});
    }
    if (events->size() < kReadChunk) return refusals;
  }
}

}  // namespace

Result<boost::json::object> DescribeVoucher(Journal& journal, const TrustList& trust,
                                            std::string_view store_id, std::int64_t now_unix_s,
                                            std::string_view code) {
  const VoucherCheck check = CheckVoucher(NormalizeScannedCode(code), trust, store_id, now_unix_s);
  boost::json::object body;
  body["voucher"] = nullptr;
  body["redeemed"] = nullptr;
  body["refusals"] = boost::json::array();
  if (check.refusal) {
    body["refusal"] = ToString(*check.refusal);
    body["detail"] = check.detail;
  }
  if (!check.voucher) {
    body["verdict"] = "refused";
    return body;
  }
  const Voucher& voucher = *check.voucher;
  body["voucher"] =
      boost::json::object{{"id", voucher.id},          {"signer", voucher.kiosk_id},
                          {"store", voucher.store_id}, {"scope", ToString(voucher.scope)},
                          {"gift", voucher.gift},      {"expires_at", voucher.expires_at}};
  auto redeemed = RedemptionOf(journal, voucher);
  if (!redeemed) return redeemed.error();
  auto refusals = RefusalsOf(journal, voucher);
  if (!refusals) return refusals.error();
  body["refusals"] = std::move(*refusals);
  body["verdict"] = !redeemed->is_null() ? "redeemed" : check.refusal ? "refused" : "redeemable";
  body["redeemed"] = std::move(*redeemed);
  return body;
}

}  // namespace kiosk_edge
