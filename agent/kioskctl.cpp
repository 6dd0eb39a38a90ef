#include "agent/kioskctl.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <ostream>
#include <vector>

#include "agent/agent_config.hpp"
#include "agent/hq_enrollment.hpp"
#include "agent/kiosk_identity.hpp"
#include "agent/kioskctl_decode.hpp"
#include "agent/kioskctl_qr_export.hpp"
#include "agent/kioskctl_status.hpp"
#include "agent/staff_auth.hpp"
#include "common/crypto.hpp"
#include "common/files.hpp"
#include "common/json_fields.hpp"
#include "common/strings.hpp"

namespace kiosk_edge {
namespace {

constexpr int kOk = 0;
constexpr int kFailed = 1;
constexpr int kUsage = 2;

constexpr std::string_view kUsageText = R"(usage: kioskctl [--state-dir DIR | --config FILE] COMMAND

Talks to the kiosk-agent running with that state folder (default: the agent's own default).
Run it as the agent's user, e.g. sudo -u kiosk-agent kioskctl --state-dir /var/lib/kiosk-agent.

  --state-dir DIR  the agent's state folder: its kioskctl.sock, kiosk id and enrollment
  --config FILE    the agent's config: its [state] dir and [kiosk] id (--state-dir wins)
  --help           show this text

  channel list
  channel add --id ID --name NAME --path PATH [--medium MEDIUM] [--campaign C] [--store S]
              [--from YYYY-MM-DD] [--until YYYY-MM-DD]   (active window, UTC days; until is
              exclusive)
              MEDIUM: poster (default), elevator, flyer, counter_card, kiosk_screen, online
  channel retire ID
  qr export (--all | --channel ID) --format png|svg|pdf --out DIR [--layout page|grid]
              PNG: 10 px per module; SVG: 40 mm wide; PDF: one page per code or an A4 grid
  id               prints this kiosk's id (made on a new kiosk), for profile-store enroll-token
  enroll --hq https://HOST:PORT --token TOKEN --ca HQ-CA.pem
              enrolls this kiosk with HQ (profile-store enroll-token makes the token; no agent
              needed). A running agent starts syncing, or takes a renewed certificate, at once
  staff hash-pin   reads a 4-12 digit PIN from standard input and prints its hash for a
              [staff.<ID>] pin_hash line of the agent's config (no agent needed)
  decode FILE...   prints FILE<TAB>TEXT for every QR code in each PNG/JPEG file (no agent
              needed; \, newline, CR and tab in TEXT written as \\, \n, \r, \t)
  status [--max-offline-minutes N]
              journal depth, unsynced events, disk budget, last sync with HQ, camera; exits 1
              with a "needs attention" line for dead letters, a journal over 80% of its budget,
              a failed camera, or no sync with HQ for N minutes (default 60)
  sync now [--timeout-seconds N]
              syncs with HQ at once and waits (default 30 s, at most 60) for the outcome
  sync renew-certificate [--timeout-seconds N]
              renews the HQ client certificate now (kiosk-agent renews it by itself 60 days
              before it ends) and waits for the outcome
  events tail [--n N] [--follow]
              the newest N events (default 20): SEQ<TAB>TIME<TAB>TYPE<TAB>CHANNEL, never their
              contents; --follow keeps printing new ones until interrupted
  consent withdraw
              reads a shopper's mobile number from standard input and records that they
              withdraw marketing consent (sealed for HQ; HQ drops them from audiences on sync)
  voucher show CODE
              decodes and checks a voucher (signer, gift, store, scope, expiry) and shows its
              redemption and refusals from the journal, without redeeming it

Exit status: 0 on success, 1 when the command failed (status: needs attention), 2 for a bad
command line. See kioskctl(1).
)";

struct Invocation {
  std::filesystem::path state_dir;
  std::string configured_kiosk_id;      // [kiosk] id of --config, if any
  std::vector<std::string_view> words;  // the command and its positional words
  KioskctlOptions options;              // --name value
};

Result<Invocation> Parse(std::span<const std::string_view> args) {
  Invocation invocation;
  std::optional<std::filesystem::path> config_file;
  std::optional<std::filesystem::path> state_dir;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (arg == "--all" || arg == "--follow") {
      invocation.options[std::string(arg.substr(2))] = "yes";
    } else if (arg.starts_with("--")) {
      if (i + 1 == args.size())
        return Error(ErrorKind::kInvalidArgument, StrCat(arg, " needs a value"));
      const std::string value(args[++i]);
      if (arg == "--state-dir") {
        state_dir = value;
      } else if (arg == "--config") {
        config_file = value;
      } else {
        invocation.options[std::string(arg.substr(2))] = value;
      }
    } else {
      invocation.words.push_back(arg);
    }
  }
  if (config_file) {
    auto config = LoadAgentConfig(*config_file);
    if (!config) return config.error();
    invocation.state_dir = config->state_dir;
    invocation.configured_kiosk_id = config->kiosk_id;
  } else {
    invocation.state_dir = DefaultAgentConfig().state_dir;
  }
  if (state_dir) invocation.state_dir = *state_dir;
  return invocation;
}

// Midnight UTC of "YYYY-MM-DD", in Unix milliseconds.
std::optional<std::int64_t> ParseUtcDayMs(std::string_view text) {
  int year = 0, month = 0, day = 0;
  char tail = 0;
  const std::string copy(text);
  if (std::sscanf(copy.c_str(), "%4d-%2d-%2d%c", &year, &month, &day, &tail) != 3 ||
      copy.size() != 10) {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year(year),
                                         std::chrono::month(static_cast<unsigned>(month)),
                                         std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok()) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::sys_days(date).time_since_epoch())
      .count();
}

// Sends one admin request; the parsed JSON answer, or the agent's error message.
Result<boost::json::value> Call(const Invocation& invocation, std::string_view method,
                                std::string_view target, std::string_view body = {}) {
  return CallAgent(invocation.state_dir, method, target, body);
}

void PrintChannel(const boost::json::object& channel, std::ostream& out) {
  out << JsonString(channel, "id") << "\t" << JsonString(channel, "medium") << "\t"
      << JsonString(channel, "path") << "\t" << JsonString(channel, "campaign") << "\t"
      << (JsonBool(channel, "retired") ? "retired" : "active") << "\t"
      << JsonString(channel, "code_url") << "\n";
}

int ChannelCommand(const Invocation& invocation, std::ostream& out, std::ostream& err) {
  const std::string_view verb = invocation.words.size() > 1 ? invocation.words[1] : "";
  if (verb == "list") {
    auto answer = Call(invocation, "GET", "/admin/channels");
    if (!answer) {
      err << "kioskctl: " << answer.error().message() << "\n";
      return kFailed;
    }
    out << "ID\tMEDIUM\tPATH\tCAMPAIGN\tSTATUS\tCODE URL\n";
    for (const auto& channel : answer->as_object().at("channels").as_array()) {
      PrintChannel(channel.as_object(), out);
    }
    return kOk;
  }
  if (verb == "add") {
    boost::json::object body;
    for (const char* key : {"id", "name", "path", "medium", "campaign", "store"}) {
      if (auto found = invocation.options.find(key); found != invocation.options.end()) {
        body[key] = found->second;
      }
    }
    for (const char* key : {"from", "until"}) {
      const auto found = invocation.options.find(key);
      if (found == invocation.options.end()) continue;
      const auto day_ms = ParseUtcDayMs(found->second);
      if (!day_ms) {
        err << "kioskctl: --" << key << " must be a date like 2027-03-01, not '" << found->second
            << "'\n";
        return kUsage;
      }
      body[std::string(key) == "from" ? "active_from_ms" : "active_until_ms"] = *day_ms;
    }
    for (const char* required : {"id", "name", "path"}) {
      if (!body.contains(required)) {
        err << "kioskctl: channel add needs --" << required << " (see kioskctl --help)\n";
        return kUsage;
      }
    }
    auto answer = Call(invocation, "POST", "/admin/channels", boost::json::serialize(body));
    if (!answer) {
      err << "kioskctl: " << answer.error().message() << "\n";
      return kFailed;
    }
    out << "defined ";
    PrintChannel(answer->as_object(), out);
    return kOk;
  }
  if (verb == "retire" && invocation.words.size() == 3) {
    auto answer =
        Call(invocation, "POST", StrCat("/admin/channels/", invocation.words[2], "/retire"));
    if (!answer) {
      err << "kioskctl: " << answer.error().message() << "\n";
      return kFailed;
    }
    out << "retired ";
    PrintChannel(answer->as_object(), out);
    return kOk;
  }
  err << kUsageText;
  return kUsage;
}

int QrCommand(const Invocation& invocation, std::ostream& out, std::ostream& err) {
  if (invocation.words.size() != 2 || invocation.words[1] != "export") {
    err << kUsageText;
    return kUsage;
  }
  auto options = ParseQrExportOptions(invocation.options);
  if (!options) {
    err << "kioskctl: " << options.error().message() << "\n";
    return kUsage;
  }
  auto answer = Call(invocation, "GET", "/admin/channels");
  if (!answer) {
    err << "kioskctl: " << answer.error().message() << "\n";
    return kFailed;
  }
  auto written = ExportQrCodes(answer->as_object().at("channels").as_array(), *options, out);
  if (!written) {
    err << "kioskctl: " << written.error().message() << "\n";
    return kFailed;
  }
  return kOk;
}

// The one line a command reads from standard input, without its line ending ("\n" or "\r\n").
// Secrets and personal data come this way, never on the command line (which other users can see
// in the process list and which shells keep in their history).
std::string ReadInputLine(std::istream& in) {
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

// `staff hash-pin`: the PIN comes from standard input (ReadInputLine).
int StaffCommand(const Invocation& invocation, std::istream& in, std::ostream& out,
                 std::ostream& err) {
  if (invocation.words.size() != 2 || invocation.words[1] != "hash-pin") {
    err << kUsageText;
    return kUsage;
  }
  std::string pin = ReadInputLine(in);
  auto hash = HashStaffPin(pin);
  SecureWipe(pin);
  if (!hash) {
    err << "kioskctl: " << hash.error().message() << "\n";
    return kFailed;
  }
  out << *hash << "\n";
  return kOk;
}

int EnrollCommand(const Invocation& invocation, std::ostream& out, std::ostream& err) {
  const auto option = [&invocation](std::string_view name) -> std::string {
    const auto found = invocation.options.find(name);
    return found == invocation.options.end() ? std::string() : found->second;
  };
  if (option("hq").empty() || option("token").empty() || option("ca").empty()) {
    err << "kioskctl: enroll needs --hq URL, --token TOKEN and --ca FILE\n";
    return kUsage;
  }
  auto ca = ReadSmallFile(option("ca"), 64 * 1024);
  if (!ca) {
    err << "kioskctl: " << ca.error().message() << "\n";
    return kFailed;
  }
  auto kiosk_id = EnrollWithHq(invocation.state_dir, invocation.configured_kiosk_id, option("hq"),
                               option("token"), *ca);
  if (!kiosk_id) {
    err << "kioskctl: " << kiosk_id.error().message() << "\n";
    return kFailed;
  }
  out << "kiosk " << *kiosk_id << " enrolled with HQ at " << option("hq") << "\n";
  // A running agent takes a renewed certificate at once (HQ refuses the one before from now on).
  auto reloaded = CallAgent(invocation.state_dir, "POST", "/admin/sync/enrollment");
  if (!reloaded && reloaded.error().kind() == ErrorKind::kUnavailable) {
    out << "kiosk-agent is not running: it syncs with HQ from its next start\n";
  } else if (!reloaded) {
    out << "kiosk-agent: " << reloaded.error().message() << "\n";
  } else if (const std::string message =
                 reloaded->is_object() ? JsonString(reloaded->as_object(), "message") : "";
             !message.empty()) {
    out << "kiosk-agent: " << message << "\n";
  }
  return kOk;
}

// `consent withdraw`: the number comes from standard input (ReadInputLine).
int ConsentCommand(const Invocation& invocation, std::istream& in, std::ostream& out,
                   std::ostream& err) {
  if (invocation.words.size() != 2 || invocation.words[1] != "withdraw") {
    err << kUsageText;
    return kUsage;
  }
  std::string phone = ReadInputLine(in);
  while (!phone.empty() && (phone.back() == '\r' || phone.back() == ' ')) phone.pop_back();
  if (phone.empty()) {
    err << "kioskctl: consent withdraw reads the shopper's mobile number from standard input\n";
    return kFailed;
  }
  auto answer = Call(invocation, "POST", "/admin/consent-withdrawals",
                     boost::json::serialize(boost::json::object{{"phone", phone}}));
  if (!answer) {
    err << "kioskctl: " << answer.error().message() << "\n";
    return kFailed;
  }
  out << "recorded as event " << answer->as_object().at("seq").as_int64()
      << ": the shopper leaves HQ's marketing audiences when this kiosk next syncs\n";
  return kOk;
}

}  // namespace

int RunKioskctl(std::span<const std::string_view> args, std::ostream& out, std::ostream& err,
                std::istream& in) {
  for (std::string_view arg : args) {
    if (arg == "--help" || arg == "-h" || arg == "help") {
      out << kUsageText;
      return kOk;
    }
  }
  auto invocation = Parse(args);
  if (!invocation) {
    err << "kioskctl: " << invocation.error().message() << "\n";
    return kUsage;
  }
  const std::string_view command = invocation->words.empty() ? "" : invocation->words[0];
  if (command == "channel") return ChannelCommand(*invocation, out, err);
  if (command == "qr") return QrCommand(*invocation, out, err);
  if (command == "enroll") return EnrollCommand(*invocation, out, err);
  if (command == "id") {
    auto kiosk_id = LoadOrCreateKioskId(invocation->state_dir, invocation->configured_kiosk_id);
    if (!kiosk_id) {
      err << "kioskctl: " << kiosk_id.error().message() << "\n";
      return kFailed;
    }
    out << *kiosk_id << "\n";
    return kOk;
  }
  if (command == "staff") return StaffCommand(*invocation, in, out, err);
  if (command == "decode") return DecodeCommand(std::span(invocation->words).subspan(1), out, err);
  const auto rest = std::span(invocation->words).subspan(1);
  if (command == "status" && rest.empty()) {
    return StatusCommand(invocation->state_dir, invocation->options, out, err);
  }
  if (command == "sync")
    return SyncCommand(invocation->state_dir, rest, invocation->options, out, err);
  if (command == "events") {
    return EventsCommand(invocation->state_dir, rest, invocation->options, out, err);
  }
  if (command == "consent") return ConsentCommand(*invocation, in, out, err);
  if (command == "voucher") return VoucherCommand(invocation->state_dir, rest, out, err);
  err << kUsageText;
  return kUsage;
}

}  // namespace kiosk_edge
