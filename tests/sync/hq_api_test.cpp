// HQ's API through a real profile-store process: bearer tokens (401 without one or with a wrong
// one, 429 after too many unknown ones), the dashboard's session cookie, 400 naming a bad
// parameter, the report as CSV and JSON, and `profile-store attribution` printing it as a table.
// The store holds attribution_dataset.hpp, ingested before the start, on each backend in turn.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <memory>
#include <regex>
#include <sstream>
#include <string>

#include "common/clock.hpp"
#include "common/crypto.hpp"
#include "common/fake_clock.hpp"
#include "common/files.hpp"
#include "common/strings.hpp"
#include "common/tls_certs.hpp"
#include "support/hq_api_server.hpp"
#include "support/https_once.hpp"
#include "support/running_profile_store.hpp"
#include "support/temp_dir.hpp"
#include "sync/attribution_dataset.hpp"
#include "sync/attribution_hq_test.hpp"
#include "sync/profile_store/dashboard_session.hpp"
#include "sync/profile_store/hq_api_client.hpp"
#include "sync/profile_store/hq_api_tokens.hpp"
#include "sync/profile_store/hq_state.hpp"
#include "sync/profile_store/profile_store_cli.hpp"
#include "sync/profile_store/sqlite_store.hpp"

namespace kiosk_edge {
namespace {

using testing::RunCommand;
using testing::RunningProfileStore;

constexpr std::string_view kWindow = "from=2027-03-01&to=2027-03-03";

// The dataset's report by channel, last touch (attribution_test.cpp has it row by row).
constexpr std::string_view kChannelCsv =
    "channel,name,scans,unique_scanners,presence_verified_scans,invalid_scans,signups,"
    "vouchers_issued,redemptions,scan_to_signup_rate,signup_to_redemption_rate,"
    "median_scan_to_signup_s,median_signup_to_redemption_s\r\n"
    "COUNTER-2,Counter card,2,1,0,0,1,1,1,1.0000,1.0000,3000,7200\r\n"
    "EL3,Elevator 3 poster,3,3,0,0,0,0,1,0.0000,,,3513600\r\n"
    "FLYER,March flyer,2,2,0,0,1,1,1,0.5000,1.0000,3600,86400\r\n"
    "GHOST,,1,1,0,0,1,1,0,1.0000,0.0000,600,\r\n"
    "KIOSK,Kiosk screen,2,1,1,0,1,1,0,1.0000,0.0000,1500,\r\n"
    "(direct),,0,0,0,0,1,1,0,,0.0000,,\r\n"
    "(unattributed),,0,0,0,0,0,0,1,,,,\r\n"
    "(invalid),,2,2,0,2,0,0,0,0.0000,,,\r\n";

class HqApiTest : public testing::AttributionHqTest {
 protected:
  std::vector<std::string> Cli(std::vector<std::string> options, int* status,
                               std::string* errors = nullptr) {
    std::vector<std::string> argv = {
        PROFILE_STORE_BINARY, "attribution",           "--url", hq_.url,
        "--token-file",       hq_.token_file.string(), "--ca",  hq_.process->ca_file().string()};
    argv.insert(argv.end(), options.begin(), options.end());
    std::string out;
    const int wait_status = RunCommand(argv, &out, errors);
    *status = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1;
    std::vector<std::string> lines;
    std::istringstream stream(out);
    for (std::string line; std::getline(stream, line);) {
      if (line.ends_with('\r')) line.pop_back();  // CSV lines end in CRLF
      lines.push_back(line);
    }
    return lines;
  }
};

TEST_P(HqApiTest, RefusesARequestWithoutAToken) {
  const HttpClientResponse response = Get("/v1/attribution", "");
  EXPECT_EQ(response.status, 401u);
  EXPECT_EQ(response.Header("www-authenticate"), R"(Bearer realm="kiosk-edge HQ")");
  EXPECT_EQ(response.body.find("COUNTER-2"), std::string::npos);
}

TEST_P(HqApiTest, RefusesAWrongToken) {
  auto other = NewHqApiToken();
  ASSERT_TRUE(other);
  const HttpClientResponse response = Get("/v1/attribution", *other);
  EXPECT_EQ(response.status, 401u);
  EXPECT_EQ(response.Header("www-authenticate"),
            R"(Bearer realm="kiosk-edge HQ", error="invalid_token")");
}

// POST /v1/enroll with `token` and a well-formed CSR.
HttpClientResponse Enroll(const testing::HqApiServer& hq, const std::string& token) {
  const std::string key =
      Ed25519PrivateKeyToPem(GenerateEd25519KeyPair().value().private_key).value();
  const std::string body = boost::json::serialize(
      boost::json::object{{"token", token}, {"csr", CreateCsr(key, "kiosk-x").value()}});
  auto response =
      testing::HttpsOnce(hq.process->port(), hq.ca_pem,
                         {"POST", "/v1/enroll", {{"content-type", "application/json"}}, body});
  EXPECT_TRUE(response) << response.error().message();
  return response ? *response : HttpClientResponse{};
}

// Tokens HQ does not know count against the address that sends them, the API's and enrollment's
// alike (unknown_credential_limit.hpp, 20 in 10 minutes by default); past the limit every request
// of that address with a credential gets 429, a good token too. Requests without a token, and
// genuine tokens refused for their scope, do not count.
TEST_P(HqApiTest, AnAddressSendingUnknownTokensIsRefusedForTenMinutes) {
  auto metrics_only = NewHqApiToken();
  ASSERT_TRUE(metrics_only);
  const std::string storage = hq_.storage->ConfigToml();
  dir_.Write("profile-store.toml",
             StrCat(HqApiTokenConfigLines("tests", hq_.token, kEveryHqApiScope), "\n",
                    HqApiTokenConfigLines("scraper", *metrics_only,
                                          static_cast<std::uint8_t>(HqApiScope::kMetrics)),
                    "\n", storage));
  ASSERT_NE(hq_.process->Reload().find("HQ API tokens reloaded: 2"), std::string::npos);
  for (int i = 0; i < 25; ++i) {
    ASSERT_EQ(Get("/v1/channels", "").status, 401u);
    ASSERT_EQ(Get("/v1/channels", *metrics_only).status, 403u);
  }
  ASSERT_EQ(Get("/v1/channels", hq_.token).status, 200u);

  auto unknown = NewHqApiToken();
  ASSERT_TRUE(unknown);
  for (int i = 0; i < 19; ++i) ASSERT_EQ(Get("/v1/channels", *unknown).status, 401u) << i;
  EXPECT_EQ(Enroll(hq_, "no-such-token").status, 400u) << "the 20th unknown token";

  const HttpClientResponse refused = Get("/v1/channels", hq_.token);
  EXPECT_EQ(refused.status, 429u);
  EXPECT_NE(refused.body.find("too many unknown credentials"), std::string::npos) << refused.body;
  const int retry_after = std::stoi(std::string(refused.Header("retry-after").value_or("0")));
  EXPECT_GT(retry_after, 0);
  EXPECT_LE(retry_after, 600);
  EXPECT_EQ(Get("/metrics", hq_.token).status, 429u);
  EXPECT_EQ(Enroll(hq_, "no-such-token").status, 429u);
  EXPECT_EQ(Get("/v1/channels", "").status, 401u) << "no credential: not refused as one";

  std::string log;
  hq_.process->Stop(&log);
  EXPECT_NE(log.find("20 unknown credentials from 127.0.0.1 within 10 minutes"), std::string::npos)
      << log;
  EXPECT_EQ(log.find(*unknown), std::string::npos) << "a token in the log";
}

// The dashboard's session (dashboard_session.hpp): a granted token with the scope reports becomes
// an HttpOnly cookie, which stands for the token on the GETs of that scope and nowhere else.
TEST_P(HqApiTest, TheDashboardSessionCookieReadsReportsOnly) {
  const auto send = [this](const std::string& method, const std::string& target,
                           std::vector<std::pair<std::string, std::string>> headers) {
    auto response = testing::HttpsOnce(hq_.process->port(), hq_.ca_pem,
                                       {method, target, std::move(headers), ""});
    EXPECT_TRUE(response) << response.error().message();
    return response ? *response : HttpClientResponse{};
  };
  const HttpClientResponse opened =
      send("POST", "/v1/dashboard/session", {{"Authorization", "Bearer " + hq_.token}});
  ASSERT_EQ(opened.status, 204u) << opened.body;
  // "<Unix s of the log-in>.<token name>.<MAC>" (dashboard_session_test.cpp checks its MAC and
  // lifetime): the token itself never reaches the browser.
  const std::string set_cookie(opened.Header("set-cookie").value_or(""));
  std::smatch session;
  ASSERT_TRUE(
      std::regex_match(set_cookie, session,
                       std::regex("__Host-hq-dashboard=(([0-9]+)\\.tests\\.[A-Za-z0-9_-]{43}); "
                                  "Path=/; Secure; HttpOnly; SameSite=Strict")))
      << set_cookie;
  const std::int64_t opened_s = std::stoll(session[2].str());
  const std::int64_t now_s = UnixMs(SystemClock().WallNow()) / 1000;
  EXPECT_LE(opened_s, now_s);
  EXPECT_GT(opened_s, now_s - 60);
  // The MAC is keyed from HQ's index key, as any instance sharing the state folder makes it.
  auto state = LoadOrCreateHqState(dir_ / "hq", {"localhost", "127.0.0.1"});
  ASSERT_TRUE(state) << state.error().message();
  auto sessions = DashboardSessions::FromIndexKey(state->index_key);
  ASSERT_TRUE(sessions) << sessions.error().message();
  HqApiToken tests_token;
  tests_token.name = "tests";
  tests_token.hash = HqApiTokenHash(hq_.token);
  EXPECT_EQ(session[1].str(), sessions->CookieValue(tests_token, opened_s));
  const auto cookie_of = [&sessions](const HqApiToken& token, std::int64_t at_s) {
    return StrCat("__Host-hq-dashboard=", sessions->CookieValue(token, at_s));
  };
  auto unknown = NewHqApiToken();
  ASSERT_TRUE(unknown);
  const HttpClientResponse refused =
      send("POST", "/v1/dashboard/session", {{"Authorization", "Bearer " + *unknown}});
  EXPECT_EQ(refused.status, 401u);
  EXPECT_FALSE(refused.Header("set-cookie"));
  EXPECT_EQ(send("POST", "/v1/dashboard/session", {}).status, 401u);
  EXPECT_EQ(
      send("POST", "/v1/dashboard/session", {{"Cookie", cookie_of(tests_token, opened_s)}}).status,
      401u)
      << "a session is opened with the token itself";

  const std::pair<std::string, std::string> cookie{"Cookie",
                                                   "lang=en; " + cookie_of(tests_token, opened_s)};
  const std::string report = StrCat("/v1/attribution?", kWindow, "&format=csv");
  const HttpClientResponse by_cookie = send("GET", report, {cookie});
  EXPECT_EQ(by_cookie.status, 200u) << by_cookie.body;
  EXPECT_EQ(by_cookie.body, Get(report, hq_.token).body);
  EXPECT_EQ(send("GET", "/v1/channels", {cookie}).status, 200u);
  EXPECT_EQ(send("GET", "/v1/kiosks/health", {cookie}).status, 200u);
  for (const auto& [method, target] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "/v1/audiences/not-redeemed"},
           {"GET", "/v1/audit"},
           {"GET", "/v1/audit/actions"},
           {"GET", "/metrics"},
           {"POST", "/v1/subjects/%2B8613800000001/withdraw-consent"},
           {"DELETE", "/v1/subjects/%2B8613800000001"}}) {
    EXPECT_EQ(send(method, target, {cookie}).status, 401u) << method << " " << target;
  }
  // A session of a token HQ does not have, or one whose log-in time was moved: not valid.
  HqApiToken gone;
  gone.name = "gone";
  gone.hash = HqApiTokenHash(*unknown);
  const std::string mac = session[1].str().substr(session[1].str().rfind('.') + 1);
  for (const std::string& forged :
       {cookie_of(gone, opened_s), StrCat("__Host-hq-dashboard=", opened_s + 1, ".tests.", mac)}) {
    const HttpClientResponse stale = send("GET", "/v1/channels", {{"Cookie", forged}});
    EXPECT_EQ(stale.status, 401u) << forged;
    EXPECT_EQ(stale.Header("www-authenticate"),
              R"(Bearer realm="kiosk-edge HQ", error="invalid_token")");
  }
  // A session 12 hours old, or a cookie of a form before sessions had a MAC (the token itself),
  // is no session: the page asks to log in (a challenge without an error).
  for (const std::string& ended_session : {cookie_of(tests_token, now_s - 12 * 3600 - 1),
                                           StrCat("__Host-hq-dashboard=", opened_s, ".", hq_.token),
                                           "__Host-hq-dashboard=" + hq_.token}) {
    const HttpClientResponse no_session = send("GET", "/v1/channels", {{"Cookie", ended_session}});
    EXPECT_EQ(no_session.status, 401u) << ended_session;
    EXPECT_EQ(no_session.Header("www-authenticate"), R"(Bearer realm="kiosk-edge HQ")");
  }

  const HttpClientResponse ended = send("DELETE", "/v1/dashboard/session", {});
  EXPECT_EQ(ended.status, 204u) << "ending a session needs no token";
  EXPECT_EQ(ended.Header("set-cookie"),
            "__Host-hq-dashboard=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0");
  const HttpClientResponse wrong_method = send("GET", "/v1/dashboard/session", {cookie});
  EXPECT_EQ(wrong_method.status, 405u);
  EXPECT_EQ(wrong_method.Header("allow"), "POST, DELETE");
}

// SIGHUP reads the tokens from the config file again: a token taken out stops working without a
// restart and a new one works; a config that does not load keeps the tokens in use.
TEST_P(HqApiTest, SighupReloadsTheTokensFromTheConfig) {
  ASSERT_EQ(Get("/v1/channels", hq_.token).status, 200u);
  auto replacement = NewHqApiToken();
  ASSERT_TRUE(replacement);
  const std::string storage = hq_.storage->ConfigToml();
  dir_.Write(
      "profile-store.toml",
      StrCat(HqApiTokenConfigLines("replacement", *replacement, kEveryHqApiScope), "\n", storage));
  EXPECT_NE(hq_.process->Reload().find("HQ API tokens reloaded: 1 (replacement)"),
            std::string::npos);
  EXPECT_EQ(Get("/v1/channels", hq_.token).status, 401u) << "the token taken out";
  EXPECT_EQ(Get("/v1/channels", *replacement).status, 200u);

  dir_.Write("profile-store.toml", StrCat("[hq_api.tokens.typo]\nhash = \"abc\"\n", storage));
  const std::string kept = hq_.process->Reload();
  EXPECT_NE(kept.find("kept the HQ API tokens in use"), std::string::npos) << kept;
  EXPECT_NE(kept.find("hq_api.tokens.typo.hash"), std::string::npos) << kept;
  EXPECT_EQ(Get("/v1/channels", *replacement).status, 200u);
}

// Each endpoint needs its scope (hq_api_tokens.hpp): a dashboard's token reads reports and
// cannot export names and phones; an expired token is refused as one.
TEST_P(HqApiTest, ATokenReachesOnlyTheEndpointsOfItsScopesUntilItExpires) {
  auto reports = NewHqApiToken(), audience = NewHqApiToken(), expired = NewHqApiToken();
  ASSERT_TRUE(reports && audience && expired);
  const auto scope = [](HqApiScope s) { return static_cast<std::uint8_t>(s); };
  dir_.Write("profile-store.toml",
             StrCat(HqApiTokenConfigLines("dashboard", *reports, scope(HqApiScope::kReports)),
                    HqApiTokenConfigLines("marketing", *audience,
                                          scope(HqApiScope::kAudience) | scope(HqApiScope::kAudit)),
                    HqApiTokenConfigLines("old", *expired, kEveryHqApiScope, "2020-01-01"), "\n",
                    hq_.storage->ConfigToml()));
  const std::string reloaded = hq_.process->Reload();
  ASSERT_NE(reloaded.find("HQ API tokens reloaded: 3"), std::string::npos) << reloaded;

  EXPECT_EQ(Get("/v1/attribution?" + std::string(kWindow), *reports).status, 200u);
  EXPECT_EQ(Get("/v1/kiosks/health", *reports).status, 200u);
  const HttpClientResponse export_refused = Get("/v1/audiences/not-redeemed", *reports);
  EXPECT_EQ(export_refused.status, 403u);
  EXPECT_EQ(export_refused.Header("www-authenticate"),
            R"(Bearer realm="kiosk-edge HQ", error="insufficient_scope", scope="audience")");
  EXPECT_EQ(boost::json::parse(export_refused.body).at("error"),
            "the HQ API token dashboard lacks the scope audience that "
            "/v1/audiences/not-redeemed needs");
  EXPECT_EQ(Get("/v1/audit", *reports).status, 403u);
  EXPECT_EQ(Get("/metrics", *reports).status, 403u);

  EXPECT_EQ(Get("/v1/audiences/not-redeemed", *audience).status, 200u);
  EXPECT_EQ(Get("/v1/audit", *audience).status, 200u);
  EXPECT_EQ(Get("/v1/channels", *audience).status, 403u);

  const HttpClientResponse too_late = Get("/v1/channels", *expired);
  EXPECT_EQ(too_late.status, 401u);
  EXPECT_EQ(boost::json::parse(too_late.body).at("error"),
            "the HQ API token old expired at 2020-01-01T00:00:00Z");
  EXPECT_EQ(too_late.Header("www-authenticate"),
            R"(Bearer realm="kiosk-edge HQ", error="invalid_token")");

  // The log names who was turned away from what, and the token that still has every scope.
  std::string log;
  EXPECT_EQ(hq_.process->Stop(&log), 0);
  for (const std::string_view line :
       {"HQ API token dashboard refused for /v1/audiences/not-redeemed: no scope audience",
        "HQ API token marketing refused for /v1/channels: no scope reports",
        "expired HQ API token old refused for /v1/channels",
        "HQ API token old has every scope, audience and subjects included"}) {
    EXPECT_NE(log.find(line), std::string::npos) << line << "\n" << log;
  }
  EXPECT_EQ(log.find("token dashboard has every scope"), std::string::npos) << log;
  EXPECT_EQ(log.find(*reports), std::string::npos) << "never the token itself";
}

TEST_P(HqApiTest, NamesTheBadParameter) {
  const HttpClientResponse response =
      Get("/v1/attribution?group_by=kiosk&" + std::string(kWindow), hq_.token);
  EXPECT_EQ(response.status, 400u);
  const auto json = boost::json::parse(response.body).as_object();
  EXPECT_EQ(json.at("parameter"), "group_by");
  EXPECT_EQ(Get("/v1/attribution?from=2027-02-30", hq_.token).status, 400u);
}

TEST_P(HqApiTest, AnswersCsv) {
  const HttpClientResponse response =
      Get("/v1/attribution?format=csv&" + std::string(kWindow), hq_.token);
  EXPECT_EQ(response.status, 200u);
  EXPECT_TRUE(response.Header("content-type").value_or("").starts_with("text/csv"));
  EXPECT_EQ(response.Header("cache-control"), "no-store");
  EXPECT_EQ(response.body, kChannelCsv);
}

TEST_P(HqApiTest, AnswersJsonWithTheQueryEchoed) {
  const HttpClientResponse response =
      Get("/v1/attribution?group_by=day&model=first_touch&tz=%2B08:00&" + std::string(kWindow),
          hq_.token);
  ASSERT_EQ(response.status, 200u) << response.body;
  const auto json = boost::json::parse(response.body).as_object();
  const auto& query = json.at("query").as_object();
  EXPECT_EQ(query.at("from"), "2027-03-01T00:00:00+08:00");
  EXPECT_EQ(query.at("to"), "2027-03-03T00:00:00+08:00");
  EXPECT_EQ(query.at("group_by"), "day");
  EXPECT_EQ(query.at("model"), "first_touch");
  EXPECT_TRUE(json.at("generated_at").as_string().ends_with("Z"));
  const auto& rows = json.at("rows").as_array();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].as_object().at("day"), "2027-03-01");
  EXPECT_EQ(rows[1].as_object().at("redemptions"), 3);
  EXPECT_EQ(json.at("totals").as_object().at("scans"), 12);
}

TEST_P(HqApiTest, FiltersByStoreAndEchoesTheFilter) {
  const HttpClientResponse response =
      Get("/v1/attribution?format=csv&store=store-2&" + std::string(kWindow), hq_.token);
  ASSERT_EQ(response.status, 200u) << response.body;
  const std::string header(kChannelCsv.substr(0, kChannelCsv.find('\n') + 1));
  EXPECT_EQ(response.body,
            header + "COUNTER-2,Counter card,2,1,0,0,1,1,1,1.0000,1.0000,3000,7200\r\n");
  const auto json = boost::json::parse(
      Get("/v1/attribution?campaign=spring&" + std::string(kWindow), hq_.token).body);
  const auto& query = json.as_object().at("query").as_object();
  EXPECT_EQ(query.at("campaign"), "spring");
  EXPECT_FALSE(query.contains("store"));
  EXPECT_EQ(Get("/v1/attribution?store=&" + std::string(kWindow), hq_.token).status, 400u);
}

TEST_P(HqApiTest, ListsTheChannelCatalogue) {
  EXPECT_EQ(Get("/v1/channels", "").status, 401u);
  EXPECT_EQ(Get("/v1/channels?store=store-1", hq_.token).status, 400u);
  const HttpClientResponse response = Get("/v1/channels", hq_.token);
  ASSERT_EQ(response.status, 200u) << response.body;
  std::vector<std::string> channels;
  const auto json = boost::json::parse(response.body);
  for (const auto& channel : json.as_object().at("channels").as_array()) {
    const auto& c = channel.as_object();
    channels.push_back(StrCat(std::string_view(c.at("id").as_string()), " ",
                              std::string_view(c.at("store").as_string()), " ",
                              std::string_view(c.at("campaign").as_string()), " ",
                              std::string_view(c.at("path").as_string())));
  }
  EXPECT_EQ(channels, (std::vector<std::string>{
                          "COUNTER-2 store-2 spring south/plaza/counter",
                          "EL3 store-1 spring north/greenwood/bldg-2/elevator-3",
                          "FLYER store-1 spring north/greenwood/flyer-mar",
                          "KIOSK store-1 welcome north/mall-7/kiosk",
                      }));
}

TEST_P(HqApiTest, TheCommandLinePrintsATable) {
  int status = -1;
  const auto lines =
      Cli({"--from", "2027-03-01", "--to", "2027-03-03", "--group-by", "store"}, &status);
  ASSERT_EQ(status, 0);
  ASSERT_GE(lines.size(), 4u);
  EXPECT_TRUE(
      lines[0].starts_with("from=2027-03-01T00:00:00Z  to=2027-03-03T00:00:00Z  "
                           "group_by=store  model=last_touch"))
      << lines[0];
  const std::regex store_1(R"(store-1\s+7\s+5\s+1\s+0\s+2\s+2\s+2\s+0\.4\s+1\s+2550\s+1800000)");
  const std::regex total(R"(total\s+12\s+8\s+1\s+2\s+5\s+5\s+4\s+0\.625\s+0\.8\s+2250\s+86400)");
  bool store_seen = false, total_seen = false;
  for (const std::string& line : lines) {
    store_seen = store_seen || std::regex_match(line, store_1);
    total_seen = total_seen || std::regex_match(line, total);
  }
  EXPECT_TRUE(store_seen && total_seen) << ::testing::PrintToString(lines);
}

TEST_P(HqApiTest, TheCommandLinePrintsCsvAndReportsRefusals) {
  int status = -1;
  const auto csv = Cli({"--from", "2027-03-01", "--to", "2027-03-03", "--format", "csv"}, &status);
  EXPECT_EQ(status, 0);
  ASSERT_FALSE(csv.empty());
  EXPECT_EQ(csv[1], "COUNTER-2,Counter card,2,1,0,0,1,1,1,1.0000,1.0000,3000,7200");
  std::string errors;
  Cli({"--group-by", "path:0"}, &status, &errors);
  EXPECT_EQ(status, 1);
  EXPECT_NE(errors.find("HQ answered 400: group_by: must be"), std::string::npos) << errors;
  dir_.Write("token", "hq_NOTTHETOKEN\n");
  Cli({}, &status, &errors);
  EXPECT_EQ(status, 1);
  EXPECT_NE(errors.find("HQ answered 401"), std::string::npos) << errors;
}

TEST(HqTokenCommandsTest, NewTokenWritesTheTokenAndHashTokenAgrees) {
  testing::TempDir dir;
  const std::string file = (dir / "token").string();
  std::ostringstream out, err;
  const std::string_view make[] = {"new-token", "--name", "bi", "--token-file", file};
  ASSERT_EQ(RunHqCommand(make, out, err), 0) << err.str();
  auto token = ReadSmallFile(file);
  ASSERT_TRUE(token);
  const std::string lines = out.str();
  EXPECT_EQ(lines, HqApiTokenConfigLines("bi", token->substr(0, token->size() - 1),
                                         static_cast<std::uint8_t>(HqApiScope::kReports)))
      << "a new token may read reports, nothing more, unless asked";
  EXPECT_EQ(lines.find(token->substr(0, 10)), std::string::npos);  // never the token itself
  std::ostringstream again;
  const std::string_view hash[] = {"hash-token", "--name", "bi", "--token-file", file};
  ASSERT_EQ(RunHqCommand(hash, again, err), 0) << err.str();
  EXPECT_EQ(again.str(), lines);
  const std::string_view nameless[] = {"new-token"};
  EXPECT_EQ(RunHqCommand(nameless, out, err), 2);

  std::ostringstream scoped;
  const std::string_view wide[] = {"hash-token", "--name",         "dpo",
                                   "--scopes",   "subjects,audit", "--expires",
                                   "2027-06-30", "--token-file",   file};
  ASSERT_EQ(RunHqCommand(wide, scoped, err), 0) << err.str();
  EXPECT_TRUE(scoped.str().ends_with("scopes = \"subjects, audit\"\nexpires = \"2027-06-30\"\n"))
      << scoped.str();
  std::ostringstream refused;
  const std::string_view unknown_scope[] = {"new-token", "--name", "x", "--scopes", "everything"};
  EXPECT_EQ(RunHqCommand(unknown_scope, out, refused), 2);
  EXPECT_NE(refused.str().find("--scopes must list"), std::string::npos) << refused.str();
  const std::string_view bad_date[] = {"new-token", "--name", "x", "--expires", "next year"};
  EXPECT_EQ(RunHqCommand(bad_date, out, refused), 2);
  EXPECT_NE(refused.str().find("--expires must be"), std::string::npos) << refused.str();
}

INSTANTIATE_TEST_SUITE_P(Backends, HqApiTest, testing::BothBackends(), testing::BackendName);

}  // namespace
}  // namespace kiosk_edge
