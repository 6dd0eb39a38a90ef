#include "sync/profile_store/profile_store_cli.hpp"

#include <boost/json/parse.hpp>
#include <filesystem>
#include <iostream>
#include <map>
#include <string>

#include "common/files.hpp"
#include "common/http_forms.hpp"
#include "common/json_fields.hpp"
#include "common/strings.hpp"
#include "sync/profile_store/hq_api_client.hpp"
#include "sync/profile_store/hq_api_tokens.hpp"
#include "sync/profile_store/profile_store_config.hpp"
#include "sync/profile_store/report_table.hpp"

namespace kiosk_edge {

const std::string_view kHqCommandsUsage =
    R"(
  attribution --token-file F [--url https://HOST:PORT] [--ca FILE] [--from DATE] [--to DATE]
              [--group-by channel|path:N|store|campaign|day] [--model last_touch|first_touch]
              [--tz +08:00] [--lookback-days N] [--format table|csv|json]
                                the channel attribution report from a running profile-store
                                (docs/attribution.md); --url defaults to https://127.0.0.1:8443,
                                --ca to the state folder's ca.pem; --token-file - reads stdin
  audience not-redeemed --token-file F [--url ..] [--ca FILE] [--after 48h] [--from DATE]
              [--to DATE] [--store ID] [--campaign ID] [--channel ID] [--tz +08:00]
              [--format table|csv|json]
                                shoppers with marketing consent who had not redeemed --after
                                (Nh, Nd or Nm) signing up, with their contact (an audited export)
  audience audit --token-file F [--url ..] [--ca FILE] [--limit N] [--format table|json]
                                the audit of audience exports, newest first
  new-token --name NAME [--scopes LIST] [--expires DATE] [--token-file F]
                                a new HQ API token, shown once (or written to F), and the
                                [hq_api.tokens.NAME] lines that make profile-store accept it:
                                for LIST (default "reports"; any of reports, metrics,
                                audience, subjects, audit, with commas), until DATE (UTC,
                                2027-06-30, or an RFC 3339 time; default: no expiry)
  hash-token [--name NAME [--scopes LIST] [--expires DATE]] [--token-file F]
                                those lines for an existing token (read from F, else stdin)
)";

namespace {

constexpr int kOk = 0, kFailed = 1, kUsage = 2;

// A command-line option of a report and the query parameter it sets.
struct ReportOption {
  std::string_view option;
  std::string_view parameter;
};

// A report command: GET `path` with the options given, then print it.
struct ReportCommand {
  std::string_view command;
  std::string_view path;
  std::span<const ReportOption> options;
};

constexpr ReportOption kAttributionOptions[] = {
    {"from", "from"},   {"to", "to"}, {"group-by", "group_by"},
    {"model", "model"}, {"tz", "tz"}, {"lookback-days", "lookback_days"}};

constexpr ReportOption kAudienceOptions[] = {
    {"after", "after"},       {"from", "from"},       {"to", "to"}, {"store", "store"},
    {"campaign", "campaign"}, {"channel", "channel"}, {"tz", "tz"}};

constexpr ReportOption kAuditOptions[] = {{"limit", "limit"}};

// A command of two words ("audience not-redeemed") is matched on both.
constexpr ReportCommand kReportCommands[] = {
    {"attribution", "/v1/attribution", kAttributionOptions},
    {"audience not-redeemed", "/v1/audiences/not-redeemed", kAudienceOptions},
    {"audience audit", "/v1/audit", kAuditOptions}};

// How many of `args` name `report` (1 or 2), or 0 when they name another command.
std::size_t CommandWords(const ReportCommand& report, std::span<const std::string_view> args) {
  const std::size_t space = report.command.find(' ');
  if (space == std::string_view::npos) return !args.empty() && args[0] == report.command ? 1 : 0;
  return args.size() >= 2 && args[0] == report.command.substr(0, space) &&
                 args[1] == report.command.substr(space + 1)
             ? 2
             : 0;
}

// Options every report command takes.
constexpr std::string_view kClientOptions[] = {"url", "token-file", "ca", "format"};

struct Arguments {
  std::map<std::string, std::string, std::less<>> options;
};

// "--name value" pairs, each name one of `known`.
bool ParseOptions(std::span<const std::string_view> args, std::span<const std::string_view> known,
                  Arguments& parsed, std::ostream& err) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    const std::string_view name = arg.starts_with("--") ? arg.substr(2) : std::string_view();
    if (std::find(known.begin(), known.end(), name) == known.end() || name.empty()) {
      err << "profile-store: unknown option " << arg << "\n" << kHqCommandsUsage;
      return false;
    }
    if (i + 1 == args.size()) {
      err << "profile-store: " << arg << " needs a value\n";
      return false;
    }
    parsed.options.insert_or_assign(std::string(name), std::string(args[++i]));
  }
  return true;
}

std::string Trimmed(std::string text) {
  const auto space = [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; };
  while (!text.empty() && space(text.back())) text.pop_back();
  std::size_t start = 0;
  while (start < text.size() && space(text[start])) ++start;
  return text.substr(start);
}

// The token in `path` ("-": standard input), without surrounding white space.
Result<std::string> ReadToken(std::string_view path) {
  std::string text;
  if (path == "-" || path.empty()) {
    std::getline(std::cin, text);
  } else {
    auto read = ReadSmallFile(std::filesystem::path(path), 4096);
    if (!read) return read.error().WithContext("token file");
    text = std::move(*read);
  }
  text = Trimmed(std::move(text));
  if (text.empty() || text.size() > kMaxHqApiTokenBytes ||
      text.find_first_of(" \t\r\n") != std::string::npos) {
    return Error(ErrorKind::kInvalidArgument, "the token file must hold one token");
  }
  return text;
}

// What HQ said when it refused: its {"error": ...}, else the body.
std::string Refusal(const HttpClientResponse& response) {
  boost::system::error_code error;
  const auto json = boost::json::parse(response.body, error);
  if (!error && json.is_object()) {
    const std::string message = JsonString(json.as_object(), "error");
    if (!message.empty()) return message;
  }
  return Trimmed(response.body.substr(0, 200));
}

int RunReport(const ReportCommand& report, std::span<const std::string_view> args,
              std::ostream& out, std::ostream& err) {
  std::vector<std::string_view> known(std::begin(kClientOptions), std::end(kClientOptions));
  for (const ReportOption& option : report.options) known.push_back(option.option);
  Arguments parsed;
  if (!ParseOptions(args, known, parsed, err)) return kUsage;
  const auto option = [&parsed](std::string_view name, std::string fallback) {
    const auto found = parsed.options.find(name);
    return found == parsed.options.end() ? fallback : found->second;
  };
  const std::string format = option("format", "table");
  if (format != "table" && format != "csv" && format != "json") {
    err << "profile-store: --format must be table, csv or json\n";
    return kUsage;
  }
  if (!parsed.options.contains("token-file")) {
    err << "profile-store: " << report.command << " needs --token-file (an HQ API token)\n";
    return kUsage;
  }
  HqApiClientOptions client;
  client.url = option("url", "https://127.0.0.1:8443");
  auto token = ReadToken(parsed.options.at("token-file"));
  if (!token) {
    err << "profile-store: " << token.error().message() << "\n";
    return kFailed;
  }
  client.token = std::move(*token);
  const std::string ca = option("ca", (DefaultProfileStoreConfig().state_dir / "ca.pem").string());
  auto ca_pem = ReadSmallFile(ca);
  if (!ca_pem) {
    err << "profile-store: HQ's CA (--ca): " << ca_pem.error().message() << "\n";
    return kFailed;
  }
  client.ca_pem = std::move(*ca_pem);

  std::string target = StrCat(report.path, "?format=", format == "csv" ? "csv" : "json");
  for (const ReportOption& mapping : report.options) {
    if (const auto found = parsed.options.find(mapping.option); found != parsed.options.end()) {
      target += StrCat("&", mapping.parameter, "=", UrlEncode(found->second));
    }
  }
  auto response = HqApiGet(client, target);
  if (!response) {
    err << "profile-store: " << response.error().message() << "\n";
    return kFailed;
  }
  if (response->status != 200) {
    err << "profile-store: HQ answered " << response->status << ": " << Refusal(*response) << "\n";
    return kFailed;
  }
  if (format != "table") {
    out << response->body;
    return kOk;
  }
  auto table = ReportTable(response->body);
  if (!table) {
    err << "profile-store: " << table.error().message() << "\n";
    return kFailed;
  }
  out << *table;
  return kOk;
}

// What --scopes (default "reports": aggregates only) and --expires ask for.
struct TokenGrant {
  std::uint8_t scopes = static_cast<std::uint8_t>(HqApiScope::kReports);
  std::string expires;
};
std::optional<TokenGrant> GrantOf(const Arguments& parsed, std::ostream& err) {
  TokenGrant grant;
  if (const auto scopes = parsed.options.find("scopes"); scopes != parsed.options.end()) {
    const std::optional<std::uint8_t> parsed_scopes = ParseHqApiScopes(scopes->second);
    if (!parsed_scopes) {
      err << "profile-store: --scopes must list, with commas, some of reports, metrics, audience, "
             "subjects, audit\n";
      return std::nullopt;
    }
    grant.scopes = *parsed_scopes;
  }
  if (const auto expires = parsed.options.find("expires"); expires != parsed.options.end()) {
    if (!ParseHqApiTokenExpiry(expires->second)) {
      err << "profile-store: --expires must be a UTC date (2027-06-30) or an RFC 3339 time\n";
      return std::nullopt;
    }
    grant.expires = expires->second;
  }
  return grant;
}

constexpr std::string_view kAddLines =
    "add these lines to profile-store.toml, then systemctl reload profile-store (or restart "
    "it)";

int NewToken(std::span<const std::string_view> args, std::ostream& out, std::ostream& err) {
  constexpr std::string_view kKnown[] = {"name", "scopes", "expires", "token-file"};
  Arguments parsed;
  if (!ParseOptions(args, kKnown, parsed, err)) return kUsage;
  if (!parsed.options.contains("name") || !IsHqApiTokenName(parsed.options.at("name"))) {
    err << "profile-store: new-token needs --name NAME (1-64 of A-Z, a-z, 0-9, '_' and '-')\n";
    return kUsage;
  }
  const std::string& name = parsed.options.at("name");
  const std::optional<TokenGrant> grant = GrantOf(parsed, err);
  if (!grant) return kUsage;
  auto token = NewHqApiToken();
  if (!token) {
    err << "profile-store: " << token.error().message() << "\n";
    return kFailed;
  }
  const std::string lines = HqApiTokenConfigLines(name, *token, grant->scopes, grant->expires);
  if (const auto file = parsed.options.find("token-file"); file != parsed.options.end()) {
    if (auto written = WriteFileAtomically(file->second, *token + "\n", 0600); !written) {
      err << "profile-store: " << written.error().message() << "\n";
      return kFailed;
    }
    err << "token \"" << name << "\" written to " << file->second << "; " << kAddLines << ":\n";
    out << lines;
    return kOk;
  }
  out << "HQ API token \"" << name << "\" (shown once; keep it secret, e.g. in a 0600 file):\n"
      << *token << "\n\nTo use it, " << kAddLines << ":\n"
      << lines;
  return kOk;
}

int HashToken(std::span<const std::string_view> args, std::ostream& out, std::ostream& err) {
  constexpr std::string_view kKnown[] = {"name", "scopes", "expires", "token-file"};
  Arguments parsed;
  if (!ParseOptions(args, kKnown, parsed, err)) return kUsage;
  const auto file = parsed.options.find("token-file");
  auto token = ReadToken(file == parsed.options.end() ? "-" : file->second);
  if (!token) {
    err << "profile-store: " << token.error().message() << "\n";
    return kFailed;
  }
  const auto name = parsed.options.find("name");
  if (name == parsed.options.end() &&
      (parsed.options.contains("scopes") || parsed.options.contains("expires"))) {
    err << "profile-store: --scopes and --expires go with --name (they are config lines)\n";
    return kUsage;
  }
  if (name == parsed.options.end()) {
    out << "hash = \"" << HqApiTokenHash(*token) << "\"\n";
    return kOk;
  }
  if (!IsHqApiTokenName(name->second)) {
    err << "profile-store: --name must be 1-64 of A-Z, a-z, 0-9, '_' and '-'\n";
    return kUsage;
  }
  const std::optional<TokenGrant> grant = GrantOf(parsed, err);
  if (!grant) return kUsage;
  out << HqApiTokenConfigLines(name->second, *token, grant->scopes, grant->expires);
  return kOk;
}

}  // namespace

bool IsHqCommand(std::string_view command) {
  if (command == "new-token" || command == "hash-token") return true;
  for (const ReportCommand& report : kReportCommands) {
    if (report.command.substr(0, report.command.find(' ')) == command) return true;
  }
  return false;
}

int RunHqCommand(std::span<const std::string_view> args, std::ostream& out, std::ostream& err) {
  if (args.empty()) return kUsage;
  const std::string_view command = args[0];
  const auto rest = args.subspan(1);
  for (std::string_view arg : rest) {
    if (arg == "--help" || arg == "-h") {
      out << "usage: profile-store COMMAND [OPTIONS]\n" << kHqCommandsUsage;
      return kOk;
    }
  }
  if (command == "new-token") return NewToken(rest, out, err);
  if (command == "hash-token") return HashToken(rest, out, err);
  for (const ReportCommand& report : kReportCommands) {
    if (const std::size_t words = CommandWords(report, args); words > 0) {
      return RunReport(report, args.subspan(words), out, err);
    }
  }
  err << "profile-store: unknown command " << command << "\n" << kHqCommandsUsage;
  return kUsage;
}

}  // namespace kiosk_edge
