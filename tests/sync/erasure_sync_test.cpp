// Issue 6 with real processes, HQ on SQLite and on PostgreSQL: HQ erases a shopper whose signup a
// kiosk still holds unsynced (HQ unreachable behind a proxy). Once the kiosk syncs, HQ has no
// profile for them and the kiosk's journal holds none of their personal data; a later signup of the
// same phone does not bring the profile back; and a voucher HQ revoked is refused at the counter
// once the bundle arrives.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <chrono>

#include "common/files.hpp"
#include "common/sqlite.hpp"
#include "common/strings.hpp"
#include "support/clerk.hpp"
#include "support/eventually.hpp"
#include "support/fault_proxy.hpp"
#include "support/hq_database.hpp"
#include "support/journal_events.hpp"
#include "support/phone.hpp"
#include "support/running_agent.hpp"
#include "support/running_profile_store.hpp"
#include "support/temp_dir.hpp"
#include "sync/profile_store/hq_api_client.hpp"
#include "sync/profile_store/hq_api_tokens.hpp"

namespace kiosk_edge {
namespace {

using testing::Backend;
using testing::Clerk;
using testing::CounterRefuses;
using testing::Eventually;
using testing::FaultProxy;
using testing::HqDatabase;
using testing::Phone;
using testing::ReadEvents;
using testing::RunningAgent;
using testing::RunningProfileStore;
using testing::RunProgram;
using testing::TempDir;

constexpr char kErasureKioskId[] = "kiosk-erasure-1";

std::string ErasureAgentConfig() {
  return StrCat("[kiosk]\nid = \"", kErasureKioskId,
                "\"\n[sync]\nconfig_interval_ms = 1000\nbackoff_base_ms = 50\n"
                "backoff_cap_ms = 200\n",
                testing::kOpenSignupLimits);
}

// The first column of every row of `sql` on the SQLite file `path`, as text.
std::vector<std::string> Column(const std::filesystem::path& path, const std::string& sql) {
  DatabaseOptions options;
  options.read_only = true;
  auto db = Database::Open(path, options);
  EXPECT_TRUE(db) << db.error().message();
  std::vector<std::string> values;
  if (!db) return values;
  auto select = db->Prepare(sql);
  EXPECT_TRUE(select) << select.error().message();
  if (!select) return values;
  for (auto row = select->Step(); row && *row; row = select->Step()) {
    values.push_back(select->ColumnText(0));
  }
  return values;
}

// The first column of every row of `sql` in HQ's database, as text.
std::vector<std::string> HqColumn(const HqDatabase& hq, const std::string& sql) {
  auto rows = hq.Rows(sql, {}, 1);
  EXPECT_TRUE(rows) << rows.error().message();
  std::vector<std::string> values;
  if (rows) {
    for (const auto& row : *rows) values.push_back(row[0]);
  }
  return values;
}

bool Scrubbed(const boost::json::object& payload) {
  return !payload.contains("phone") && !payload.contains("name") &&
         !payload.contains("phone_index") && !payload.contains("device") &&
         payload.contains("erased");
}

class ErasureSyncTest : public ::testing::TestWithParam<Backend> {};

TEST_P(ErasureSyncTest, AnErasedShopperLeavesHqAndTheKioskAndARevokedVoucherIsRefused) {
  TempDir dir;
  const HqDatabase storage(GetParam(), dir.path() / "hq");
  ASSERT_TRUE(storage.ok()) << storage.error();
  auto api_token = NewHqApiToken();
  ASSERT_TRUE(api_token);
  const auto hq_config =
      dir.Write("profile-store.toml",
                HqApiTokenConfigLines("dpo", *api_token, kEveryHqApiScope) + storage.ConfigToml());
  RunningProfileStore hq(dir.path() / "hq", 0, hq_config);
  ASSERT_NE(hq.port(), 0);
  FaultProxy proxy(hq.port());

  const auto agent_config = dir.Write("kiosk-agent.toml", ErasureAgentConfig());
  const auto enrolled =
      hq.EnrollKiosk(kErasureKioskId, agent_config, dir.path() / "state", proxy.port());
  ASSERT_EQ(enrolled.exit_code, 0) << enrolled.err;

  // HQ is unreachable while shopper X signs up: the signup stays unsynced on the kiosk.
  proxy.SetDown(true);
  RunningAgent agent(dir.path(), ErasureAgentConfig());
  ASSERT_NE(agent.port(), 0);
  Phone phone(agent.port(), "en");
  const auto signed_up = phone.SignUp("EL3-POSTER-V2", "Wei Zhang", "13812345678");
  ASSERT_EQ(signed_up.status, 200);
  const std::string voucher_token = testing::IssuedVoucherToken(signed_up.body);
  ASSERT_FALSE(voucher_token.empty()) << signed_up.body;
  const auto signups = ReadEvents(agent.state_dir(), "signup");
  ASSERT_EQ(signups.size(), 1u);
  ASSERT_TRUE(signups[0].payload.contains("phone"));
  const auto issued = ReadEvents(agent.state_dir(), "voucher_issued");
  ASSERT_EQ(issued.size(), 1u);
  const std::string voucher_key =
      StrCat(kErasureKioskId, "/", std::string(issued[0].payload.at("voucher").as_string()));

  // HQ erases X (not known to HQ yet) and revokes X's voucher.
  auto ca = ReadSmallFile(hq.ca_file());
  ASSERT_TRUE(ca);
  const HqApiClientOptions api{StrCat("https://127.0.0.1:", hq.port()), *api_token, *ca,
                               std::chrono::milliseconds(20'000)};
  auto bad = HqApiSend(api, "DELETE", "/v1/subjects/13812345678");
  ASSERT_TRUE(bad) << bad.error().message();
  EXPECT_EQ(bad->status, 400u);
  EXPECT_NE(bad->body.find("\"parameter\":\"phone\""), std::string::npos) << bad->body;
  auto erased = HqApiSend(api, "DELETE", "/v1/subjects/%2B8613812345678");
  ASSERT_TRUE(erased) << erased.error().message();
  EXPECT_EQ(erased->status, 200u) << erased->body;
  EXPECT_NE(erased->body.find("\"profile_found\":false"), std::string::npos) << erased->body;
  const auto revoked = RunProgram(hq.Command({PROFILE_STORE_BINARY, "revoke-voucher", voucher_key,
                                              "--state-dir", hq.state_dir().string()}));
  ASSERT_EQ(revoked.exit_code, 0) << revoked.err;

  // The kiosk syncs: its copy of X's signup loses the personal data, HQ keeps no profile.
  proxy.SetDown(false);
  ASSERT_TRUE(Eventually([&] {
    const auto now = ReadEvents(agent.state_dir(), "signup");
    return now.size() == 1 && Scrubbed(now[0].payload);
  })) << "the kiosk never scrubbed X's signup";
  ASSERT_TRUE(Eventually([&] {
    auto saved = ReadSmallFile(agent.state_dir() / "hq-config.json", 1 << 20);
    return saved && saved->find(voucher_key) != std::string::npos;
  })) << "the bundle with the revoked voucher never arrived";
  ASSERT_TRUE(Eventually([&] { return CounterRefuses(agent, voucher_token, "revoked"); }));
  const std::filesystem::path journal = agent.state_dir() / "journal.db";
  EXPECT_EQ(Column(journal, "SELECT key FROM claims WHERE key LIKE '%signup:%'"),
            std::vector<std::string>{});
  EXPECT_EQ(Column(journal, "PRAGMA quick_check"), std::vector<std::string>{"ok"});
  EXPECT_EQ(HqColumn(storage, "SELECT profile_key FROM profiles"), std::vector<std::string>{});
  EXPECT_EQ(HqColumn(storage, "SELECT count(*) FROM erased_subjects"),
            std::vector<std::string>{"1"});
  const auto at_hq = HqColumn(storage, "SELECT payload FROM events WHERE type = 'signup'");
  ASSERT_EQ(at_hq.size(), 1u);
  boost::system::error_code bad_json;
  const boost::json::value stored = boost::json::parse(at_hq[0], bad_json);
  ASSERT_TRUE(!bad_json && stored.is_object()) << at_hq[0];
  EXPECT_TRUE(Scrubbed(stored.as_object())) << at_hq[0];

  // The voucher HQ revoked is refused at the counter.
  Clerk clerk(agent.port(), "demo", agent.demo_pin());
  ASSERT_TRUE(clerk.logged_in());
  const auto refused = clerk.Redeem(voucher_token);
  EXPECT_EQ(refused.at("outcome"), "refused");
  EXPECT_EQ(refused.at("reason"), "revoked");

  // A late signup of X (online now) is scrubbed too and does not bring the profile back.
  Phone again(agent.port(), "en");
  ASSERT_EQ(again.SignUp("EL3-POSTER-V2", "Wei Zhang", "+86 138 1234 5678").status, 200);
  ASSERT_TRUE(Eventually([&] {
    const auto now = ReadEvents(agent.state_dir(), "signup");
    return now.size() == 2 && Scrubbed(now[0].payload) && Scrubbed(now[1].payload);
  })) << "the kiosk never scrubbed X's second signup";
  EXPECT_EQ(HqColumn(storage, "SELECT profile_key FROM profiles"), std::vector<std::string>{});
  EXPECT_EQ(HqColumn(storage, "SELECT count(*) FROM signups"), std::vector<std::string>{"2"});
  ASSERT_EQ(agent.Stop(), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, ErasureSyncTest, testing::BothBackends(), testing::BackendName);

}  // namespace
}  // namespace kiosk_edge
