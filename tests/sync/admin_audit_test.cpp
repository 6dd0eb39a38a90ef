// The audit of HQ's admin actions (admin_audit.hpp): who the actor is, the two renderings, the
// store on both backends, and a real profile-store process whose commands and subjects endpoints
// record what they are about to do, read back through `audit-actions` and GET /v1/audit/actions.

#include "sync/profile_store/admin_audit.hpp"

#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "common/sqlite.hpp"
#include "common/strings.hpp"
#include "support/hq_api_server.hpp"
#include "support/running_profile_store.hpp"
#include "support/scoped_env.hpp"
#include "support/temp_dir.hpp"
#include "support/test_stores.hpp"
#include "sync/profile_store/hq_api_client.hpp"
#include "sync/profile_store/report_time.hpp"

namespace kiosk_edge {
namespace {

using testing::kT0;
using testing::ScopedEnv;

// This process's user as the audit names it: "uid N" where the user has no passwd entry (in some
// containers).
std::string UserName() {
  const passwd* user = ::getpwuid(::geteuid());
  return user != nullptr ? std::string(user->pw_name) : StrCat("uid ", ::geteuid());
}

TEST(AdminAuditTest, TheActorIsTheUserAndWhoeverRanItThroughSudo) {
  {
    const ScopedEnv no_sudo("SUDO_USER", std::nullopt);
    EXPECT_EQ(CommandLineActor(), "cli:" + UserName());
  }
  const ScopedEnv sudo("SUDO_USER", "alice");
  EXPECT_EQ(CommandLineActor(), "cli:" + UserName() + " (sudo from alice)");
  EXPECT_EQ(ApiTokenActor("dpo-tool"), "token:dpo-tool");
}

TEST(AdminAuditTest, RendersATableAndJson) {
  const std::vector<AdminActionRecord> records = {
      {2, kT0 + 1000, "token:dpo", "erase-subject", "p1", ""},
      {1, kT0, "cli:root", "enroll-token", "kiosk-1", "valid\t24 h\nnow"}};
  EXPECT_EQ(
      AdminActionsTable(records),
      StrCat("id\tat\tactor\taction\ttarget\tdetail\n", "2\t", FormatReportTime(kT0 + 1000, 0),
             "\ttoken:dpo\terase-subject\tp1\t-\n", "1\t", FormatReportTime(kT0, 0),
             "\tcli:root\tenroll-token\tkiosk-1\tvalid 24 h now\n"));
  const auto json = boost::json::parse(AdminActionsJson(records)).as_object();
  EXPECT_EQ(json.at("columns").as_array().size(), 6u);
  const auto& rows = json.at("rows").as_array();
  ASSERT_EQ(rows.size(), 2u);
  const auto& first = rows[0].as_object();
  EXPECT_EQ(first.at("id"), 2);
  EXPECT_EQ(std::string(first.at("at").as_string()), FormatReportTime(kT0 + 1000, 0));
  EXPECT_EQ(first.at("actor"), "token:dpo");
  EXPECT_EQ(first.at("action"), "erase-subject");
  EXPECT_EQ(first.at("target"), "p1");
  EXPECT_EQ(first.at("detail"), "");
}

class AdminAuditStoreTest : public testing::StoreSuite {};

TEST_P(AdminAuditStoreTest, KeepsEveryActionNewestFirst) {
  const AdminActionRecord first{0, kT0, "cli:root", "enroll-token", "kiosk-1", "valid 24 h"};
  const AdminActionRecord second{0, kT0 + 1, "token:dpo", "erase-subject", "p1", ""};
  ASSERT_TRUE(store_->RecordAdminAction(first));
  ASSERT_TRUE(store_->RecordAdminAction(second));
  auto records = store_->AdminActions(10);
  ASSERT_TRUE(records) << records.error().message();
  ASSERT_EQ(records->size(), 2u);
  AdminActionRecord want_second = second;
  want_second.id = (*records)[1].id + 1;
  AdminActionRecord want_first = first;
  want_first.id = (*records)[1].id;
  EXPECT_EQ((*records)[0], want_second);
  EXPECT_EQ((*records)[1], want_first);
  auto latest = store_->AdminActions(1);
  ASSERT_TRUE(latest) << latest.error().message();
  ASSERT_EQ(latest->size(), 1u);
  EXPECT_EQ((*latest)[0].action, "erase-subject");
  // Kept across a reopening.
  store_.reset();
  store_ = Open();
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(store_->AdminActions(10).value().size(), 2u);
}

INSTANTIATE_TEST_SUITE_P(Backends, AdminAuditStoreTest, testing::BothBackends(),
                         testing::BackendName);

// A real profile-store on each backend, with a token named "dpo" of every scope.
class AdminAuditHqTest : public ::testing::TestWithParam<testing::Backend> {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(testing::StartHqApiServer(
        dir_, GetParam(), "dpo", [](const HqIdentity&) { return std::vector<EventBatch>{}; },
        &hq_));
  }

  // Runs a profile-store command on the server's state and config; its exit status.
  int Command(std::vector<std::string> words, std::string* out = nullptr) {
    std::vector<std::string> argv = {PROFILE_STORE_BINARY};
    argv.insert(argv.end(), words.begin(), words.end());
    argv.insert(argv.end(), {"--state-dir", hq_.process->state_dir().string()});
    std::string ignored;
    const int status = testing::RunCommand(hq_.process->Command(argv), out ? out : &ignored);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  HttpClientResponse Send(const std::string& method, const std::string& target) {
    auto response = HqApiSend({hq_.url, hq_.token, hq_.ca_pem, std::chrono::milliseconds(20'000)},
                              method, target);
    EXPECT_TRUE(response) << response.error().message();
    return response ? *response : HttpClientResponse{};
  }

  // The (actor, action, target, detail) of each row of `audit-actions`, newest first.
  std::vector<std::vector<std::string>> AuditRows(const std::string& table) {
    std::vector<std::vector<std::string>> rows;
    std::istringstream lines(table);
    std::string line;
    std::getline(lines, line);
    EXPECT_EQ(line, "id\tat\tactor\taction\ttarget\tdetail");
    while (std::getline(lines, line)) {
      std::vector<std::string> cells;
      std::istringstream split(line);
      for (std::string cell; std::getline(split, cell, '\t');) cells.push_back(cell);
      EXPECT_EQ(cells.size(), 6u) << line;
      if (cells.size() == 6) rows.push_back({cells[2], cells[3], cells[4], cells[5]});
    }
    return rows;
  }

  testing::TempDir dir_;
  testing::HqApiServer hq_;
};

TEST_P(AdminAuditHqTest, CommandsAndSubjectCallsAreRecordedBeforeTheyAct) {
  const ScopedEnv no_sudo("SUDO_USER", std::nullopt);
  const std::string me = "cli:" + UserName();
  EXPECT_EQ(Command({"enroll-token", "--kiosk", "kiosk-7", "--valid-hours", "2"}), 0);
  EXPECT_EQ(Command({"revoke-voucher", "kiosk-7/00112233445566ff"}), 0);
  EXPECT_EQ(Command({"rotate-channel-key"}), 0);
  EXPECT_EQ(Command({"withdraw-channel-key", "B"}), 0);
  // Refused before anything is done: not recorded.
  EXPECT_EQ(Command({"withdraw-channel-key"}), 2);
  EXPECT_EQ(Command({"withdraw-channel-key", "BC"}), 2);
  EXPECT_EQ(Command({"enroll-token", "--kiosk", "bad id"}), 2);
  EXPECT_EQ(Command({"revoke-kiosk", "-x"}), 2);
  EXPECT_EQ(Command({"honour-vouchers", "kiosk-9", "--received-before", "soon"}), 2);
  // Fail after they were recorded: no such kiosk is registered.
  EXPECT_EQ(Command({"revoke-kiosk", "kiosk-9"}), 1);
  EXPECT_EQ(
      Command({"honour-vouchers", "kiosk-9", "--received-before", "2026-12-01T18:00:00+08:00"}), 1);

  const HttpClientResponse withdrawn =
      Send("POST", "/v1/subjects/%2B8613800000001/withdraw-consent");
  ASSERT_EQ(withdrawn.status, 200u) << withdrawn.body;
  const std::string withdrawn_profile(
      boost::json::parse(withdrawn.body).as_object().at("profile").as_string());
  const HttpClientResponse erased = Send("DELETE", "/v1/subjects/%2B8613800000002");
  ASSERT_EQ(erased.status, 200u) << erased.body;
  const std::string erased_profile(
      boost::json::parse(erased.body).as_object().at("subject").as_string());
  // A phone that is not E.164 is refused before it is recorded.
  EXPECT_EQ(Send("POST", "/v1/subjects/12345/withdraw-consent").status, 400u);
  EXPECT_EQ(Send("DELETE", "/v1/subjects/12345").status, 400u);

  std::string table;
  ASSERT_EQ(Command({"audit-actions"}, &table), 0);
  const std::vector<std::vector<std::string>> want = {
      {"token:dpo", "erase-subject", erased_profile, "-"},
      {"token:dpo", "withdraw-consent", withdrawn_profile, "-"},
      {me, "honour-vouchers", "kiosk-9", "received before 2026-12-01T10:00:00Z"},
      {me, "revoke-kiosk", "kiosk-9", "-"},
      {me, "withdraw-channel-key", "B", "-"},
      {me, "rotate-channel-key", "B", "-"},
      {me, "revoke-voucher", "kiosk-7/00112233445566ff", "-"},
      {me, "enroll-token", "kiosk-7", "valid 2 h"}};
  EXPECT_EQ(AuditRows(table), want);
  EXPECT_EQ(table.find("+8613800000001"), std::string::npos) << "no phone in the audit";
  ASSERT_EQ(Command({"audit-actions", "--limit", "2"}, &table), 0);
  EXPECT_EQ(AuditRows(table).size(), 2u);
  EXPECT_EQ(Command({"audit-actions", "--limit", "0"}), 2);

  const HttpClientResponse audit = Send("GET", "/v1/audit/actions?limit=3");
  ASSERT_EQ(audit.status, 200u) << audit.body;
  EXPECT_EQ(audit.Header("cache-control"), "no-store");
  const boost::json::value answer = boost::json::parse(audit.body);
  const auto& rows = answer.as_object().at("rows").as_array();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].as_object().at("action"), "erase-subject");
  EXPECT_EQ(rows[0].as_object().at("actor"), "token:dpo");
  EXPECT_EQ(rows[2].as_object().at("action"), "honour-vouchers");
  EXPECT_EQ(Send("GET", "/v1/audit/actions?limit=1001").status, 400u);
}

INSTANTIATE_TEST_SUITE_P(Backends, AdminAuditHqTest, testing::BothBackends(), testing::BackendName);

TEST(AdminAuditCommandTest, NothingIsDoneWhenTheAuditCannotBeWritten) {
  testing::TempDir dir;
  const std::string state = (dir / "hq").string();
  const auto run = [&state](std::vector<std::string> words, std::string* err) {
    std::vector<std::string> argv = {PROFILE_STORE_BINARY};
    argv.insert(argv.end(), words.begin(), words.end());
    argv.insert(argv.end(), {"--state-dir", state});
    std::string out;
    const int status = testing::RunCommand(argv, &out, err);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  };
  std::string err;
  ASSERT_EQ(run({"kiosks"}, &err), 0) << err;  // makes the store
  {
    auto db = Database::Open(dir / "hq" / "profile-store.db", DatabaseOptions{});
    ASSERT_TRUE(db) << db.error().message();
    ASSERT_TRUE(db->Exec("DROP TABLE admin_actions"));
  }
  EXPECT_EQ(run({"revoke-voucher", "kiosk-7/00112233445566ff"}, &err), 1);
  EXPECT_NE(err.find("nothing done: the audit of admin actions failed"), std::string::npos) << err;
  auto db = Database::Open(dir / "hq" / "profile-store.db", DatabaseOptions{});
  ASSERT_TRUE(db) << db.error().message();
  EXPECT_EQ(db->QueryInt("SELECT COUNT(*) FROM revoked_vouchers").value(), 0);
}

}  // namespace
}  // namespace kiosk_edge
