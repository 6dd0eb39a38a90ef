// GET /v1/kiosks/health: what ReadKioskHealth and KioskHealthJson make of a store's registry and
// streams, on both storage backends (PostgreSQL in the throwaway cluster these tests FAIL
// without), and the endpoint and the dashboard's files through a real profile-store process.

#include "sync/profile_store/kiosk_health.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <memory>
#include <string>

#include "common/clock.hpp"
#include "common/crypto.hpp"
#include "common/fake_clock.hpp"
#include "common/files.hpp"
#include "common/strings.hpp"
#include "support/hq_api_server.hpp"
#include "support/postgres_cluster.hpp"
#include "support/running_profile_store.hpp"
#include "support/temp_dir.hpp"
#include "support/test_stores.hpp"
#include "sync/attribution_dataset.hpp"
#include "sync/attribution_hq_test.hpp"
#include "sync/profile_store/hq_api_client.hpp"
#include "sync/profile_store/hq_api_tokens.hpp"
#include "sync/profile_store/postgres_store.hpp"
#include "sync/profile_store/sqlite_store.hpp"
#include "sync/store_test_events.hpp"

namespace kiosk_edge {
namespace {

// What the attention says of a sync certificate near or past its end.
constexpr char kNotRenewed[] =
    ": not renewed by the kiosk (kioskctl status there says why); once expired, enroll the kiosk "
    "again";

using namespace std::chrono_literals;
using testing::kExpires;
using testing::kT0;
using testing::MakeBatch;
using testing::MakeEvent;
using testing::Redemption;
using testing::Scan;
using testing::ScanBatch;
using testing::VoucherIssued;

using testing::Backend;

// clock_ starts at kT0, 2027-01-15T08:00:00Z.
class KioskHealthTest : public testing::StoreSuite {
 protected:
  // `member` of the first kiosk's entry in the health JSON, serialised ("" when there is none).
  std::string FirstKioskMember(std::string_view member) {
    auto kiosks = ReadKioskHealth(*store_);
    EXPECT_TRUE(kiosks) << kiosks.error().message();
    if (!kiosks || kiosks->empty()) return "";
    const boost::json::value json = boost::json::parse(KioskHealthJson(*kiosks, NowMs(), rules_));
    const boost::json::value* found = json.at("kiosks").at(0).as_object().if_contains(member);
    return found == nullptr ? "" : boost::json::serialize(*found);
  }

  std::int64_t NowMs() const { return UnixMs(clock_.WallNow()); }

  KioskHealthRules rules_;  // silent after 60 minutes
};

TEST_P(KioskHealthTest, AnEmptyStoreHasNoKiosks) {
  auto kiosks = ReadKioskHealth(*store_);
  ASSERT_TRUE(kiosks) << kiosks.error().message();
  EXPECT_EQ(KioskHealthJson(*kiosks, NowMs(), rules_),
            R"({"generated_at":"2027-01-15T08:00:00Z","kiosks":[]})");
}

TEST_P(KioskHealthTest, ReportsLastSyncGapsDeadLettersConflictsAndTheRegistry) {
  ASSERT_TRUE(store_->RegisterKiosk({"kiosk-a", "01AB", "", std::nullopt}));
  ASSERT_TRUE(store_->RegisterKiosk({"kiosk-c", "02CD", "", std::nullopt}));
  ASSERT_TRUE(store_->RevokeKiosk("kiosk-c"));
  const std::string voucher = "00112233aabbccdd";
  // kiosk-a at 08:00: a voucher issued and redeemed, and one event HQ cannot read.
  Ingest(MakeBatch("kiosk-a", "inc-a", 1,
                   {VoucherIssued(voucher, "fleet", kExpires), MakeEvent("scan", "[1,2]"),
                    Redemption("kiosk-a", voucher, "fleet", kExpires, kT0 + 10)}));
  // kiosk-b at 09:00: the same voucher redeemed again (a conflict for both kiosks), and a batch
  // that skips seqs 2..4.
  clock_.Advance(1h);
  Ingest(MakeBatch("kiosk-b", "inc-b", 1, {Redemption("kiosk-a", voucher, "fleet", kExpires)}));
  Ingest(MakeBatch("kiosk-b", "inc-b", 5,
                   {Scan(testing::Device('1'), kT0 + 1), Scan(testing::Device('2'), kT0 + 2)}));
  clock_.Advance(30min);
  // At 09:30 an instance refuses kiosk-a's batches until 11:30: that note replaces the one
  // before. kiosk-b is in no registry, so nothing is noted of it.
  ASSERT_TRUE(store_->NoteEventsRefused("kiosk-a", NowMs(), NowMs() + 3 * 3'600'000));
  ASSERT_TRUE(store_->NoteEventsRefused("kiosk-a", NowMs(), NowMs() + 2 * 3'600'000));
  ASSERT_TRUE(store_->NoteEventsRefused("kiosk-b", NowMs(), NowMs() + 3'600'000));

  auto kiosks = ReadKioskHealth(*store_);
  ASSERT_TRUE(kiosks) << kiosks.error().message();
  EXPECT_EQ(KioskHealthJson(*kiosks, NowMs(), rules_),
            R"({"generated_at":"2027-01-15T09:30:00Z","kiosks":[)"
            R"({"kiosk_id":"kiosk-a","enrolled":true,"revoked":false,"revoked_at":null,)"
            R"("honours_vouchers_received_before":null,"incarnation":"inc-a",)"
            R"("high_water":3,"max_seq":3,"last_sync_at":"2027-01-15T08:00:00Z",)"
            R"("seconds_since_sync":5400,"gaps":[],"missing_events":0,"dead_letters":1,)"
            R"("voucher_conflicts":1,"backlog":null,)"
            R"("events_refused_until":"2027-01-15T11:30:00Z","https_certificate_not_after":null,)"
            R"("https_certificate_seconds_left":null,"client_certificate_not_after":null,)"
            R"("client_certificate_seconds_left":null,"last_contact_at":"2027-01-15T08:00:00Z",)"
            R"("seconds_since_contact":5400,"clock_offset_seconds":null,)"
            R"("attention":["1 dead letter","1 voucher conflict",)"
            R"("sent its events of the day: HQ refuses its batches for 2 h )"
            R"x(([server] kiosk_events_per_day)","no contact with HQ for 90 min"]},)x"
            R"({"kiosk_id":"kiosk-b","enrolled":false,"revoked":false,"revoked_at":null,)"
            R"("honours_vouchers_received_before":null,"incarnation":"inc-b",)"
            R"("high_water":1,"max_seq":6,"last_sync_at":"2027-01-15T09:00:00Z",)"
            R"("seconds_since_sync":1800,"gaps":[{"from_seq":2,"to_seq":4,)"
            R"("detected_at":"2027-01-15T09:00:00Z"}],"missing_events":3,"dead_letters":0,)"
            R"("voucher_conflicts":1,"backlog":null,"events_refused_until":null,)"
            R"("https_certificate_not_after":null,)"
            R"("https_certificate_seconds_left":null,"client_certificate_not_after":null,)"
            R"("client_certificate_seconds_left":null,"last_contact_at":"2027-01-15T09:00:00Z",)"
            R"("seconds_since_contact":1800,"clock_offset_seconds":null,)"
            R"("attention":["3 events missing","1 voucher conflict"]},)"
            R"({"kiosk_id":"kiosk-c","enrolled":true,"revoked":true,)"
            R"("revoked_at":"2027-01-15T08:00:00Z","honours_vouchers_received_before":null,)"
            R"("incarnation":null,)"
            R"("high_water":0,"max_seq":0,"last_sync_at":null,"seconds_since_sync":null,)"
            R"("gaps":[],"missing_events":0,"dead_letters":0,"voucher_conflicts":0,)"
            R"("backlog":null,"events_refused_until":null,"https_certificate_not_after":null,)"
            R"("https_certificate_seconds_left":null,"client_certificate_not_after":null,)"
            R"("client_certificate_seconds_left":null,"last_contact_at":null,)"
            R"("seconds_since_contact":null,"clock_offset_seconds":null,"attention":[]}]})");
}

// The backlog is what the kiosk's journal held beyond HQ's high-water mark as its latest batch
// left; a batch without the report keeps the last one.
TEST_P(KioskHealthTest, TheBacklogIsTheJournalBeyondTheHighWaterMarkAtTheLatestBatch) {
  const auto backlog = [this] { return FirstKioskMember("backlog"); };
  EventBatch first = ScanBatch("kiosk-a", "inc-a", 1, 100);
  first.journal_last_seq = 250;
  Ingest(first);
  EXPECT_EQ(backlog(), "150");
  Ingest(ScanBatch("kiosk-a", "inc-a", 101, 100));  // an older kiosk: no report
  EXPECT_EQ(backlog(), "50");
  EventBatch last = ScanBatch("kiosk-a", "inc-a", 201, 50);
  last.journal_last_seq = 250;
  Ingest(last);
  EXPECT_EQ(backlog(), "0");
}

// The phones' and the client certificate's ends are those the kiosk's latest batch came with: a
// batch without them (no [https], or an older kiosk; a store fed without TLS) clears them. The
// time left counts from HQ's clock.
TEST_P(KioskHealthTest, CertificateEndsAreThoseOfTheLatestBatch) {
  const auto ends = [this] {
    return StrCat(FirstKioskMember("https_certificate_not_after"), " ",
                  FirstKioskMember("https_certificate_seconds_left"), " ",
                  FirstKioskMember("client_certificate_not_after"), " ",
                  FirstKioskMember("client_certificate_seconds_left"));
  };
  const std::int64_t in_20_days = NowMs() + 20LL * 86'400'000;
  const std::int64_t in_825_days = NowMs() + 825LL * 86'400'000;
  EventBatch first = ScanBatch("kiosk-a", "inc-a", 1, 10);
  first.https_not_after_ms = in_20_days;
  first.client_certificate_not_after_ms = in_825_days;
  Ingest(first);
  EXPECT_EQ(ends(), R"("2027-02-04T08:00:00Z" 1728000 "2029-04-19T08:00:00Z" 71280000)");

  clock_.Advance(21 * 24h);
  EventBatch later = ScanBatch("kiosk-a", "inc-a", 11, 10);
  later.https_not_after_ms = in_20_days;
  later.client_certificate_not_after_ms = in_825_days;
  Ingest(later);
  EXPECT_EQ(ends(), R"("2027-02-04T08:00:00Z" -86400 "2029-04-19T08:00:00Z" 69465600)");

  Ingest(ScanBatch("kiosk-a", "inc-a", 21, 10));
  EXPECT_EQ(ends(), "null null null null");
}

// A certificate asks for attention from kPhonesCertificateWarning (14 days) or
// kClientCertificateWarning (30 days) before its end, and after it.
TEST_P(KioskHealthTest, CertificatesNeedAttentionBeforeTheyEnd) {
  std::int64_t seq = 0;
  const auto attention_with = [this, &seq](std::int64_t https_days, std::int64_t client_days) {
    EventBatch batch = ScanBatch("kiosk-a", "inc-a", ++seq, 1);
    batch.https_not_after_ms = NowMs() + https_days * 86'400'000 + 1000;
    batch.client_certificate_not_after_ms = NowMs() + client_days * 86'400'000 + 1000;
    Ingest(batch);
    return FirstKioskMember("attention");
  };
  EXPECT_EQ(attention_with(14, 30), "[]");
  EXPECT_EQ(attention_with(13, 30), R"(["the phones' certificate expires in 13 d"])");
  EXPECT_EQ(attention_with(14, 29),
            StrCat(R"(["the sync certificate expires in 29 d)", kNotRenewed, R"("])"));
  EXPECT_EQ(attention_with(-1, -1),
            StrCat(R"(["the phones' certificate has expired",)",
                   R"("the sync certificate has expired)", kNotRenewed, R"("])"));
}

// HQ accepts only the client certificate it issued last, so that one's end is the kiosk's, from
// its enrollment on and whatever an older batch reported.
TEST_P(KioskHealthTest, TheSyncCertificateIsTheOneHqIssuedLast) {
  const auto attention = [this] { return FirstKioskMember("attention"); };
  const std::int64_t day_ms = 86'400'000;
  ASSERT_TRUE(store_->RegisterKiosk({"kiosk-a", "01AB", "", NowMs() + 20 * day_ms}));
  EXPECT_EQ(FirstKioskMember("client_certificate_not_after"), R"("2027-02-04T08:00:00Z")");
  EXPECT_EQ(attention(), StrCat(R"(["the sync certificate expires in 20 d)", kNotRenewed, R"("])"));
  EventBatch batch = MakeBatch("kiosk-a", "inc-a", 1, {Scan(testing::Device('1'), kT0)});
  batch.client_certificate_not_after_ms = NowMs() + 5 * day_ms;  // an older certificate
  Ingest(batch);
  EXPECT_EQ(FirstKioskMember("client_certificate_seconds_left"), std::to_string(20 * 86'400));

  ASSERT_TRUE(store_->RegisterKiosk({"kiosk-a", "01AC", "", NowMs() + 825 * day_ms}));  // again
  EXPECT_EQ(attention(), "[]") << "renewed: no batch needed to show it";
  auto kiosks = ReadKioskHealth(*store_);
  ASSERT_TRUE(kiosks) << kiosks.error().message();
  EXPECT_NE(KioskHealthTable(*kiosks, NowMs(), rules_).find("\t2029-04-19T08:00:00Z\tok\n"),
            std::string::npos)
      << KioskHealthTable(*kiosks, NowMs(), rules_);
}

// A kiosk that has not reached HQ for longer than silent_after needs attention: counted from its
// enrollment until it first does, then from its latest batch or config pull. A revoked kiosk
// cannot reach HQ and is not asked after.
TEST_P(KioskHealthTest, AKioskThatHasNotReachedHqForAnHourNeedsAttention) {
  const auto attention = [this] { return FirstKioskMember("attention"); };
  ASSERT_TRUE(store_->RegisterKiosk({"kiosk-a", "01AB", "", std::nullopt}));
  clock_.Advance(60min);
  EXPECT_EQ(attention(), "[]");
  clock_.Advance(1min);
  EXPECT_EQ(attention(), R"(["no contact with HQ since it enrolled 61 min ago"])");

  ASSERT_TRUE(store_->NoteContact("kiosk-a"));
  EXPECT_EQ(attention(), "[]");
  EXPECT_EQ(FirstKioskMember("seconds_since_contact"), "0");
  clock_.Advance(3h);
  EXPECT_EQ(attention(), R"(["no contact with HQ for 3 h"])");
  Ingest(ScanBatch("kiosk-a", "inc-a", 1, 1));  // a batch is contact too
  EXPECT_EQ(attention(), "[]");
  clock_.Advance(3h);
  rules_.silent_after = 4h;
  EXPECT_EQ(attention(), "[]");

  ASSERT_TRUE(store_->RevokeKiosk("kiosk-a"));
  clock_.Advance(24h);
  EXPECT_EQ(attention(), "[]");
}

// Config pulls come every minute: the registry keeps the contact to within kContactResolution
// instead of writing each time. A kiosk not in the registry has nowhere to keep it.
TEST_P(KioskHealthTest, ContactIsKeptToWithinItsResolution) {
  const auto contact = [this] { return FirstKioskMember("last_contact_at"); };
  ASSERT_TRUE(store_->RegisterKiosk({"kiosk-a", "01AB", "", std::nullopt}));
  EXPECT_EQ(contact(), "null");
  ASSERT_TRUE(store_->NoteContact("kiosk-a"));
  EXPECT_EQ(contact(), R"("2027-01-15T08:00:00Z")");
  clock_.Advance(StoreBackend::kContactResolution - 1s);
  ASSERT_TRUE(store_->NoteContact("kiosk-a"));
  EXPECT_EQ(contact(), R"("2027-01-15T08:00:00Z")");
  clock_.Advance(1s);
  ASSERT_TRUE(store_->NoteContact("kiosk-a"));
  EXPECT_EQ(contact(), R"("2027-01-15T08:02:00Z")");
  EXPECT_TRUE(store_->NoteContact("kiosk-unknown"));
  auto kiosks = store_->Kiosks();
  ASSERT_TRUE(kiosks) << kiosks.error().message();
  EXPECT_EQ(kiosks->size(), 1u);
}

// Each noted config pull records how far the kiosk's clock is off HQ's (kKioskClockHeader); 5 min
// or more needs attention, ahead or behind. A pull without it keeps what the last one said.
TEST_P(KioskHealthTest, AKioskClockFiveMinutesOffHqsNeedsAttention) {
  const auto offset_and_attention = [this] {
    return StrCat(FirstKioskMember("clock_offset_seconds"), " ", FirstKioskMember("attention"));
  };
  const auto pull = [this](std::optional<std::chrono::milliseconds> offset) {
    clock_.Advance(StoreBackend::kContactResolution);
    ASSERT_TRUE(store_->NoteContact(
        "kiosk-a", offset ? std::optional<std::int64_t>(offset->count()) : std::nullopt));
  };
  ASSERT_TRUE(store_->RegisterKiosk({"kiosk-a", "01AB", "", std::nullopt}));
  EXPECT_EQ(offset_and_attention(), "null []");
  pull(7min);
  EXPECT_EQ(offset_and_attention(), R"(420 ["the kiosk's clock is 7 min ahead of HQ's"])");
  pull(std::nullopt);
  EXPECT_EQ(offset_and_attention(), R"(420 ["the kiosk's clock is 7 min ahead of HQ's"])");
  pull(-6min - 30s);
  EXPECT_EQ(offset_and_attention(), R"(-390 ["the kiosk's clock is 6 min behind HQ's"])");
  pull(-5min);
  EXPECT_EQ(offset_and_attention(), R"(-300 ["the kiosk's clock is 5 min behind HQ's"])");
  pull(5min - 1ms);
  EXPECT_EQ(offset_and_attention(), "299 []");
  pull(1h);
  ASSERT_TRUE(store_->RevokeKiosk("kiosk-a"));
  EXPECT_EQ(offset_and_attention(), "3600 []") << "a revoked kiosk needs no one";
}

// A kiosk whose batches HQ refuses past its events of the day needs attention until the refusal
// ends, or until HQ stores a batch of it again (another instance, or that one restarted); once
// revoked, no one.
TEST_P(KioskHealthTest, AKioskRefusedPastItsEventsOfTheDayNeedsAttentionUntilThen) {
  const auto refused_and_attention = [this] {
    return StrCat(FirstKioskMember("events_refused_until"), " ", FirstKioskMember("attention"));
  };
  const std::string refused_for_50_min =
      R"x("2027-01-15T08:50:00Z" ["sent its events of the day: HQ refuses its batches for 50 min )x"
      R"x(([server] kiosk_events_per_day)"])x";
  ASSERT_TRUE(store_->RegisterKiosk({"kiosk-a", "01AB", "", std::nullopt}));
  Ingest(MakeBatch("kiosk-a", "inc-a", 1, {Scan(testing::Device('1'), kT0)}));
  EXPECT_EQ(refused_and_attention(), "null []");
  ASSERT_TRUE(store_->NoteEventsRefused("kiosk-a", NowMs(), NowMs() + 50 * 60'000));
  EXPECT_EQ(refused_and_attention(), refused_for_50_min) << "a batch at the same time is before";
  clock_.Advance(50min - 1ms);
  EXPECT_NE(refused_and_attention().find("refuses its batches for 0 s"), std::string::npos);
  clock_.Advance(1ms);
  EXPECT_EQ(refused_and_attention(), "null []") << "the refusal ended";

  clock_.Advance(10min);
  ASSERT_TRUE(store_->NoteEventsRefused("kiosk-a", NowMs(), NowMs() + 3'600'000));
  EXPECT_NE(refused_and_attention().find("refuses its batches for 60 min"), std::string::npos);
  clock_.Advance(1ms);
  Ingest(MakeBatch("kiosk-a", "inc-a", 2, {Scan(testing::Device('1'), kT0)}));
  EXPECT_EQ(refused_and_attention(), "null []") << "HQ stored a batch since";

  ASSERT_TRUE(store_->NoteEventsRefused("kiosk-a", NowMs(), NowMs() + 60'000));
  ASSERT_TRUE(store_->RevokeKiosk("kiosk-a"));
  EXPECT_EQ(refused_and_attention(), R"("2027-01-15T09:01:00.001Z" [])") << "a revoked kiosk";
}

// `profile-store kiosks` prints the same health, a line per kiosk.
TEST_P(KioskHealthTest, TheTableHasALinePerKioskWithWhatNeedsAttention) {
  ASSERT_TRUE(store_->RegisterKiosk({"kiosk-a", "01AB", "", std::nullopt}));
  ASSERT_TRUE(store_->RegisterKiosk({"kiosk-c", "02CD", std::string(32, '\x42'), std::nullopt}));
  ASSERT_TRUE(store_->RevokeKiosk("kiosk-c"));
  ASSERT_TRUE(store_->HonourVouchersOf("kiosk-c", kT0 - 3'600'000));
  EventBatch batch = MakeBatch("kiosk-b", "inc-b", 3, {Scan(testing::Device('1'), kT0)});
  batch.journal_last_seq = 10;
  batch.client_certificate_not_after_ms = NowMs() + 20LL * 86'400'000;
  Ingest(batch);
  clock_.Advance(90min);
  ASSERT_TRUE(store_->NoteContact("kiosk-a"));

  auto kiosks = ReadKioskHealth(*store_);
  ASSERT_TRUE(kiosks) << kiosks.error().message();
  EXPECT_EQ(
      KioskHealthTable(*kiosks, NowMs(), rules_),
      StrCat(
          "kiosk\tregistry\thonours_vouchers_received_before\tlast_contact\tlast_batch\t"
          "high_water\tbacklog\tmissing_events\tdead_letters\tvoucher_conflicts\t"
          "phones_certificate_ends\tsync_certificate_ends\tattention\n"
          "kiosk-a\tenrolled\t-\t2027-01-15T09:30:00Z\t-\t0\t-\t0\t0\t0\t-\t-\tok\n"
          "kiosk-b\tnot enrolled\t-\t2027-01-15T08:00:00Z\t2027-01-15T08:00:00Z\t0\t10\t2\t0\t"
          "0\t-\t2027-02-04T08:00:00Z\t2 events missing; no contact with HQ for 90 min; the sync "
          "certificate expires in 19 d",
          kNotRenewed,
          "\n"
          "kiosk-c\trevoked\t2027-01-15T07:00:00Z\t-\t-\t0\t-\t0\t0\t0\t-\t-\tok\n"));
}

INSTANTIATE_TEST_SUITE_P(Backends, KioskHealthTest, testing::BothBackends(), testing::BackendName);

// The endpoint and the dashboard's files, through a real profile-store holding the attribution
// dataset (two kiosks, no gaps, no conflicts).
class KioskHealthEndpointTest : public testing::AttributionHqTest {};

TEST_P(KioskHealthEndpointTest, AnswersEveryKioskWithAToken) {
  EXPECT_EQ(Get("/v1/kiosks/health", "").status, 401u);
  EXPECT_EQ(Get("/v1/kiosks/health?kiosk=kiosk-a", hq_.token).status, 400u);
  const HttpClientResponse response = Get("/v1/kiosks/health", hq_.token);
  ASSERT_EQ(response.status, 200u) << response.body;
  EXPECT_EQ(response.Header("cache-control"), "no-store");
  EXPECT_EQ(response.Header("x-content-type-options"), "nosniff");
  const auto kiosks = boost::json::parse(response.body).at("kiosks").as_array();
  ASSERT_EQ(kiosks.size(), 2u);
  EXPECT_EQ(kiosks[0].at("kiosk_id"), "kiosk-a");
  EXPECT_EQ(kiosks[0].at("high_water"), 24);  // the dataset's 24 events of kiosk-a
  EXPECT_EQ(kiosks[0].at("gaps").as_array().size(), 0u);
  EXPECT_EQ(kiosks[1].at("kiosk_id"), "kiosk-b");
  EXPECT_EQ(kiosks[1].at("enrolled"), false);
}

TEST_P(KioskHealthEndpointTest, ServesTheDashboardWithoutATokenUnderAStrictPolicy) {
  const HttpClientResponse page = Get("/dashboard", "");
  ASSERT_EQ(page.status, 200u);
  EXPECT_TRUE(page.Header("content-type").value_or("").starts_with("text/html"));
  EXPECT_EQ(page.Header("content-security-policy"),
            "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
            "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
  EXPECT_EQ(page.Header("x-content-type-options"), "nosniff");
  EXPECT_NE(page.body.find(R"(<script src="/dashboard/app.js" defer></script>)"),
            std::string::npos);
  EXPECT_EQ(page.body.find("<script>"), std::string::npos) << "no inline script";
  const HttpClientResponse script = Get("/dashboard/app.js", "");
  EXPECT_EQ(script.status, 200u);
  EXPECT_TRUE(script.Header("content-type").value_or("").starts_with("text/javascript"));
  EXPECT_EQ(Get("/dashboard/app.css", "").status, 200u);
  EXPECT_EQ(Get("/dashboard/other", "").status, 404u);
}

INSTANTIATE_TEST_SUITE_P(Backends, KioskHealthEndpointTest, testing::BothBackends(),
                         testing::BackendName);

}  // namespace
}  // namespace kiosk_edge
