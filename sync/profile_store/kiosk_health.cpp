#include "sync/profile_store/kiosk_health.hpp"

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <map>

#include "common/clock.hpp"
#include "common/strings.hpp"
#include "common/tls_certs.hpp"
#include "sync/profile_store/report_time.hpp"
#include "sync/protocol/batch.hpp"

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

std::int64_t MissingEvents(const KioskStatus& stream) {
  std::int64_t missing = 0;
  for (const SeqGap& gap : stream.gaps) missing += gap.to_seq - gap.from_seq + 1;
  return missing;
}

// What the kiosk held beyond the high-water mark as its latest batch left, if it said.
std::optional<std::int64_t> Backlog(const KioskStatus& stream) {
  if (!stream.journal_last_seq) return std::nullopt;
  return std::max<std::int64_t>(0, *stream.journal_last_seq - stream.high_water);
}

// "1 dead letter", "2 dead letters".
std::string Counted(std::int64_t count, std::string_view one, std::string_view many) {
  return StrCat(count, " ", count == 1 ? one : many);
}

// A certificate's end as a reason for attention, if it has passed or comes within `warning`.
void CheckCertificate(std::vector<std::string>& reasons, std::optional<std::int64_t> not_after_ms,
                      std::chrono::milliseconds warning, std::string_view name,
                      std::string_view renewal, std::int64_t now_ms) {
  if (!not_after_ms) return;
  const std::int64_t left_ms = *not_after_ms - now_ms;
  if (left_ms <= 0) {
    reasons.push_back(StrCat(name, " has expired", renewal));
  } else if (left_ms < warning.count()) {
    reasons.push_back(StrCat(name, " expires in ", FormatAge(left_ms), renewal));
  }
}

// Until when HQ refuses the kiosk's batches at `now_ms`, past its events of the day: nothing once
// that time has passed, or when HQ stored a batch of it since (an instance that counts afresh).
std::optional<std::int64_t> EventsRefusedUntil(const KioskHealth& kiosk, std::int64_t now_ms) {
  if (!kiosk.events_refused || kiosk.events_refused->until_ms <= now_ms) return std::nullopt;
  if (kiosk.stream && kiosk.stream->last_batch_at_ms > kiosk.events_refused->at_ms) {
    return std::nullopt;
  }
  return kiosk.events_refused->until_ms;
}

boost::json::object EntryJson(const KioskHealth& kiosk, std::int64_t now_ms,
                              const KioskHealthRules& rules) {
  boost::json::object entry{{"kiosk_id", kiosk.kiosk_id},
                            {"enrolled", kiosk.enrolled},
                            {"revoked", kiosk.revoked},
                            {"revoked_at", nullptr},
                            {"honours_vouchers_received_before", nullptr},
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
                            {"events_refused_until", nullptr},
                            {"https_certificate_not_after", nullptr},
                            {"https_certificate_seconds_left", nullptr},
                            {"client_certificate_not_after", nullptr},
                            {"client_certificate_seconds_left", nullptr},
                            {"last_contact_at", nullptr},
                            {"seconds_since_contact", nullptr},
                            {"clock_offset_seconds", nullptr},
                            {"attention", boost::json::array()}};
  if (kiosk.revoked_at_ms) entry["revoked_at"] = TimeOrNull(*kiosk.revoked_at_ms);
  if (kiosk.honour_received_before_ms) {
    entry["honours_vouchers_received_before"] = TimeOrNull(*kiosk.honour_received_before_ms);
  }
  if (kiosk.clock_offset_ms) entry["clock_offset_seconds"] = *kiosk.clock_offset_ms / 1000;
  if (const auto refused_until_ms = EventsRefusedUntil(kiosk, now_ms)) {
    entry["events_refused_until"] = TimeOrNull(*refused_until_ms);
  }
  if (kiosk.last_contact_ms) {
    entry["last_contact_at"] = TimeOrNull(*kiosk.last_contact_ms);
    entry["seconds_since_contact"] =
        std::max<std::int64_t>(0, now_ms - *kiosk.last_contact_ms) / 1000;
  }
  boost::json::array attention;
  for (std::string& reason : KioskAttention(kiosk, now_ms, rules)) {
    attention.emplace_back(std::move(reason));
  }
  entry["attention"] = std::move(attention);
  PutCertificateEnd(entry, "client_certificate", kiosk.client_certificate_not_after_ms, now_ms);
  if (!kiosk.stream) return entry;
  const KioskStatus& stream = *kiosk.stream;
  entry["incarnation"] = stream.incarnation;
  entry["high_water"] = stream.high_water;
  entry["max_seq"] = stream.max_seq;
  entry["last_sync_at"] = TimeOrNull(stream.last_batch_at_ms);
  if (const std::optional<std::int64_t> backlog = Backlog(stream)) entry["backlog"] = *backlog;
  PutCertificateEnd(entry, "https_certificate", stream.https_not_after_ms, now_ms);
  if (stream.last_batch_at_ms > 0) {
    entry["seconds_since_sync"] =
        std::max<std::int64_t>(0, now_ms - stream.last_batch_at_ms) / 1000;
  }
  boost::json::array gaps;
  for (const SeqGap& gap : stream.gaps) {
    gaps.push_back(boost::json::object{{"from_seq", gap.from_seq},
                                       {"to_seq", gap.to_seq},
                                       {"detected_at", TimeOrNull(gap.detected_at_ms)}});
  }
  entry["gaps"] = std::move(gaps);
  entry["missing_events"] = MissingEvents(stream);
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
    kiosk.revoked_at_ms = record.revoked_at_ms;
    kiosk.honour_received_before_ms = record.honour_received_before_ms;
    kiosk.events_refused = record.events_refused;
    kiosk.enrolled_at_ms = record.enrolled_at_ms;
    kiosk.last_contact_ms = record.last_contact_ms;
    kiosk.clock_offset_ms = record.clock_offset_ms;
    kiosk.client_certificate_not_after_ms = record.cert_not_after_ms;
  }
  for (KioskStatus& status : *streams) {
    KioskHealth& kiosk = by_id[status.kiosk_id];
    kiosk.kiosk_id = status.kiosk_id;
    if (status.last_batch_at_ms > 0) {
      kiosk.last_contact_ms = std::max(kiosk.last_contact_ms.value_or(0), status.last_batch_at_ms);
    }
    if (!kiosk.client_certificate_not_after_ms) {
      kiosk.client_certificate_not_after_ms = status.client_certificate_not_after_ms;
    }
    kiosk.stream = std::move(status);
  }
  std::vector<KioskHealth> kiosks;
  for (auto& [id, kiosk] : by_id) kiosks.push_back(std::move(kiosk));
  return kiosks;
}

std::vector<std::string> KioskAttention(const KioskHealth& kiosk, std::int64_t now_ms,
                                        const KioskHealthRules& rules) {
  std::vector<std::string> reasons;
  if (kiosk.stream) {
    const KioskStatus& stream = *kiosk.stream;
    if (const std::int64_t missing = MissingEvents(stream); missing > 0) {
      reasons.push_back(Counted(missing, "event missing", "events missing"));
    }
    if (stream.dead_letters > 0) {
      reasons.push_back(Counted(stream.dead_letters, "dead letter", "dead letters"));
    }
    if (stream.conflicts > 0) {
      reasons.push_back(Counted(stream.conflicts, "voucher conflict", "voucher conflicts"));
    }
  }
  if (kiosk.revoked) return reasons;  // it cannot reach HQ any more, nor renew anything
  if (const auto refused_until_ms = EventsRefusedUntil(kiosk, now_ms)) {
    reasons.push_back(StrCat("sent its events of the day: HQ refuses its batches for ",
                             FormatAge(*refused_until_ms - now_ms),
                             " ([server] kiosk_events_per_day)"));
  }
  const std::int64_t contact_ms = kiosk.last_contact_ms.value_or(0);
  const std::int64_t since_ms = std::max(contact_ms, kiosk.enrolled_at_ms);
  if (since_ms > 0 && now_ms - since_ms > std::chrono::milliseconds(rules.silent_after).count()) {
    reasons.push_back(contact_ms >= kiosk.enrolled_at_ms
                          ? StrCat("no contact with HQ for ", FormatAge(now_ms - since_ms))
                          : StrCat("no contact with HQ since it enrolled ",
                                   FormatAge(now_ms - since_ms), " ago"));
  }
  if (auto clock = ClockOffsetAttention(kiosk.clock_offset_ms.value_or(0))) {
    reasons.push_back(std::move(*clock));
  }
  if (kiosk.stream) {
    CheckCertificate(reasons, kiosk.stream->https_not_after_ms, kPhonesCertificateWarning,
                     "the phones' certificate", "", now_ms);
  }
  CheckCertificate(reasons, kiosk.client_certificate_not_after_ms, kClientCertificateWarning,
                   "the sync certificate",
                   ": not renewed by the kiosk (kioskctl status there says why); once expired, "
                   "enroll the kiosk again",
                   now_ms);
  return reasons;
}

std::string KioskHealthJson(const std::vector<KioskHealth>& kiosks, std::int64_t now_ms,
                            const KioskHealthRules& rules) {
  boost::json::array entries;
  for (const KioskHealth& kiosk : kiosks) entries.push_back(EntryJson(kiosk, now_ms, rules));
  boost::json::object body{{"generated_at", FormatReportTime(now_ms, 0)},
                           {"kiosks", std::move(entries)}};
  return boost::json::serialize(body);
}

std::string KioskHealthTable(const std::vector<KioskHealth>& kiosks, std::int64_t now_ms,
                             const KioskHealthRules& rules) {
  const auto time_or_dash = [](std::optional<std::int64_t> unix_ms) {
    return unix_ms && *unix_ms > 0 ? FormatReportTime(*unix_ms, 0) : std::string("-");
  };
  std::string table =
      "kiosk\tregistry\thonours_vouchers_received_before\tlast_contact\tlast_batch\t"
      "high_water\tbacklog\tmissing_events\tdead_letters\tvoucher_conflicts\t"
      "phones_certificate_ends\tsync_certificate_ends\tattention\n";
  for (const KioskHealth& kiosk : kiosks) {
    const KioskStatus stream = kiosk.stream.value_or(KioskStatus{});
    const std::string attention = StrJoin(KioskAttention(kiosk, now_ms, rules), "; ");
    const std::string_view registry =
        kiosk.revoked ? "revoked" : (kiosk.enrolled ? "enrolled" : "not enrolled");
    const std::optional<std::int64_t> backlog = Backlog(stream);
    table += StrCat(
        kiosk.kiosk_id, "\t", registry, "\t", time_or_dash(kiosk.honour_received_before_ms), "\t",
        time_or_dash(kiosk.last_contact_ms), "\t", time_or_dash(stream.last_batch_at_ms), "\t",
        stream.high_water, "\t", backlog ? std::to_string(*backlog) : "-", "\t",
        MissingEvents(stream), "\t", stream.dead_letters, "\t", stream.conflicts, "\t",
        time_or_dash(stream.https_not_after_ms), "\t",
        time_or_dash(kiosk.client_certificate_not_after_ms), "\t",
        attention.empty() ? "ok" : attention, "\n");
  }
  return table;
}

}  // namespace kiosk_edge
