// Issue 5 with real processes: a fleet-scope voucher redeemed at one kiosk is refused at another
// once HQ's bundle reaches it (a store-scope one at another kiosk of its store), and the config
// pulls carry only the vouchers redeemed since the list the kiosk holds (config_bundle.hpp): HQ
// answers `?redeemed_through=N` with what came after N, a kiosk without the feature with the whole
// list in the first wire form, and a malformed position with 400. A kiosk that enrolls gets a list
// longer than a page in pages. A revoked kiosk's earlier vouchers are honoured once HQ says so.
// HQ runs on each storage backend.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <cstdio>

#include "agent/redeemed_list_store.hpp"
#include "common/clock.hpp"
#include "common/files.hpp"
#include "common/http_forms.hpp"
#include "common/strings.hpp"
#include "support/clerk.hpp"
#include "support/eventually.hpp"
#include "support/hq_database.hpp"
#include "support/https_once.hpp"
#include "support/journal_events.hpp"
#include "support/phone.hpp"
#include "support/running_agent.hpp"
#include "support/running_profile_store.hpp"
#include "support/temp_dir.hpp"
#include "sync/profile_store/report_time.hpp"
#include "sync/protocol/batch.hpp"
#include "sync/protocol/config_bundle.hpp"
#include "sync/store_test_events.hpp"

namespace kiosk_edge {
namespace {

using testing::Backend;
using testing::Clerk;
using testing::CounterRefuses;
using testing::Eventually;
using testing::Phone;
using testing::ReadEvents;
using testing::RunningAgent;
using testing::RunningProfileStore;
using testing::TempDir;

// Vouchers of `scope` (every kiosk stands in the default store); HQ's bundle pulled every second.
std::string VoucherAgentConfig(const std::string& kiosk_id, const std::string& scope = "fleet") {
  return StrCat("[kiosk]\nid = \"", kiosk_id,
                "\"\n[sync]\nconfig_interval_ms = 1000\nbackoff_base_ms = 50\n"
                "backoff_cap_ms = 200\n[vouchers]\nscope = \"",
                scope, "\"\n", testing::kOpenSignupLimits);
}

// `kioskctl enroll` of kiosk `kiosk_id` into `dir`/state, with its config in `dir`.
void Enroll(const RunningProfileStore& hq, const std::filesystem::path& dir,
            const std::string& kiosk_id) {
  std::filesystem::create_directories(dir);
  const auto config = dir / "enroll.toml";
  ASSERT_TRUE(WriteFileAtomically(config, VoucherAgentConfig(kiosk_id), 0600));
  const auto enrolled = hq.EnrollKiosk(kiosk_id, config, dir / "state");
  ASSERT_EQ(enrolled.exit_code, 0) << enrolled.err;
}

// A shopper signs up at `agent` and the clerk there redeems the voucher: its token and its key.
struct Voucher {
  std::string token;
  std::string key;
};
Voucher SignUpAndRedeem(const RunningAgent& agent, const std::string& kiosk_id,
                        const std::string& phone_number) {
  Phone phone(agent.port(), "en");
  const auto signed_up = phone.SignUp("EL3-POSTER-V2", "Wei Zhang", phone_number);
  EXPECT_EQ(signed_up.status, 200);
  Voucher voucher;
  voucher.token = testing::IssuedVoucherToken(signed_up.body);
  const auto issued = ReadEvents(agent.state_dir(), "voucher_issued");
  EXPECT_FALSE(issued.empty());
  if (issued.empty()) return voucher;
  voucher.key = StrCat(kiosk_id, "/", std::string(issued.back().payload.at("voucher").as_string()));
  Clerk clerk(agent.port(), "demo", agent.demo_pin());
  EXPECT_TRUE(clerk.logged_in());
  EXPECT_EQ(clerk.Redeem(voucher.token).at("outcome"), "redeemed");
  return voucher;
}

// The redeemed vouchers the agent holds, as its keeper saved them (whole, in hq-redeemed.db).
RedeemedVouchers SavedRedeemed(const RunningAgent& agent) {
  auto store = RedeemedListStore::Open(agent.state_dir() / "hq-redeemed.db");
  if (!store) return {};
  auto list = (*store)->Load(0);
  return list ? *list : RedeemedVouchers{};
}

bool Holds(const RedeemedVouchers& redeemed, const std::string& key) {
  return std::any_of(redeemed.vouchers.begin(), redeemed.vouchers.end(),
                     [&key](const RedeemedVoucher& voucher) { return voucher.key == key; });
}

// dir_ holds HQ's config for this test's backend.
class FleetVoucherSyncTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(storage_.ok()) << storage_.error();
    hq_config_ = dir_.Write("profile-store.toml", storage_.ConfigToml());
  }

  TempDir dir_;
  testing::HqDatabase storage_{GetParam(), dir_.path() / "hq"};
  std::filesystem::path hq_config_;
};

TEST_P(FleetVoucherSyncTest, ARedemptionReachesTheOtherKiosksAsNewsOnly) {
  RunningProfileStore hq(dir_.path() / "hq", 0, hq_config_);
  ASSERT_NE(hq.port(), 0);
  ASSERT_NO_FATAL_FAILURE(Enroll(hq, dir_.path() / "a", "kiosk-fleet-a"));
  ASSERT_NO_FATAL_FAILURE(Enroll(hq, dir_.path() / "b", "kiosk-fleet-b"));
  RunningAgent a(dir_.path() / "a", VoucherAgentConfig("kiosk-fleet-a"));
  RunningAgent b(dir_.path() / "b", VoucherAgentConfig("kiosk-fleet-b"));
  ASSERT_NE(a.port(), 0);
  ASSERT_NE(b.port(), 0);

  // Redeemed at A; once B holds HQ's list with it, B's counter refuses it.
  const Voucher first = SignUpAndRedeem(a, "kiosk-fleet-a", "13812345678");
  ASSERT_FALSE(first.key.empty());
  ASSERT_TRUE(Eventually([&] { return Holds(SavedRedeemed(b), first.key); }))
      << "kiosk B never learned of the redemption at A";
  ASSERT_TRUE(Eventually([&] { return CounterRefuses(b, first.token, "already_redeemed"); }));
  EXPECT_EQ(SavedRedeemed(b).through, 1);
  Clerk clerk_b(b.port(), "demo", b.demo_pin());
  ASSERT_TRUE(clerk_b.logged_in());
  const auto refused = clerk_b.Redeem(first.token);
  EXPECT_EQ(refused.at("outcome"), "refused");
  EXPECT_EQ(refused.at("reason"), "already_redeemed");

  // What HQ answers B's certificate, pulling as a kiosk would.
  const std::string ca = ReadSmallFile(hq.ca_file()).value();
  const testing::ClientIdentity b_identity{
      ReadSmallFile(b.state_dir() / "hq-client-cert.pem").value(),
      ReadSmallFile(b.state_dir() / "device-key.pem").value()};
  const auto pull = [&](const std::string& target, const std::string& features) {
    HttpClientRequest request{"GET", target, {}, ""};
    if (!features.empty()) request.headers.emplace_back("kiosk-sync-features", features);
    auto response = testing::HttpsOnce(hq.port(), ca, request, b_identity);
    EXPECT_TRUE(response) << response.error().message();
    return response ? *response : HttpClientResponse{};
  };
  const auto redeemed_json = [](const HttpClientResponse& response) {
    const auto json = boost::json::parse(response.body).as_object();
    return json.contains("redeemed")
               ? boost::json::serialize(json.at("redeemed"))
               : "redeemed_vouchers " + boost::json::serialize(json.at("redeemed_vouchers"));
  };
  const std::string features = "erasure,redeemed-delta";
  const std::string held_first =
      StrCat("/v1/sync/config?redeemed_through=1&redeemed_through_key=", UrlEncode(first.key));
  const std::string end_first = StrCat(R"({"through":1,"through_key":")", first.key, R"(",)");
  const auto news = pull(held_first, features);
  ASSERT_EQ(news.status, 200u) << news.body;
  EXPECT_EQ(redeemed_json(news), StrCat(end_first, R"("since":1,"vouchers":[]})"));
  const std::string whole_first =
      StrCat(end_first, R"("vouchers":[{"key":")", first.key, R"(","expires_at_s":)");
  const auto whole = pull("/v1/sync/config", features);
  ASSERT_EQ(whole.status, 200u) << whole.body;
  EXPECT_TRUE(redeemed_json(whole).starts_with(whole_first)) << redeemed_json(whole);
  // A position HQ gave another voucher (as after restoring an older backup): the whole list.
  const auto stale = pull(
      "/v1/sync/config?redeemed_through=1&redeemed_through_key=kiosk-fleet-a%2F0000000000000000",
      features);
  ASSERT_EQ(stale.status, 200u) << stale.body;
  EXPECT_TRUE(redeemed_json(stale).starts_with(whole_first)) << redeemed_json(stale);
  const auto older_kiosk = pull(held_first, "erasure");
  ASSERT_EQ(older_kiosk.status, 200u) << older_kiosk.body;
  EXPECT_EQ(redeemed_json(older_kiosk), StrCat("redeemed_vouchers [\"", first.key, "\"]"));
  for (const auto& [query, error] :
       {std::pair{"redeemed_through=one", "redeemed_through must be a whole number of at least 0"},
        std::pair{"redeemed_through=1", "redeemed_through_key must name the voucher at"}}) {
    const auto malformed = pull(StrCat("/v1/sync/config?", query), features);
    EXPECT_EQ(malformed.status, 400u) << query;
    EXPECT_NE(malformed.body.find(error), std::string::npos) << malformed.body;
  }

  // A second redemption at A reaches B as news, added to the list B holds.
  const Voucher second = SignUpAndRedeem(a, "kiosk-fleet-a", "13912345678");
  ASSERT_FALSE(second.key.empty());
  ASSERT_TRUE(Eventually([&] { return Holds(SavedRedeemed(b), second.key); }))
      << "kiosk B never learned of the second redemption";
  ASSERT_TRUE(Eventually([&] { return CounterRefuses(b, second.token, "already_redeemed"); }));
  const RedeemedVouchers held = SavedRedeemed(b);
  EXPECT_EQ(held.end(), (RedeemedPosition{2, second.key}));
  EXPECT_TRUE(Holds(held, first.key)) << "kept from before";
  EXPECT_EQ(clerk_b.Redeem(second.token).at("reason"), "already_redeemed");
  ASSERT_EQ(a.Stop(), 0);
  ASSERT_EQ(b.Stop(), 0);
}

// A store-scope voucher is on HQ's list too: once the bundle brings it, another kiosk of the same
// store refuses it (its own journal never saw the redemption), and the kiosk that redeemed it,
// refusing it by HQ's list now, still names the redemption it holds.
TEST_P(FleetVoucherSyncTest, AStoreVoucherRedeemedAtOneKioskIsRefusedAtAnotherOfTheStore) {
  RunningProfileStore hq(dir_.path() / "hq", 0, hq_config_);
  ASSERT_NE(hq.port(), 0);
  ASSERT_NO_FATAL_FAILURE(Enroll(hq, dir_.path() / "a", "kiosk-store-a"));
  ASSERT_NO_FATAL_FAILURE(Enroll(hq, dir_.path() / "b", "kiosk-store-b"));
  RunningAgent a(dir_.path() / "a", VoucherAgentConfig("kiosk-store-a", "store"));
  RunningAgent b(dir_.path() / "b", VoucherAgentConfig("kiosk-store-b", "store"));
  ASSERT_NE(a.port(), 0);
  ASSERT_NE(b.port(), 0);

  const Voucher voucher = SignUpAndRedeem(a, "kiosk-store-a", "13812345678");
  ASSERT_FALSE(voucher.key.empty());
  ASSERT_TRUE(Eventually([&] { return Holds(SavedRedeemed(b), voucher.key); }))
      << "kiosk B never learned of the redemption at A";
  ASSERT_TRUE(Eventually([&] { return CounterRefuses(b, voucher.token, "already_redeemed"); }));
  Clerk clerk_b(b.port(), "demo", b.demo_pin());
  ASSERT_TRUE(clerk_b.logged_in());
  const auto refused = clerk_b.Redeem(voucher.token);
  EXPECT_EQ(refused.at("outcome"), "refused");
  EXPECT_EQ(refused.at("reason"), "already_redeemed");

  ASSERT_TRUE(Eventually([&] { return Holds(SavedRedeemed(a), voucher.key); }));
  Clerk clerk_a(a.port(), "demo", a.demo_pin());
  ASSERT_TRUE(clerk_a.logged_in());
  const auto again = clerk_a.Redeem(voucher.token);
  EXPECT_EQ(again.at("reason"), "already_redeemed");
  const std::string lines = boost::json::serialize(again.at("lines"));
  EXPECT_NE(lines.find(R"(,"kiosk-store-a"])"), std::string::npos) << lines;
  EXPECT_NE(lines.find(R"(,"demo"])"), std::string::npos) << lines;
  ASSERT_EQ(a.Stop(), 0);
  ASSERT_EQ(b.Stop(), 0);
}

// More live fleet redemptions than a page holds: a kiosk that enrolls pulls the list page after
// page, each with the fleet's version, and HQ answers 304 only once the kiosk holds the end.
TEST_P(FleetVoucherSyncTest, AKioskThatEnrollsGetsALongListInPages) {
  RunningProfileStore hq(dir_.path() / "hq", 0, hq_config_);
  ASSERT_NE(hq.port(), 0);
  ASSERT_NO_FATAL_FAILURE(Enroll(hq, dir_.path() / "a", "kiosk-fleet-a"));
  const std::string ca = ReadSmallFile(hq.ca_file()).value();
  const testing::ClientIdentity a_identity{
      ReadSmallFile(dir_.path() / "a" / "state" / "hq-client-cert.pem").value(),
      ReadSmallFile(dir_.path() / "a" / "state" / "device-key.pem").value()};
  // Kiosk A's redemptions reach HQ as its batches would.
  constexpr std::int64_t kRedeemed = kRedeemedPagePositions + 10;
  const std::int64_t expires_s = UnixMs(SystemClock().WallNow()) / 1000 + 30 * 86'400;
  for (std::int64_t first = 1; first <= kRedeemed; first += kMaxBatchEvents) {
    std::vector<WireEvent> events;
    for (std::int64_t seq = first;
         seq < first + static_cast<std::int64_t>(kMaxBatchEvents) && seq <= kRedeemed; ++seq) {
      char voucher_id[17];
      std::snprintf(voucher_id, sizeof voucher_id, "%016llx", static_cast<unsigned long long>(seq));
      events.push_back(testing::Redemption("kiosk-x", voucher_id, "fleet", expires_s));
    }
    const std::string body =
        EncodeBatch(testing::MakeBatch("kiosk-fleet-a", "inc-a", first, std::move(events))).value();
    auto sent =
        testing::HttpsOnce(hq.port(), ca,
                           {"POST",
                            "/v1/sync/batch",
                            {{"content-type", "application/json"}, {"content-encoding", "gzip"}},
                            body},
                           a_identity);
    ASSERT_TRUE(sent) << sent.error().message();
    ASSERT_EQ(sent->status, 200u) << sent->body;
  }

  // Pulling as kiosk A would (with redeemed-delta), from holding nothing.
  const auto pull = [&](const RedeemedPosition& held, const std::string& etag) {
    HttpClientRequest request{"GET", "/v1/sync/config", {}, ""};
    request.headers.emplace_back("kiosk-sync-features", "erasure,redeemed-delta");
    if (held.through > 0) {
      request.target += StrCat("?redeemed_through=", held.through,
                               "&redeemed_through_key=", UrlEncode(held.through_key));
    }
    if (!etag.empty()) request.headers.emplace_back("if-none-match", etag);
    auto response = testing::HttpsOnce(hq.port(), ca, request, a_identity);
    EXPECT_TRUE(response) << response.error().message();
    return response ? *response : HttpClientResponse{};
  };
  const auto first_page = pull({}, "");
  ASSERT_EQ(first_page.status, 200u) << first_page.body.substr(0, 300);
  const ConfigBundle page_1 = DecodeConfigBundle(first_page.body).value();
  EXPECT_EQ(page_1.redeemed.through, kRedeemedPagePositions);
  EXPECT_TRUE(page_1.redeemed.more);
  EXPECT_EQ(page_1.redeemed.vouchers.size(), static_cast<std::size_t>(kRedeemedPagePositions));
  const std::string etag = ConfigBundleEtag(page_1.version);
  const auto second_page = pull(page_1.redeemed.end(), etag);
  ASSERT_EQ(second_page.status, 200u) << "the same version, but the kiosk is not at the end";
  const ConfigBundle page_2 = DecodeConfigBundle(second_page.body).value();
  EXPECT_EQ(page_2.version, page_1.version);
  EXPECT_EQ(page_2.redeemed.since, kRedeemedPagePositions);
  EXPECT_EQ(page_2.redeemed.through, kRedeemed);
  EXPECT_FALSE(page_2.redeemed.more);
  EXPECT_EQ(page_2.redeemed.vouchers.size(), 10u);
  EXPECT_EQ(pull(page_2.redeemed.end(), etag).status, 304u);

  // A kiosk-agent that enrolls now holds the whole list after its first pulls.
  ASSERT_NO_FATAL_FAILURE(Enroll(hq, dir_.path() / "b", "kiosk-fleet-b"));
  RunningAgent b(dir_.path() / "b", VoucherAgentConfig("kiosk-fleet-b"));
  ASSERT_NE(b.port(), 0);
  ASSERT_TRUE(Eventually([&] { return SavedRedeemed(b).through == kRedeemed; }))
      << "kiosk B holds the list through " << SavedRedeemed(b).through;
  const RedeemedVouchers held = SavedRedeemed(b);
  EXPECT_EQ(held.vouchers.size(), static_cast<std::size_t>(kRedeemed));
  EXPECT_FALSE(held.more);
  ASSERT_EQ(b.Stop(), 0);
}

// A stolen kiosk is revoked: another kiosk refuses its vouchers until HQ honours those whose
// issue it received before a time (profile-store honour-vouchers); then it redeems those, and
// refuses the later one as revoked.
TEST_P(FleetVoucherSyncTest, ARevokedKiosksEarlierVouchersAreHonouredOnceHqSaysSo) {
  RunningProfileStore hq(dir_.path() / "hq", 0, hq_config_);
  ASSERT_NE(hq.port(), 0);
  ASSERT_NO_FATAL_FAILURE(Enroll(hq, dir_.path() / "a", "kiosk-stolen"));
  ASSERT_NO_FATAL_FAILURE(Enroll(hq, dir_.path() / "b", "kiosk-counter"));
  RunningAgent stolen(dir_.path() / "a", VoucherAgentConfig("kiosk-stolen"));
  RunningAgent counter(dir_.path() / "b", VoucherAgentConfig("kiosk-counter"));
  ASSERT_NE(stolen.port(), 0);
  ASSERT_NE(counter.port(), 0);
  const auto sign_up = [&stolen](const std::string& phone_number) {
    Phone phone(stolen.port(), "en");
    const auto signed_up = phone.SignUp("EL3-POSTER-V2", "Wei Zhang", phone_number);
    EXPECT_EQ(signed_up.status, 200);
    return testing::IssuedVoucherToken(signed_up.body);
  };
  const auto issues_at_hq = [this] {
    auto rows = storage_.Rows(
        "SELECT count(*) FROM vouchers WHERE signer = 'kiosk-stolen' AND issued_seq IS NOT NULL",
        {}, 1);
    return rows && rows->size() == 1 ? (*rows)[0][0] : std::string("?");
  };

  // One voucher reaches HQ before the time the operator will name, one after it.
  const std::string early = sign_up("13812345678");
  ASSERT_FALSE(early.empty());
  ASSERT_TRUE(Eventually([&] { return issues_at_hq() == "1"; }));
  const std::int64_t trusted_until_ms = UnixMs(SystemClock().WallNow()) + 1;
  ASSERT_TRUE(Eventually([&] { return UnixMs(SystemClock().WallNow()) > trusted_until_ms; }));
  const std::string late = sign_up("13900001111");
  ASSERT_FALSE(late.empty());
  ASSERT_TRUE(Eventually([&] { return issues_at_hq() == "2"; }));
  ASSERT_EQ(stolen.Stop(), 0);

  ASSERT_EQ(hq.Revoke("kiosk-stolen"), 0);
  ASSERT_TRUE(Eventually([&] { return CounterRefuses(counter, early, "unknown_signer"); }));

  const auto honour = [&hq](std::vector<std::string> words) {
    std::vector<std::string> argv = {PROFILE_STORE_BINARY, "honour-vouchers"};
    argv.insert(argv.end(), words.begin(), words.end());
    argv.insert(argv.end(), {"--state-dir", hq.state_dir().string()});
    return testing::RunProgram(hq.Command(argv));
  };
  const std::string when = FormatReportTime(trusted_until_ms, 0);
  EXPECT_EQ(honour({"kiosk-stolen"}).exit_code, 2);
  const auto not_a_time = honour({"kiosk-stolen", "--received-before", "last week"});
  EXPECT_EQ(not_a_time.exit_code, 2);
  EXPECT_NE(not_a_time.err.find("--received-before: not a time"), std::string::npos)
      << not_a_time.err;
  const auto not_revoked = honour({"kiosk-counter", "--received-before", when});
  EXPECT_EQ(not_revoked.exit_code, 1);
  EXPECT_NE(not_revoked.err.find("kiosk kiosk-counter is not revoked"), std::string::npos)
      << not_revoked.err;
  EXPECT_EQ(honour({"kiosk-unknown", "--received-before", when}).exit_code, 1);
  const auto cutoff_at_hq = [this] {
    auto rows = storage_.Rows(
        "SELECT coalesce(CAST(honour_received_before_ms AS TEXT), 'none') FROM kiosks "
        "WHERE kiosk_id = 'kiosk-stolen'",
        {}, 1);
    return rows && rows->size() == 1 ? (*rows)[0][0] : std::string("?");
  };
  // Where the time falls: after the early issue, before the late one.
  const std::string boundary =
      StrCat("its unexpired vouchers' issues: 1 received before ", when, ", the last at ");
  const auto dry_run = honour({"kiosk-stolen", "--received-before", when, "--dry-run"});
  ASSERT_EQ(dry_run.exit_code, 0) << dry_run.err;
  EXPECT_EQ(
      dry_run.out.find(StrCat("kiosk kiosk-stolen: the vouchers whose issue HQ received before ",
                              when, " would be honoured (--dry-run: nothing changed)\n", boundary)),
      0u)
      << dry_run.out;
  EXPECT_NE(dry_run.out.find("; 1 received from then on, the first at "), std::string::npos)
      << dry_run.out;
  EXPECT_EQ(cutoff_at_hq(), "none") << "a dry run stores nothing";
  const auto misplaced =
      testing::RunProgram(hq.Command({PROFILE_STORE_BINARY, "revoke-kiosk", "kiosk-counter",
                                      "--dry-run", "--state-dir", hq.state_dir().string()}));
  EXPECT_EQ(misplaced.exit_code, 2);
  EXPECT_EQ(misplaced.err, "profile-store: --dry-run applies to honour-vouchers only\n");
  const auto honoured = honour({"kiosk-stolen", "--received-before", when});
  ASSERT_EQ(honoured.exit_code, 0) << honoured.err;
  EXPECT_NE(honoured.out.find("kiosk kiosk-stolen: 1 unexpired vouchers"), std::string::npos)
      << honoured.out;
  EXPECT_NE(honoured.out.find(StrCat("config pull\n", boundary)), std::string::npos)
      << honoured.out;
  EXPECT_EQ(cutoff_at_hq(), std::to_string(trusted_until_ms));

  // The later voucher turns from "unknown issuer" to "revoked" once the bundle arrives.
  ASSERT_TRUE(Eventually([&] { return CounterRefuses(counter, late, "revoked"); }));
  Clerk clerk(counter.port(), "demo", counter.demo_pin());
  ASSERT_TRUE(clerk.logged_in());
  EXPECT_EQ(clerk.Redeem(early).at("outcome"), "redeemed");
  const auto refused = clerk.Redeem(late);
  EXPECT_EQ(refused.at("outcome"), "refused");
  EXPECT_EQ(refused.at("reason"), "revoked");

  // Only kiosks announcing the feature get the list (older ones refuse unknown members).
  const std::string ca = ReadSmallFile(hq.ca_file()).value();
  const testing::ClientIdentity identity{
      ReadSmallFile(counter.state_dir() / "hq-client-cert.pem").value(),
      ReadSmallFile(counter.state_dir() / "device-key.pem").value()};
  const auto pull = [&](const std::string& target, const std::string& features) {
    HttpClientRequest request{"GET", target, {{"kiosk-sync-features", features}}, ""};
    auto pulled = testing::HttpsOnce(hq.port(), ca, request, identity);
    EXPECT_TRUE(pulled) << pulled.error().message();
    return pulled ? *pulled : HttpClientResponse{};
  };
  const auto older = pull("/v1/sync/config", "erasure,redeemed-delta");
  ASSERT_EQ(older.status, 200u) << older.body;
  EXPECT_FALSE(boost::json::parse(older.body).as_object().contains("honoured_vouchers"));
  EXPECT_FALSE(boost::json::parse(older.body).as_object().contains("honoured_digest"));
  const auto whole = pull("/v1/sync/config", "erasure,honoured-vouchers");
  ASSERT_EQ(whole.status, 200u) << whole.body;
  const auto whole_json = boost::json::parse(whole.body).as_object();
  ASSERT_TRUE(whole_json.contains("honoured_vouchers")) << whole.body;
  const std::string digest(whole_json.at("honoured_digest").as_string());
  // Naming the list it holds, a kiosk gets the digest alone.
  const auto held =
      pull(StrCat("/v1/sync/config?honoured_digest=", digest), "erasure,honoured-vouchers");
  ASSERT_EQ(held.status, 200u) << held.body;
  const auto held_json = boost::json::parse(held.body).as_object();
  EXPECT_FALSE(held_json.contains("honoured_vouchers")) << held.body;
  EXPECT_EQ(held_json.at("honoured_digest").as_string(), digest);
  EXPECT_EQ(pull("/v1/sync/config?honoured_digest=abc", "erasure,honoured-vouchers").status, 400u);

  // The redemption gives the fleet a new bundle, which the counter gets with the digest alone:
  // it keeps honouring the list it holds.
  auto issued = storage_.Rows(
      "SELECT voucher_key FROM vouchers WHERE signer = 'kiosk-stolen' ORDER BY issued_seq", {}, 1);
  ASSERT_TRUE(issued && !issued->empty());
  const std::string early_key = (*issued)[0][0];
  ASSERT_TRUE(Eventually([&] { return Holds(SavedRedeemed(counter), early_key); }));
  EXPECT_TRUE(CounterRefuses(counter, late, "revoked"));
  EXPECT_TRUE(CounterRefuses(counter, early, "already_redeemed"));
  ASSERT_EQ(counter.Stop(), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, FleetVoucherSyncTest, testing::BothBackends(),
                         testing::BackendName);

}  // namespace
}  // namespace kiosk_edge
