#include "sync/profile_store/kiosk_health.hpp"

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <map>

#include "common/strings.hpp"
#include "sync/profile_store/report_time.hpp"

namespace kiosk_edge {
namespace {

boost::json::value TimeOrNull(std::int64_t unix_ms) {
  if (unix_ms <= 0) return nullptr;
  return boost::json::string(FormatReportTime(unix_ms, 0));
}

// Sets <name>_not_after and <name>_seconds_left (from `now_ms`) when `not_after_ms` is known.
void PutCertificateEnd(boost::json::object& entry, std::string_view name,
                       std::optional<std::int64_t> not_after_ms, std::int64_t now_ms) {
  if (!not_after_ms) return;
  entry[StrCat(name, "_not_after")] = TimeOrNull(*not_after_ms);
  entry[StrCat(name, "_seconds_left")] = (*not_after_ms - now_ms) / 1000;
}

boost::json::object EntryJson(const KioskHealth& kiosk, std::int64_t now_ms) {
  boost::json::object entry{{"kiosk_id", kiosk.kiosk_id},
                            {"enrolled", kiosk.enrolled},
                            {"revoked", kiosk.revoked},
                            {"incarnation", nullptr},
                            {"high_water", 0},
                            {"max_seq", 0},
                            {"last_sync_at", nullptr},
                            {"seconds_since_sync", nullptr},
                            {"gaps", boost::json::array()},
                            {"missing_events", 0},
                            {"dead_letters", 0},
                            {"voucher_conflicts", 0},
                            {"backlog", nullptr},
                            {"https_certificate_not_after", nullptr},
                            {"https_certificate_seconds_left", nullptr},
                            {"client_certificate_not_after", nullptr},
                            {"client_certificate_seconds_left", nullptr}};
  if (!kiosk.stream) return entry;
  const KioskStatus& stream = *kiosk.stream;
  entry["incarnation"] = stream.incarnation;
  entry["high_water"] = stream.high_water;
  entry["max_seq"] = stream.max_seq;
  entry["last_sync_at"] = TimeOrNull(stream.last_batch_at_ms);
  if (stream.journal_last_seq) {
    entry["backlog"] = std::max<std::int64_t>(0, *stream.journal_last_seq - stream.high_water);
  }
  PutCertificateEnd(entry, "https_certificate", stream.https_not_after_ms, now_ms);
  PutCertificateEnd(entry, "client_certificate", stream.client_certificate_not_after_ms, now_ms);
  if (stream.last_batch_at_ms > 0) {
    entry["seconds_since_sync"] =
        std::max<std::int64_t>(0, now_ms - stream.last_batch_at_ms) / 1000;
  }
  boost::json::array gaps;
  std::int64_t missing = 0;
  for (const SeqGap& gap : stream.gaps) {
    gaps.push_back(boost::json::object{{"from_seq", gap.from_seq},
                                       {"to_seq", gap.to_seq},
                                       {"detected_at", TimeOrNull(gap.detected_at_ms)}});
    missing += gap.to_seq - gap.from_seq + 1;
  }
  entry["gaps"] = std::move(gaps);
  entry["missing_events"] = missing;
  entry["dead_letters"] = stream.dead_letters;
  entry["voucher_conflicts"] = stream.conflicts;
  return entry;
}

}  // namespace

Result<std::vector<KioskHealth>> ReadKioskHealth(StoreBackend& store) {
  auto registry = store.Kiosks();
  if (!registry) return registry.error();
  auto streams = store.KioskStatuses();
  if (!streams) return streams.error();
  std::map<std::string, KioskHealth> by_id;
  for (const KioskRecord& record : *registry) {
    KioskHealth& kiosk = by_id[record.kiosk_id];
    kiosk.kiosk_id = record.kiosk_id;
    kiosk.enrolled = true;
    kiosk.revoked = record.revoked;
  }
  for (KioskStatus& status : *streams) {
    KioskHealth& kiosk = by_id[status.kiosk_id];
    kiosk.kiosk_id = status.kiosk_id;
    kiosk.stream = std::move(status);
  }
  std::vector<KioskHealth> kiosks;
  for (auto& [id, kiosk] : by_id) kiosks.push_back(std::move(kiosk));
  return kiosks;
}

std::string KioskHealthJson(const std::vector<KioskHealth>& kiosks, std::int64_t now_ms) {
  boost::json::array entries;
  for (const KioskHealth& kiosk : kiosks) entries.push_back(EntryJson(kiosk, now_ms));
  boost::json::object body{{"generated_at", FormatReportTime(now_ms, 0)},
                           {"kiosks", std::move(entries)}};
  return boost::json::serialize(body);
}

}  // namespace kiosk_edge
