#include "agent/kioskctl_status.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "common/clock.hpp"
#include "common/json_fields.hpp"
#include "common/local_http_client.hpp"
#include "common/strings.hpp"
#include "common/tls_certs.hpp"
#include "sync/protocol/batch.hpp"

namespace kiosk_edge {
namespace {

constexpr int kOk = 0;
constexpr int kFailed = 1;
constexpr int kUsage = 2;

// "2027-01-15T08:00:00Z" for Unix milliseconds.
std::string FormatUtcSeconds(std::int64_t ms) {
  const std::time_t seconds = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  const std::size_t length = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return std::string(text, length);
}

std::string FormatMiB(std::int64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return text;
}

std::int64_t Int(const boost::json::object& json, std::string_view key) {
  return JsonInt(json, key).value_or(0);
}

const boost::json::object& Object(const boost::json::object& json, std::string_view key) {
  static const boost::json::object kEmpty;
  const auto* found = json.if_contains(key);
  return found != nullptr && found->is_object() ? found->as_object() : kEmpty;
}

// A certificate whose end a status answer reports, and how long before it status asks for
// attention (kPhonesCertificateWarning, kClientCertificateWarning).
struct WatchedCertificate {
  std::string_view section;  // of the status answer
  std::string_view key;      // in that section: the end, in Unix ms
  std::chrono::milliseconds warning;
  std::string_view name;     // for people
  std::string_view expired;  // what an expired one means
  std::string_view renewal;  // what to do before it ends, when not obvious
  std::string_view line;     // status's line for it, up to " valid until"
};
constexpr WatchedCertificate kWatchedCertificates[] = {
    {"https", "certificate_not_after_ms", kPhonesCertificateWarning, "the [https] certificate",
     "phones see a warning instead of the pages", "", "https:    certificate"},
    {"sync", "client_certificate_not_after_ms", kClientCertificateWarning,
     "the HQ client certificate", "HQ refuses this kiosk until it enrolls again",
     ": kiosk-agent has not renewed it (the sync line says why; kioskctl sync renew-certificate)",
     "enrolled: HQ client certificate"}};

// The certificate's end, and how long it has left (negative: expired); nullopt when the status
// answer has none (no [https]; not enrolled).
struct CertificateEnd {
  std::int64_t not_after_ms = 0;
  std::int64_t left_ms = 0;
};
std::optional<CertificateEnd> EndOf(const boost::json::object& status,
                                    const WatchedCertificate& certificate) {
  const auto not_after = JsonInt(Object(status, certificate.section), certificate.key);
  if (!not_after) return std::nullopt;
  return CertificateEnd{*not_after, *not_after - Int(status, "now_ms")};
}

// --name as a non-negative number; `fallback` when absent; nullopt (and a message) when bad.
std::optional<std::int64_t> NumberOption(const KioskctlOptions& options, std::string_view name,
                                         std::int64_t fallback, std::ostream& err) {
  const auto found = options.find(name);
  if (found == options.end()) return fallback;
  std::int64_t value = 0;
  const std::string& text = found->second;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 0) {
    err << "kioskctl: --" << name << " must be a non-negative number, not '" << text << "'\n";
    return std::nullopt;
  }
  return value;
}

int Fail(std::ostream& err, const Error& error) {
  err << "kioskctl: " << error.message() << "\n";
  return kFailed;
}

std::string SyncLine(const boost::json::object& sync, std::int64_t now_ms) {
  if (!JsonBool(sync, "enrolled")) return "not enrolled with HQ";
  std::string line = JsonBool(sync, "hq_reachable") ? "HQ reachable" : "HQ unreachable";
  if (const auto last = JsonInt(sync, "last_synced_ms")) {
    line +=
        StrCat("; last synced ", FormatUtcSeconds(*last), " (", FormatAge(now_ms - *last), " ago)");
  } else {
    line += "; not synced since the agent started";
  }
  const std::string error = JsonString(sync, "last_error");
  if (!error.empty()) line += StrCat("; last error: ", error);
  const std::string renewal = JsonString(sync, "client_certificate_renewal_error");
  if (!renewal.empty()) line += StrCat("; certificate renewal failed: ", renewal);
  return line;
}

void PrintEvent(const boost::json::object& event, std::ostream& out) {
  const auto* channel = event.if_contains("channel");
  out << Int(event, "seq") << "\t" << FormatUtcSeconds(Int(event, "occurred_at_ms")) << "\t"
      << JsonString(event, "type") << "\t"
      << (channel != nullptr && channel->is_string() ? std::string(channel->as_string())
                                                     : std::string("-"))
      << "\n";
}

}  // namespace

Result<boost::json::value> CallAgent(const std::filesystem::path& state_dir,
                                     std::string_view method, std::string_view target,
                                     std::string_view body, std::chrono::milliseconds deadline) {
  auto response = LocalHttpRequest(state_dir / "kioskctl.sock", method, target, body, deadline);
  if (!response) return response.error();
  boost::system::error_code parse_error;
  boost::json::value json = boost::json::parse(response->body, parse_error);
  if (parse_error) return Error(ErrorKind::kIo, "the agent answered something that is not JSON");
  if (response->status >= 400) {
    const auto* message = json.is_object() ? json.as_object().if_contains("error") : nullptr;
    return Error(ErrorKind::kInvalidArgument, message != nullptr && message->is_string()
                                                  ? std::string(message->as_string())
                                                  : StrCat("HTTP ", response->status));
  }
  return json;
}

std::string StatusAttention(const boost::json::object& status, std::int64_t max_offline_minutes) {
  std::vector<std::string> reasons;
  const auto& journal = Object(status, "journal");
  const auto& sync = Object(status, "sync");
  const auto& camera = Object(status, "camera");
  if (const std::int64_t letters = Int(journal, "dead_letter_count"); letters > 0) {
    reasons.push_back(StrCat(letters, " events HQ refused are in the dead-letter table"));
  }
  const std::int64_t size = Int(journal, "size_bytes"), budget = Int(journal, "budget_bytes");
  if (budget > 0 && size * 10 > budget * 8) {
    reasons.push_back(StrCat("the journal uses ", size * 100 / budget, "% of its disk budget"));
  }
  if (JsonString(camera, "state") == "failed") {
    reasons.push_back(StrCat("the counter camera ", JsonString(camera, "device"),
                             " failed: ", JsonString(camera, "message")));
  }
  for (const WatchedCertificate& certificate : kWatchedCertificates) {
    const auto end = EndOf(status, certificate);
    if (!end) continue;
    if (end->left_ms <= 0) {
      reasons.push_back(StrCat(certificate.name, " has expired: ", certificate.expired));
    } else if (end->left_ms < certificate.warning.count()) {
      reasons.push_back(
          StrCat(certificate.name, " expires in ", FormatAge(end->left_ms), certificate.renewal));
    }
  }
  if (JsonBool(sync, "enrolled")) {
    const auto last = JsonInt(sync, "last_synced_ms");
    const std::int64_t offline_ms = last ? Int(status, "now_ms") - *last : 0;
    if (!last && Int(sync, "rounds_finished") > 0) {
      reasons.push_back(StrCat("enrolled but not synced with HQ since the agent started: ",
                               JsonString(sync, "last_error")));
    } else if (last && offline_ms > max_offline_minutes * 60'000) {
      reasons.push_back(StrCat("not synced with HQ for ", FormatAge(offline_ms), ": ",
                               JsonString(sync, "last_error")));
    }
    if (auto clock = ClockOffsetAttention(JsonInt(sync, "clock_offset_ms").value_or(0))) {
      reasons.push_back(StrCat(*clock, " (events are dated and vouchers expire by it)"));
    }
  }
  return StrJoin(reasons, "; ");
}

int StatusCommand(const std::filesystem::path& state_dir, const KioskctlOptions& options,
                  std::ostream& out, std::ostream& err) {
  const auto max_offline = NumberOption(options, "max-offline-minutes", 60, err);
  if (!max_offline) return kUsage;
  auto answer = CallAgent(state_dir, "GET", "/admin/status");
  if (!answer) return Fail(err, answer.error());
  if (!answer->is_object()) return Fail(err, Error(ErrorKind::kIo, "unexpected status answer"));
  const auto& status = answer->as_object();
  const auto& journal = Object(status, "journal");
  const auto& camera = Object(status, "camera");
  const std::int64_t size = Int(journal, "size_bytes"), budget = Int(journal, "budget_bytes");
  out << "kiosk:    " << JsonString(status, "kiosk_id") << " (store "
      << JsonString(status, "store_id") << ")\n"
      << "journal:  " << Int(journal, "last_seq") << " events, " << Int(journal, "unsynced_count")
      << " unsynced, " << Int(journal, "dead_letter_count") << " dead letters\n"
      << "disk:     " << FormatMiB(size) << " of " << FormatMiB(budget) << " budget ("
      << (budget > 0 ? size * 100 / budget : 0) << "%)\n"
      << "sync:     " << SyncLine(Object(status, "sync"), Int(status, "now_ms")) << "\n"
      << "camera:   " << JsonString(camera, "state");
  if (!JsonString(camera, "device").empty()) out << " " << JsonString(camera, "device");
  if (!JsonString(camera, "message").empty()) out << " (" << JsonString(camera, "message") << ")";
  out << "\n";
  for (const WatchedCertificate& certificate : kWatchedCertificates) {
    if (const auto end = EndOf(status, certificate)) {
      out << certificate.line << " valid until " << FormatUtcSeconds(end->not_after_ms)
          << (end->left_ms > 0 ? StrCat(" (", FormatAge(end->left_ms), " left)") : " (expired)")
          << "\n";
    }
  }
  const std::string attention = StatusAttention(status, *max_offline);
  if (attention.empty()) {
    out << "status:   ok\n";
    return kOk;
  }
  out << "status:   needs attention: " << attention << "\n";
  return kFailed;
}

int SyncCommand(const std::filesystem::path& state_dir, std::span<const std::string_view> words,
                const KioskctlOptions& options, std::ostream& out, std::ostream& err) {
  const bool renew = words.size() == 1 && words[0] == "renew-certificate";
  if (words.size() != 1 || (words[0] != "now" && !renew)) {
    err << "kioskctl: usage: kioskctl sync now|renew-certificate [--timeout-seconds N]\n";
    return kUsage;
  }
  const auto timeout = NumberOption(options, "timeout-seconds", 30, err);
  if (!timeout) return kUsage;
  const std::int64_t timeout_ms = std::min<std::int64_t>(*timeout, 60) * 1000;
  auto answer = CallAgent(
      state_dir, "POST",
      StrCat(renew ? "/admin/sync/certificate" : "/admin/sync", "?timeout_ms=", timeout_ms), {},
      std::chrono::milliseconds(timeout_ms + 5000));
  if (!answer) return Fail(err, answer.error());
  const auto& sync = answer->as_object();
  if (renew) {
    if (JsonString(sync, "outcome") != "renewed") {
      out << "renewal failed: " << JsonString(sync, "client_certificate_renewal_error") << "\n";
      return kFailed;
    }
    const std::int64_t not_after_ms = Int(sync, "client_certificate_not_after_ms");
    out << "renewed: the HQ client certificate is valid until " << FormatUtcSeconds(not_after_ms)
        << "\n";
    return kOk;
  }
  const bool synced = JsonString(sync, "outcome") == "synced";
  out << (synced ? "synced: " : "sync failed: ") << Int(sync, "events_sent")
      << " events sent since the agent started";
  if (const std::int64_t resent = Int(sync, "events_resent"); resent > 0) {
    out << " (" << resent << " of them again: HQ had lost them)";
  }
  if (!synced) out << "; " << JsonString(sync, "last_error");
  out << "\n";
  return synced ? kOk : kFailed;
}

int EventsCommand(const std::filesystem::path& state_dir, std::span<const std::string_view> words,
                  const KioskctlOptions& options, std::ostream& out, std::ostream& err,
                  const std::function<bool()>& keep_following) {
  if (words.size() != 1 || words[0] != "tail") {
    err << "kioskctl: usage: kioskctl events tail [--n N] [--follow]\n";
    return kUsage;
  }
  const auto count = NumberOption(options, "n", 20, err);
  if (!count) return kUsage;
  const bool follow = options.contains("follow");
  auto answer =
      CallAgent(state_dir, "GET", StrCat("/admin/events?n=", std::min<std::int64_t>(*count, 1000)));
  std::int64_t last_seq = -1;
  while (true) {
    if (!answer) return Fail(err, answer.error());
    for (const auto& event : answer->as_object().at("events").as_array()) {
      PrintEvent(event.as_object(), out);
      last_seq = Int(event.as_object(), "seq");
    }
    out.flush();
    if (!follow || !keep_following()) return kOk;
    if (last_seq < 0) {  // nothing yet: start from the journal's current end
      auto status = CallAgent(state_dir, "GET", "/admin/status");
      if (!status) return Fail(err, status.error());
      last_seq = Int(Object(status->as_object(), "journal"), "last_seq");
    }
    answer =
        CallAgent(state_dir, "GET", StrCat("/admin/events?n=1000&wait_ms=1000&after=", last_seq));
  }
}

int VoucherCommand(const std::filesystem::path& state_dir, std::span<const std::string_view> words,
                   std::ostream& out, std::ostream& err) {
  if (words.size() != 2 || words[0] != "show") {
    err << "kioskctl: usage: kioskctl voucher show CODE\n";
    return kUsage;
  }
  const std::string body = boost::json::serialize(boost::json::object{{"code", words[1]}});
  auto answer = CallAgent(state_dir, "POST", "/admin/voucher", body);
  if (!answer) return Fail(err, answer.error());
  const auto& result = answer->as_object();
  const std::string verdict = JsonString(result, "verdict");
  const auto* voucher = result.if_contains("voucher");
  if (voucher != nullptr && voucher->is_object()) {
    const auto& fields = voucher->as_object();
    out << "voucher:  " << JsonString(fields, "id") << "\n"
        << "signer:   " << JsonString(fields, "signer") << "\n"
        << "gift:     " << JsonString(fields, "gift") << "\n"
        << "store:    " << JsonString(fields, "store") << "\n"
        << "scope:    " << JsonString(fields, "scope") << "\n"
        << "expires:  " << FormatUtcSeconds(Int(fields, "expires_at") * 1000) << "\n";
  }
  out << "verdict:  " << verdict;
  if (!JsonString(result, "refusal").empty()) {
    out << " (" << JsonString(result, "refusal") << ": " << JsonString(result, "detail") << ")";
  }
  out << "\n";
  const auto* redeemed = result.if_contains("redeemed");
  if (redeemed != nullptr && redeemed->is_object()) {
    const auto& fields = redeemed->as_object();
    out << "redeemed: " << FormatUtcSeconds(Int(fields, "at_ms")) << " at kiosk "
        << JsonString(fields, "kiosk") << " by staff " << JsonString(fields, "staff") << " (seq "
        << Int(fields, "seq") << ")\n";
  }
  for (const auto& refusal : result.at("refusals").as_array()) {
    const auto& fields = refusal.as_object();
    out << "refused:  " << FormatUtcSeconds(Int(fields, "at_ms")) << " "
        << JsonString(fields, "reason") << " (seq " << Int(fields, "seq") << ")\n";
  }
  return verdict == "refused" && (voucher == nullptr || !voucher->is_object()) ? kFailed : kOk;
}

}  // namespace kiosk_edge
