// The audience export through a real profile-store process: bearer tokens (401), 400 naming a
// bad `after`, the rows with their opened contact as JSON and CSV, the audit record each export
// leaves (GET /v1/audit), HQ's withdraw-consent call removing a shopper at once, and
// `profile-store audience` printing it all. The store holds audience_dataset.hpp under the
// server's own keys, ingested before the start; the server runs on the real clock, so the
// dataset is placed 10 days back from now. The store is on each backend in turn.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <boost/json/parse.hpp>
#include <memory>
#include <sstream>
#include <string>

#include "common/fake_clock.hpp"
#include "common/files.hpp"
#include "common/strings.hpp"
#include "support/hq_api_server.hpp"
#include "support/running_profile_store.hpp"
#include "support/temp_dir.hpp"
#include "sync/audience_dataset.hpp"
#include "sync/profile_store/hq_api_client.hpp"
#include "sync/profile_store/hq_api_tokens.hpp"
#include "sync/profile_store/hq_state.hpp"
#include "sync/profile_store/report_time.hpp"
#include "sync/profile_store/sqlite_store.hpp"

namespace kiosk_edge {
namespace {

using testing::RunCommand;
using testing::RunningProfileStore;
using testing::audience::kDayMs;
using testing::audience::kHourMs;

class HqAudienceTest : public ::testing::TestWithParam<testing::Backend> {
 protected:
  void SetUp() override {
    const std::int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count();
    t0_ = now_ms / 60'000 * 60'000 - 10 * kDayMs;
    ASSERT_NO_FATAL_FAILURE(testing::StartHqApiServer(
        dir_, GetParam(), "analyst",
        [this](const HqIdentity& identity) {
          profile_of_01_ = identity.ProfileKey(testing::audience::Phone(1));
          return testing::audience::AudienceBatches(identity.public_key(), t0_);
        },
        &hq_));
  }

  HttpClientResponse Send(const std::string& method, const std::string& target,
                          const std::string& token) {
    auto response =
        HqApiSend({hq_.url, token, hq_.ca_pem, std::chrono::milliseconds(20'000)}, method, target);
    EXPECT_TRUE(response) << response.error().message();
    return response ? *response : HttpClientResponse{};
  }

  // The phones of the JSON answer's rows, in order.
  std::vector<std::string> Phones(const HttpClientResponse& response) {
    std::vector<std::string> phones;
    const auto json = boost::json::parse(response.body).as_object();
    for (const auto& row : json.at("rows").as_array()) {
      phones.push_back(std::string(row.as_object().at("phone").as_string()));
    }
    return phones;
  }

  std::vector<std::string> Cli(std::vector<std::string> words, int* status,
                               std::string* errors = nullptr) {
    std::vector<std::string> argv = {PROFILE_STORE_BINARY};
    argv.insert(argv.end(), words.begin(), words.end());
    for (const std::string& option :
         {std::string("--url"), hq_.url, std::string("--token-file"), hq_.token_file.string(),
          std::string("--ca"), hq_.process->ca_file().string()}) {
      argv.push_back(option);
    }
    std::string out;
    const int wait_status = RunCommand(argv, &out, errors);
    *status = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1;
    std::vector<std::string> lines;
    std::istringstream stream(out);
    for (std::string line; std::getline(stream, line);) {
      if (line.ends_with('\r')) line.pop_back();
      lines.push_back(line);
    }
    return lines;
  }

  testing::TempDir dir_;
  testing::HqApiServer hq_;
  std::int64_t t0_ = 0;
  std::string profile_of_01_;
};

TEST_P(HqAudienceTest, RefusesRequestsWithoutAToken) {
  EXPECT_EQ(Send("GET", "/v1/audiences/not-redeemed?after=48h", "").status, 401u);
  EXPECT_EQ(Send("GET", "/v1/audit", "").status, 401u);
  EXPECT_EQ(Send("POST", "/v1/subjects/%2B8613800000001/withdraw-consent", "").status, 401u);
  // Nothing was exported, nothing withdrawn.
  const HttpClientResponse audit = Send("GET", "/v1/audit", hq_.token);
  EXPECT_TRUE(boost::json::parse(audit.body).as_object().at("rows").as_array().empty());
  EXPECT_EQ(Phones(Send("GET", "/v1/audiences/not-redeemed", hq_.token)).size(), 5u);
}

TEST_P(HqAudienceTest, NamesABadAfter) {
  for (const char* after : {"48", "0h", "2w", "abc"}) {
    const HttpClientResponse response =
        Send("GET", std::string("/v1/audiences/not-redeemed?after=") + after, hq_.token);
    EXPECT_EQ(response.status, 400u) << after;
    const auto json = boost::json::parse(response.body).as_object();
    EXPECT_EQ(json.at("parameter"), "after") << after;
  }
  EXPECT_EQ(Send("GET", "/v1/audiences/not-redeemed", hq_.token).status, 200u);
  EXPECT_EQ(Send("PUT", "/v1/audiences/not-redeemed", hq_.token).status, 405u);
  EXPECT_EQ(Send("GET", "/v1/subjects/%2B8613800000001/withdraw-consent", hq_.token).status, 405u);
}

TEST_P(HqAudienceTest, ExportsTheAudienceWithContactAndAuditsIt) {
  using testing::audience::Phone;
  const HttpClientResponse response =
      Send("GET", "/v1/audiences/not-redeemed?after=48h&store=store-1", hq_.token);
  ASSERT_EQ(response.status, 200u) << response.body;
  EXPECT_EQ(response.Header("cache-control"), "no-store");
  const auto json = boost::json::parse(response.body).as_object();
  const auto& rows = json.at("rows").as_array();
  ASSERT_EQ(rows.size(), 2u);
  const auto& first = rows[0].as_object();
  EXPECT_EQ(std::string(first.at("profile").as_string()), profile_of_01_);
  EXPECT_EQ(first.at("store"), "store-1");
  EXPECT_EQ(first.at("channel"), "EL3");
  EXPECT_EQ(first.at("campaign"), "spring");
  EXPECT_EQ(std::string(first.at("signed_up_at").as_string()), FormatReportTime(t0_, 0));
  EXPECT_EQ(first.at("name"), "Li Lei");
  EXPECT_EQ(std::string(first.at("phone").as_string()), Phone(1));
  EXPECT_EQ(std::string(rows[1].as_object().at("phone").as_string()), Phone(7));

  const HttpClientResponse audit = Send("GET", "/v1/audit", hq_.token);
  ASSERT_EQ(audit.status, 200u) << audit.body;
  const auto records = boost::json::parse(audit.body).as_object().at("rows").as_array();
  ASSERT_EQ(records.size(), 1u);
  const auto& record = records[0].as_object();
  EXPECT_EQ(record.at("token"), "analyst");
  EXPECT_EQ(record.at("audience"), "not-redeemed");
  EXPECT_EQ(record.at("rows"), 2);
  const std::string filter(record.at("filter").as_string());
  EXPECT_TRUE(filter.starts_with("after=48h&from=")) << filter;
  EXPECT_TRUE(filter.ends_with("&store=store-1")) << filter;
  // The audit holds no personal data.
  EXPECT_EQ(audit.body.find("Li Lei"), std::string::npos);
  EXPECT_EQ(audit.body.find("8613800000001"), std::string::npos);
}

TEST_P(HqAudienceTest, WithdrawConsentRemovesTheShopperAtOnce) {
  using testing::audience::Phone;
  const std::vector<std::string> all = {Phone(1), Phone(4), Phone(6), Phone(7), Phone(9)};
  EXPECT_EQ(Phones(Send("GET", "/v1/audiences/not-redeemed", hq_.token)), all);
  const HttpClientResponse withdrawn =
      Send("POST", "/v1/subjects/%2B8613800000001/withdraw-consent", hq_.token);
  ASSERT_EQ(withdrawn.status, 200u) << withdrawn.body;
  const auto json = boost::json::parse(withdrawn.body).as_object();
  EXPECT_EQ(std::string(json.at("profile").as_string()), profile_of_01_);
  EXPECT_EQ(json.at("profile_known"), true);
  EXPECT_EQ(Phones(Send("GET", "/v1/audiences/not-redeemed", hq_.token)),
            (std::vector<std::string>{Phone(4), Phone(6), Phone(7), Phone(9)}));
  const HttpClientResponse bad =
      Send("POST", "/v1/subjects/8613800000001/withdraw-consent", hq_.token);
  EXPECT_EQ(bad.status, 400u);
  EXPECT_EQ(boost::json::parse(bad.body).as_object().at("parameter"), "phone");
}

TEST_P(HqAudienceTest, TheCommandLinePrintsTheAudienceAndTheAudit) {
  using testing::audience::Phone;
  int status = -1;
  const auto csv =
      Cli({"audience", "not-redeemed", "--after", "48h", "--channel", "COUNTER", "--format", "csv"},
          &status);
  ASSERT_EQ(status, 0);
  ASSERT_EQ(csv.size(), 3u) << ::testing::PrintToString(csv);
  EXPECT_EQ(csv[0], "profile,store,channel,campaign,signed_up_at,name,phone");
  EXPECT_TRUE(csv[1].ends_with(StrCat(
      ",store-2,COUNTER,spring,", FormatReportTime(t0_ + 3 * kHourMs, 0), ",Li Lei,", Phone(4))))
      << csv[1];
  EXPECT_TRUE(csv[2].ends_with(StrCat(
      ",store-2,COUNTER,welcome,", FormatReportTime(t0_ + 9 * kHourMs, 0), ",Li Lei,", Phone(9))))
      << csv[2];

  const auto table = Cli({"audience", "not-redeemed", "--after", "4d"}, &status);
  ASSERT_EQ(status, 0);
  std::string text;
  for (const std::string& line : table) text += line + "\n";
  EXPECT_NE(text.find(Phone(1)), std::string::npos) << text;
  EXPECT_EQ(text.find(Phone(4)), std::string::npos) << text;  // redeemed within 4 days

  const auto audit = Cli({"audience", "audit"}, &status);
  ASSERT_EQ(status, 0);
  std::string audit_text;
  for (const std::string& line : audit) audit_text += line + "\n";
  EXPECT_NE(audit_text.find("after=4d"), std::string::npos) << audit_text;
  EXPECT_NE(audit_text.find("after=48h"), std::string::npos) << audit_text;

  std::string errors;
  Cli({"audience", "not-redeemed", "--after", "2w"}, &status, &errors);
  EXPECT_EQ(status, 1);
  EXPECT_NE(errors.find("HQ answered 400: after: must be"), std::string::npos) << errors;
}

INSTANTIATE_TEST_SUITE_P(Backends, HqAudienceTest, testing::BothBackends(), testing::BackendName);

}  // namespace
}  // namespace kiosk_edge
