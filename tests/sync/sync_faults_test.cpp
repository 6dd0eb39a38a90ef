// Issue 5's fault tests with real processes: a kiosk-agent enrolled with a profile-store, the
// network between them through a fault-injecting proxy, HQ's data on SQLite and on PostgreSQL.
// After each fault, HQ holds every event the kiosk journaled exactly once, with no gaps.
#include <gtest/gtest.h>
#include <poll.h>

#include <atomic>
#include <boost/json/parse.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <regex>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/clock.hpp"
#include "common/crypto.hpp"
#include "common/files.hpp"
#include "common/https_client.hpp"
#include "common/strings.hpp"
#include "common/tls_certs.hpp"
#include "support/eventually.hpp"
#include "support/fault_proxy.hpp"
#include "support/hq_database.hpp"
#include "support/http_client.hpp"
#include "support/http_test_client.hpp"
#include "support/https_once.hpp"
#include "support/running_agent.hpp"
#include "support/running_profile_store.hpp"
#include "support/temp_dir.hpp"
#include "sync/protocol/batch.hpp"

namespace kiosk_edge {
namespace {

using testing::Backend;
using testing::FaultProxy;
using testing::HqDatabase;
using testing::HttpExchange;
using testing::HttpTestClient;
using testing::RunCommand;
using testing::RunningAgent;
using testing::RunningProfileStore;
using testing::TempDir;

constexpr char kFaultKioskId[] = "kiosk-fault-1";
constexpr auto kSyncPatience = std::chrono::seconds(120);
// The scans a drain test journals while HQ is down: enough that the fault it injects after HQ's
// first acknowledgement lands mid-drain (each test checks that it did). Under AddressSanitizer
// the agent journals and drains several times slower: a third as many still keep the drain going,
// and each test takes 17-20 s instead of 52 s.
#if defined(__SANITIZE_ADDRESS__)
constexpr int kDrainScans = 10'000;
#else
constexpr int kDrainScans = 30'000;
#endif

// Retries at most 500 ms apart, so that a test does not wait out a long backoff after an outage;
// `sync_extra`: more lines of [sync].
std::string FastRetryAgentConfig(std::string_view sync_extra = "") {
  return StrCat("[kiosk]\nid = \"", kFaultKioskId,
                "\"\n[sync]\nbackoff_base_ms = 50\nbackoff_cap_ms = 500\n", sync_extra);
}

struct JournalFigures {
  std::int64_t last_seq = -1, synced_seq = -1;
  std::string incarnation;
};

JournalFigures Health(std::uint16_t port) {
  JournalFigures figures;
  const auto response = HttpExchange(port, "GET", "/healthz");
  boost::system::error_code error;
  const auto json = boost::json::parse(response.body, error);
  if (error || !json.is_object() || !json.as_object().contains("journal")) return figures;
  figures.last_seq = json.at("journal").at("last_seq").as_int64();
  figures.synced_seq = json.at("journal").at("synced_seq").as_int64();
  figures.incarnation = std::string(json.at("incarnation").as_string());
  return figures;
}

struct HqFigures {
  std::int64_t rows = 0, distinct_seqs = 0, min_seq = 0, max_seq = 0, gaps = 0;
};

// What HQ holds for the kiosk's incarnation, read from its database (all 0 when unreadable).
HqFigures HqHolds(const HqDatabase& hq, const std::string& incarnation) {
  auto rows = hq.Rows(
      "SELECT count(*), count(DISTINCT seq), coalesce(min(seq), 0), coalesce(max(seq), 0), "
      "(SELECT count(*) FROM gaps WHERE kiosk_id = $1 AND incarnation = $2) "
      "FROM events WHERE kiosk_id = $1 AND incarnation = $2",
      {kFaultKioskId, incarnation}, 5);
  EXPECT_TRUE(rows) << rows.error().message();
  if (!rows || rows->size() != 1) return {};
  const std::vector<std::string>& row = rows->front();
  return {std::stoll(row[0]), std::stoll(row[1]), std::stoll(row[2]), std::stoll(row[3]),
          std::stoll(row[4])};
}

// HQ holds events 1..last_seq of the journal exactly once, without gaps.
void ExpectEverythingAtHqOnce(const HqDatabase& hq, const JournalFigures& journal) {
  const HqFigures at_hq = HqHolds(hq, journal.incarnation);
  EXPECT_EQ(at_hq.rows, journal.last_seq);
  EXPECT_EQ(at_hq.distinct_seqs, journal.last_seq);
  EXPECT_EQ(at_hq.min_seq, 1);
  EXPECT_EQ(at_hq.max_seq, journal.last_seq);
  EXPECT_EQ(at_hq.gaps, 0);
}

// Polls the agent's /healthz (each poll counts the journal's rows) every 20 ms until `done`
// says so or kSyncPatience passes: another process's progress has no condition to wait on.
template <class Done>
bool PollHealth(std::uint16_t agent_port, Done done) {
  const auto deadline = std::chrono::steady_clock::now() + kSyncPatience;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done(Health(agent_port))) return true;
    ::poll(nullptr, 0, 20);  // the polling interval, so the polls do not load the agent
  }
  return false;
}

// Waits until the kiosk has everything acknowledged by HQ.
bool WaitUntilSynced(std::uint16_t agent_port) {
  return PollHealth(agent_port, [](const JournalFigures& figures) {
    return figures.last_seq > 0 && figures.synced_seq == figures.last_seq;
  });
}

// Waits until HQ acknowledged at least `seq` (an upload is under way).
bool WaitUntilSyncedPast(std::uint16_t agent_port, std::int64_t seq) {
  return PollHealth(agent_port,
                    [seq](const JournalFigures& figures) { return figures.synced_seq >= seq; });
}

// `count` scans of `path` from 16 kept-alive connections at once (so that the journal commits
// them in groups), each pipelining 50 requests at a time.
void SendScans(std::uint16_t port, const std::string& path, int count) {
  constexpr int kConnections = 16;
  std::atomic<int> failed{0};
  const auto scan_some = [&](int share) {
    HttpTestClient client(port);
    for (int sent = 0; sent < share;) {
      const int burst = std::min(50, share - sent);
      std::string requests;
      for (int i = 0; i < burst; ++i) {
        requests += "GET " + path + " HTTP/1.1\r\nHost: kiosk\r\nUser-Agent: test\r\n\r\n";
      }
      client.Send(requests);
      for (int i = 0; i < burst; ++i) {
        if (!client.ReadResponse()) ++failed;
      }
      sent += burst;
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < kConnections; ++i) {
    threads.emplace_back(scan_some, count / kConnections + (i < count % kConnections ? 1 : 0));
  }
  for (auto& thread : threads) thread.join();
  ASSERT_EQ(failed.load(), 0) << "scans without an answer";
}

// One HQ on the backend of the test's parameter, one kiosk enrolled through a fault proxy.
class SyncFaultTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(storage_.ok()) << storage_.error();
    hq_config_ = dir_.Write("profile-store.toml", storage_.ConfigToml());
    hq_ = std::make_unique<RunningProfileStore>(dir_.path() / "hq", 0, hq_config_);
    ASSERT_NE(hq_->port(), 0);
    proxy_ = std::make_unique<FaultProxy>(hq_->port());
    ASSERT_NE(proxy_->port(), 0);
    const auto config = dir_.Write("kioskctl.toml", FastRetryAgentConfig());
    const auto enrolled =
        hq_->EnrollKiosk(kFaultKioskId, config, dir_.path() / "state", proxy_->port());
    ASSERT_EQ(enrolled.exit_code, 0) << enrolled.err;
  }
  std::unique_ptr<RunningAgent> StartAgent(std::string_view sync_extra = "") {
    auto agent = std::make_unique<RunningAgent>(dir_.path(), FastRetryAgentConfig(sync_extra));
    EXPECT_NE(agent->port(), 0);
    return agent;
  }
  // An agent that journaled `scans` scans of `channel_id` while HQ was unreachable, and now
  // drains them: HQ has acknowledged its first batch. Null when it never did.
  std::unique_ptr<RunningAgent> StartDraining(const std::string& channel_id, int scans) {
    proxy_->SetDown(true);
    auto agent = StartAgent();
    SendScans(agent->port(), agent->ChannelPath(channel_id), scans);
    proxy_->SetDown(false);
    if (!WaitUntilSyncedPast(agent->port(), 1)) return nullptr;
    return agent;
  }
  // Starts profile-store again on its port, after the test stopped or killed it.
  void RestartHq() {
    const std::uint16_t port = hq_->port();
    hq_.reset();
    hq_ = std::make_unique<RunningProfileStore>(dir_.path() / "hq", port, hq_config_);
    ASSERT_EQ(hq_->port(), port);
  }

  // HQ's database restored from a backup taken after 300 scans on `agent`, once HQ acknowledged
  // 2,000 more: what the kiosk's journal holds, all acknowledged.
  JournalFigures RestoreHqFromABackupOf300Scans(const RunningAgent& agent) {
    SendScans(agent.port(), agent.ChannelPath("FLYER-NOV"), 300);
    EXPECT_TRUE(WaitUntilSynced(agent.port()));
    EXPECT_EQ(hq_->Stop(), 0);
    const std::filesystem::path backup = dir_.path() / "backup";
    std::filesystem::create_directory(backup);
    auto backed_up = storage_.Backup(backup);
    EXPECT_TRUE(backed_up) << backed_up.error().message();
    RestartHq();

    SendScans(agent.port(), agent.ChannelPath("FLYER-NOV"), 2000);
    EXPECT_TRUE(WaitUntilSynced(agent.port()));
    const JournalFigures acknowledged = Health(agent.port());
    EXPECT_EQ(HqHolds(storage_, acknowledged.incarnation).rows, acknowledged.last_seq);
    proxy_->SetDown(true);  // until the restore is measured: the kiosk could mend it at once
    EXPECT_EQ(hq_->Stop(), 0);
    auto restored_files = storage_.Restore(backup);
    EXPECT_TRUE(restored_files) << restored_files.error().message();
    RestartHq();
    const std::int64_t restored = HqHolds(storage_, acknowledged.incarnation).rows;
    EXPECT_GT(restored, 0);
    EXPECT_LE(restored + 2000, acknowledged.last_seq) << "the restore lost the later 2,000 scans";
    proxy_->SetDown(false);
    return acknowledged;
  }

  // What the enrolled kiosk talks to HQ with: HQ's CA, and its client certificate and key.
  struct KioskCredentials {
    std::string ca, cert, key;
  };
  KioskCredentials Credentials() const {
    const auto state = dir_.path() / "state";
    return {ReadSmallFile(hq_->ca_file()).value(),
            ReadSmallFile(state / "hq-client-cert.pem").value(),
            ReadSmallFile(state / "device-key.pem").value()};
  }

  TempDir dir_;
  HqDatabase storage_{GetParam(), dir_.path() / "hq"};
  std::filesystem::path hq_config_;
  std::unique_ptr<RunningProfileStore> hq_;
  std::unique_ptr<FaultProxy> proxy_;
};

TEST_P(SyncFaultTest, HqDownWhileTheKioskCaptures100000EventsThenBack) {
  proxy_->SetDown(true);
  auto agent = StartAgent();
  const std::string poster = agent->ChannelPath("EL3-POSTER-V2");
  SendScans(agent->port(), poster, 100'000);
  const JournalFigures offline = Health(agent->port());
  EXPECT_GE(offline.last_seq, 100'000);
  EXPECT_EQ(offline.synced_seq, 0) << "nothing is acknowledged while HQ is unreachable";
  EXPECT_EQ(HqHolds(storage_, offline.incarnation).rows, 0);

  proxy_->SetDown(false);
  ASSERT_TRUE(WaitUntilSynced(agent->port()));
  ExpectEverythingAtHqOnce(storage_, Health(agent->port()));
  EXPECT_EQ(agent->Stop(), 0);
}

TEST_P(SyncFaultTest, AnswersLostAfterHqCommittedAreResentAndStoredOnce) {
  auto agent = StartAgent();
  ASSERT_TRUE(WaitUntilSynced(agent->port()));  // the demo channels
  proxy_->CutNextAnswers(3, 4096);              // batches, not the handshake
  SendScans(agent->port(), agent->ChannelPath("FLYER-NOV"), 3000);
  ASSERT_TRUE(WaitUntilSynced(agent->port()));
  EXPECT_EQ(proxy_->answers_cut(), 3);
  ExpectEverythingAtHqOnce(storage_, Health(agent->port()));
  EXPECT_EQ(agent->Stop(), 0);
}

TEST_P(SyncFaultTest, HqKilledDuringTheDrainAndRestarted) {
  auto agent = StartDraining("EL3-POSTER-V2", kDrainScans);
  ASSERT_TRUE(agent) << "HQ never acknowledged a batch";
  hq_->Kill();  // mid-drain: the next batch is in flight or about to be
  const JournalFigures at_kill = Health(agent->port());
  EXPECT_LT(at_kill.synced_seq, at_kill.last_seq) << "the kill came after the drain";
  RestartHq();
  ASSERT_TRUE(WaitUntilSynced(agent->port()));
  ExpectEverythingAtHqOnce(storage_, Health(agent->port()));
  EXPECT_EQ(agent->Stop(), 0);
}

TEST_P(SyncFaultTest, KioskAgentKilledDuringUploadAndRestarted) {
  auto agent = StartDraining("LOBBY-POSTER-1", 10'000);
  ASSERT_TRUE(agent) << "HQ never acknowledged a batch";
  const JournalFigures journaled = Health(agent->port());
  agent->Kill();
  EXPECT_LT(HqHolds(storage_, journaled.incarnation).rows, journaled.last_seq)
      << "the kill came after the upload";
  agent = StartAgent();
  ASSERT_TRUE(WaitUntilSynced(agent->port()));
  ExpectEverythingAtHqOnce(storage_, Health(agent->port()));
  EXPECT_EQ(agent->Stop(), 0);
}

// PostgreSQL ends profile-store's sessions mid-drain, as a restart or failover of the database
// server does: the batches that fail are sent again, and HQ reconnects.
// HQ's GET /healthz status (0 when it did not answer).
unsigned HqHealth(const RunningProfileStore& hq) {
  const auto ca = ReadSmallFile(hq.ca_file());
  if (!ca) return 0;
  auto answer = testing::HttpsOnce(hq.port(), *ca, {"GET", "/healthz", {}, ""});
  return answer ? answer->status : 0;
}

class PostgresSyncFaultTest : public SyncFaultTest {
 protected:
  // HQ's database out of use while `fault(true)` holds, until `fault(false)`: HQ's /healthz says
  // so, and its log says why once, however often it is probed; the kiosk's sync fails. Once it
  // is back, HQ reconnects and every event arrives once.
  void DatabaseOutOfUseForAWhile(const std::function<Result<void>(bool)>& fault,
                                 std::string_view logged_reason) {
    auto agent = StartAgent();
    ASSERT_TRUE(WaitUntilSynced(agent->port()));  // the demo channels
    EXPECT_EQ(HqHealth(*hq_), 200u);
    auto on = fault(true);
    ASSERT_TRUE(on) << on.error().message();
    EXPECT_EQ(HqHealth(*hq_), 503u);
    EXPECT_EQ(HqHealth(*hq_), 503u) << "a second probe reconnects, and is refused";
    SendScans(agent->port(), agent->ChannelPath("FLYER-NOV"), 500);
    const auto failed = testing::Kioskctl(*agent, {"sync", "now", "--timeout-seconds", "5"});
    EXPECT_EQ(failed.exit_code, 1) << failed.out << failed.err;
    EXPECT_TRUE(failed.out.starts_with("sync failed: ")) << failed.out;

    auto off = fault(false);
    ASSERT_TRUE(off) << off.error().message();
    ASSERT_TRUE(WaitUntilSynced(agent->port()));
    EXPECT_EQ(HqHealth(*hq_), 200u);
    ExpectEverythingAtHqOnce(storage_, Health(agent->port()));
    EXPECT_EQ(agent->Stop(), 0);

    std::string log;
    EXPECT_EQ(hq_->Stop(&log), 0);
    std::vector<std::string> health_lines;
    std::istringstream lines(log);
    for (std::string line; std::getline(lines, line);) {
      if (line.find("health check: ") != std::string::npos) health_lines.push_back(line);
    }
    ASSERT_EQ(health_lines.size(), 2u) << log;
    EXPECT_NE(health_lines[0].find(logged_reason), std::string::npos) << health_lines[0];
    EXPECT_NE(health_lines[1].find("health check: ok again"), std::string::npos) << health_lines[1];
  }
};

TEST_P(PostgresSyncFaultTest, HqsDatabaseSessionsEndedDuringTheDrain) {
  auto agent = StartDraining("EL3-POSTER-V2", kDrainScans);
  ASSERT_TRUE(agent) << "HQ never acknowledged a batch";
  auto ended = storage_.EndPostgresSessions();
  ASSERT_TRUE(ended) << ended.error().message();
  EXPECT_GE(*ended, 1);
  const JournalFigures at_end = Health(agent->port());
  EXPECT_LT(at_end.synced_seq, at_end.last_seq) << "the sessions ended after the drain";
  ASSERT_TRUE(WaitUntilSynced(agent->port()));
  ExpectEverythingAtHqOnce(storage_, Health(agent->port()));
  EXPECT_EQ(agent->Stop(), 0);
}

// Two profile-store instances on one database behind a TCP load balancer (the proxy, taking
// turns), as docs/operations.md deploys them: answers lost after one instance committed make the
// kiosk send those batches again, through the other; then the instance serving the kiosk is
// killed mid-drain, and the kiosk goes on through the other.
TEST_P(PostgresSyncFaultTest, TwoHqInstancesOnOneDatabaseOneKilledDuringTheDrain) {
  std::filesystem::copy(dir_.path() / "hq", dir_.path() / "hq-2",
                        std::filesystem::copy_options::recursive);
  auto second = std::make_unique<RunningProfileStore>(dir_.path() / "hq-2", 0, hq_config_);
  ASSERT_NE(second->port(), 0);
  proxy_->SetTargets({hq_->port(), second->port()});
  proxy_->CutNextAnswers(3, 4096);  // batches, not the handshake

  auto agent = StartDraining("EL3-POSTER-V2", kDrainScans);
  ASSERT_TRUE(agent) << "HQ never acknowledged a batch";
  EXPECT_EQ(proxy_->answers_cut(), 3);
  EXPECT_GE(proxy_->ForwardedTo(hq_->port()), 2);
  EXPECT_GE(proxy_->ForwardedTo(second->port()), 2);

  const bool first_serves = proxy_->LatestTarget() == hq_->port();
  RunningProfileStore& serving = first_serves ? *hq_ : *second;
  const std::uint16_t survivor = first_serves ? second->port() : hq_->port();
  const int survivor_connections = proxy_->ForwardedTo(survivor);
  serving.Kill();
  const JournalFigures at_kill = Health(agent->port());
  EXPECT_LT(at_kill.synced_seq, at_kill.last_seq) << "the kill came after the drain";
  ASSERT_TRUE(WaitUntilSynced(agent->port()));
  ExpectEverythingAtHqOnce(storage_, Health(agent->port()));
  EXPECT_GT(proxy_->ForwardedTo(survivor), survivor_connections) << "the kiosk never failed over";
  EXPECT_EQ(agent->Stop(), 0);
}

// HQ's database server is stopped for a while: its connections end and new ones are refused.
TEST_P(PostgresSyncFaultTest, HqsDatabaseUnreachableForAWhile) {
  DatabaseOutOfUseForAWhile([this](bool down) { return storage_.SetPostgresDown(down); },
                            "not currently accepting connections");
}

// HQ's database takes no writes for a while, as after a failover that left HQ on a standby: HQ
// can still read it, yet /healthz answers 503, so that a load balancer sends kiosks elsewhere.
TEST_P(PostgresSyncFaultTest, HqsDatabaseReadOnlyForAWhile) {
  DatabaseOutOfUseForAWhile(
      [this](bool read_only) { return storage_.SetPostgresReadOnly(read_only); },
      "takes no writes");
}

// HQ's database restored from a backup taken before the kiosk's latest batches: the kiosk's next
// batch shows HQ what it lost, and the kiosk sends those events again from its journal.
TEST_P(SyncFaultTest, HqRestoredFromAnOlderBackupGetsTheLostEventsBack) {
  auto agent = StartAgent();
  const JournalFigures acknowledged = RestoreHqFromABackupOf300Scans(*agent);

  SendScans(agent->port(), agent->ChannelPath("FLYER-NOV"), 10);
  const std::int64_t last_seq = acknowledged.last_seq + 10;
  EXPECT_TRUE(testing::Eventually([&] {
    const HqFigures at_hq = HqHolds(storage_, acknowledged.incarnation);
    return at_hq.rows == last_seq && at_hq.gaps == 0;
  }));
  const JournalFigures journal = Health(agent->port());
  EXPECT_EQ(journal.last_seq, last_seq);
  ExpectEverythingAtHqOnce(storage_, journal);
  EXPECT_EQ(agent->Stop(), 0);
}

// The same restore, and no new event on the kiosk: its next config pull (every second here) shows
// it what HQ lost.
TEST_P(SyncFaultTest, HqRestoredFromAnOlderBackupGetsTheLostEventsBackFromAnIdleKiosk) {
  auto agent = StartAgent("config_interval_ms = 1000\n");
  ASSERT_NE(agent->port(), 0);
  const JournalFigures acknowledged = RestoreHqFromABackupOf300Scans(*agent);
  EXPECT_TRUE(testing::Eventually([&] {
    const HqFigures at_hq = HqHolds(storage_, acknowledged.incarnation);
    return at_hq.rows == acknowledged.last_seq && at_hq.gaps == 0;
  }));
  const JournalFigures journal = Health(agent->port());
  EXPECT_EQ(journal.last_seq, acknowledged.last_seq) << "no new event carried the news";
  ExpectEverythingAtHqOnce(storage_, journal);
  EXPECT_EQ(agent->Stop(), 0);
}

// ---- Who may sync ----

// One request to HQ with the given client certificate (none when empty) and `extra_headers`.
Result<HttpClientResponse> Post(
    std::uint16_t port, const std::string& ca_pem, const std::string& cert_pem,
    const std::string& key_pem, const std::string& body,
    std::vector<std::pair<std::string, std::string>> extra_headers = {}) {
  extra_headers.insert(extra_headers.begin(),
                       {{"content-type", "application/json"}, {"content-encoding", "gzip"}});
  return testing::HttpsOnce(port, ca_pem,
                            {"POST", "/v1/sync/batch", std::move(extra_headers), body},
                            {cert_pem, key_pem});
}

// A batch of `count` invalid scans from `first_seq` on.
std::string ScansBatch(const std::string& kiosk_id, std::int64_t first_seq, std::int64_t count) {
  EventBatch batch;
  batch.kiosk_id = kiosk_id;
  batch.incarnation = "test-incarnation";
  batch.first_seq = first_seq;
  batch.last_seq = first_seq + count - 1;
  for (std::int64_t seq = first_seq; seq <= batch.last_seq; ++seq) {
    batch.events.push_back(WireEvent{seq, "scan", 1'800'000'000'000, 1, "boot-a", std::nullopt, 1,
                                     R"({"valid":false,"reason":"test"})"});
  }
  return EncodeBatch(batch).value();
}

std::string OneEventBatch(const std::string& kiosk_id, std::int64_t seq = 1) {
  return ScansBatch(kiosk_id, seq, 1);
}

TEST_P(SyncFaultTest, OnlyEnrolledKiosksSyncAndOnlyTheirOwnEvents) {
  const auto [ca, cert, key] = Credentials();

  auto own = Post(hq_->port(), ca, cert, key, OneEventBatch(kFaultKioskId));
  ASSERT_TRUE(own) << own.error().message();
  EXPECT_EQ(own->status, 200u) << own->body;
  auto replay = Post(hq_->port(), ca, cert, key, OneEventBatch(kFaultKioskId));
  ASSERT_TRUE(replay);
  EXPECT_EQ(replay->body, own->body) << "the same batch twice: the same answer";
  EXPECT_EQ(DecodeAnswer(own->body).value().high_water, 1) << "committed (stored or dead letter)";

  auto other_kiosk = Post(hq_->port(), ca, cert, key, OneEventBatch("kiosk-someone-else"));
  ASSERT_TRUE(other_kiosk);
  EXPECT_EQ(other_kiosk->status, 403u);

  auto anonymous = Post(hq_->port(), ca, "", "", OneEventBatch(kFaultKioskId));
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 403u);
  EXPECT_EQ(HqHealth(*hq_), 200u) << "health takes no certificate";

  // A certificate for the same kiosk id from another CA: refused in the handshake.
  const auto rogue_ca = CreateCertificateAuthority("rogue CA", std::chrono::days(30)).value();
  const std::string rogue_key =
      Ed25519PrivateKeyToPem(GenerateEd25519KeyPair().value().private_key).value();
  const std::string rogue_cert =
      SignClientCertificate(rogue_ca, CreateCsr(rogue_key, kFaultKioskId).value(), kFaultKioskId, 7,
                            std::chrono::days(30))
          .value();
  auto rogue = Post(hq_->port(), ca, rogue_cert, rogue_key, OneEventBatch(kFaultKioskId));
  EXPECT_TRUE(!rogue || rogue->status == 403u);

  ASSERT_EQ(hq_->Revoke(kFaultKioskId), 0);
  // A running server picks revocations up within 10 s; a restarted one at once.
  ASSERT_EQ(hq_->Stop(), 0);
  RestartHq();
  auto revoked = Post(hq_->port(), ca, cert, key, OneEventBatch(kFaultKioskId));
  EXPECT_TRUE(!revoked || revoked->status == 403u);
}

// A kiosk sends one batch at a time. While one of its batches is being stored, HQ refuses another
// from the same kiosk (429, Retry-After), so that one kiosk cannot take every ingest thread; once
// the first is stored, the next is taken. The first is held in PostgreSQL by a lock on the
// kiosk's stream row.
TEST_P(PostgresSyncFaultTest, ASecondBatchFromAKioskWhileItsFirstIsBeingStoredIsRefused) {
  const auto [ca, cert, key] = Credentials();
  auto first = Post(hq_->port(), ca, cert, key, OneEventBatch(kFaultKioskId, 1));
  ASSERT_TRUE(first) << first.error().message();
  ASSERT_EQ(first->status, 200u) << first->body;

  auto holder = storage_.ConnectPostgres();
  ASSERT_TRUE(holder) << holder.error().message();
  ASSERT_TRUE(holder->Exec("BEGIN"));
  auto locked = holder->Query("SELECT 1 FROM streams WHERE kiosk_id = $1 FOR UPDATE",
                              PgParams{PgParam(kFaultKioskId)});
  ASSERT_TRUE(locked && locked->rows() == 1);

  Result<HttpClientResponse> held = Error(ErrorKind::kInternal, "not sent");
  std::thread sender(
      [&] { held = Post(hq_->port(), ca, cert, key, OneEventBatch(kFaultKioskId, 2)); });
  const bool waiting = testing::Eventually([&] {
    auto rows = storage_.Rows(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND wait_event_type = 'Lock'",
        {}, 1);
    return rows && rows->size() == 1 && rows->front()[0] == "1";
  });
  Result<HttpClientResponse> second = Error(ErrorKind::kInternal, "not sent");
  if (waiting) second = Post(hq_->port(), ca, cert, key, OneEventBatch(kFaultKioskId, 3));
  const Result<void> released = holder->Exec("ROLLBACK");
  sender.join();
  ASSERT_TRUE(released) << released.error().message();
  ASSERT_TRUE(waiting) << "HQ's ingest of the second batch never waited on the lock";

  ASSERT_TRUE(second) << second.error().message();
  EXPECT_EQ(second->status, 429u) << second->body;
  EXPECT_EQ(second->Header("retry-after"), "1");
  ASSERT_TRUE(held) << held.error().message();
  EXPECT_EQ(held->status, 200u) << held->body;
  EXPECT_EQ(DecodeAnswer(held->body).value().high_water, 2);
  auto after = Post(hq_->port(), ca, cert, key, OneEventBatch(kFaultKioskId, 3));
  ASSERT_TRUE(after) << after.error().message();
  EXPECT_EQ(after->status, 200u) << after->body;
  EXPECT_EQ(DecodeAnswer(after->body).value().high_water, 3);
}

// A kiosk sends at most [server] kiosk_events_per_day events a day: past it, HQ refuses its
// batches (429, Retry-After until its day ends) before storing anything, and the kiosk keeps the
// rest in its journal. HQ counts from the kiosk's first batch after it started.
TEST_P(SyncFaultTest, AKioskPastItsEventsOfTheDayIsRefusedUntilTheDayEnds) {
  const auto too_low = dir_.Write(
      "too-low.toml", StrCat(storage_.ConfigToml(), "[server]\nkiosk_events_per_day = 499\n"));
  const auto refused_config =
      testing::RunProgram({PROFILE_STORE_BINARY, "kiosks", "--config", too_low.string(),
                           "--state-dir", (dir_.path() / "hq").string()});
  EXPECT_EQ(refused_config.exit_code, 2);
  EXPECT_NE(refused_config.err.find("kiosk_events_per_day: must be 0 (no limit) or at least 500, "
                                    "the events of one batch"),
            std::string::npos)
      << refused_config.err;
  ASSERT_TRUE(WriteFileAtomically(
      hq_config_, StrCat(storage_.ConfigToml(), "[server]\nkiosk_events_per_day = 1000\n"), 0600));
  ASSERT_NO_FATAL_FAILURE(RestartHq());
  const auto agent = StartDraining("FLYER-NOV", 1200);  // batches of 500 from a backlog
  ASSERT_NE(agent, nullptr);
  ASSERT_TRUE(WaitUntilSyncedPast(agent->port(), 1000));

  const auto [ca, cert, key] = Credentials();
  auto refused = Post(hq_->port(), ca, cert, key, OneEventBatch(kFaultKioskId));
  ASSERT_TRUE(refused) << refused.error().message();
  EXPECT_EQ(refused->status, 429u) << refused->body;
  EXPECT_NE(refused->body.find("has sent as many events as HQ takes from a kiosk in a day"),
            std::string::npos)
      << refused->body;
  const std::int64_t retry_after =
      std::stoll(std::string(refused->Header("retry-after").value_or("0")));
  EXPECT_GT(retry_after, 86'400 - 600) << "the day began with the drain";
  EXPECT_LE(retry_after, 86'400);

  // The kiosk's status says why HQ refuses (its own retries meet the same answer).
  const std::string why = StrCat("last error: HQ is busy (429): {\"error\":\"kiosk ", kFaultKioskId,
                                 " has sent as many events as HQ takes from a kiosk in a day");
  const auto says_why = [&] {
    return Kioskctl(*agent, {"status"}).out.find(why) != std::string::npos;
  };
  EXPECT_TRUE(testing::Eventually(says_why)) << Kioskctl(*agent, {"status"}).out;

  // So does kiosk health, which any instance answers from the database.
  const auto kiosks_table = [this] {
    const auto kiosks =
        testing::RunProgram({PROFILE_STORE_BINARY, "kiosks", "--config", hq_config_.string(),
                             "--state-dir", (dir_.path() / "hq").string()});
    EXPECT_EQ(kiosks.exit_code, 0) << kiosks.err;
    return kiosks.out;
  };
  const std::string refusing =
      "sent its events of the day: HQ refuses its batches for 23 h ([server] kiosk_events_per_day)";
  EXPECT_NE(kiosks_table().find(refusing), std::string::npos) << kiosks_table();

  const JournalFigures journal = Health(agent->port());
  EXPECT_EQ(journal.synced_seq, 1000) << "two whole batches, then none";
  EXPECT_GT(journal.last_seq, 1200) << "the rest stays in the kiosk's journal";
  EXPECT_EQ(HqHolds(storage_, journal.incarnation).rows, 1000);

  // Another profile-store instance, or this one restarted, counts afresh: the rest arrives, and
  // kiosk health no longer says HQ refuses it.
  ASSERT_NO_FATAL_FAILURE(RestartHq());
  ASSERT_TRUE(WaitUntilSynced(agent->port()));
  ExpectEverythingAtHqOnce(storage_, Health(agent->port()));
  EXPECT_EQ(kiosks_table().find(refusing), std::string::npos) << kiosks_table();
}

// A batch HQ failed to store (its database down) does not count against the kiosk's events of
// the day: the kiosk sends it again, and is charged then.
TEST_P(PostgresSyncFaultTest, BatchesHqFailedToStoreAreNotCountedAgainstTheKiosksDay) {
  ASSERT_TRUE(WriteFileAtomically(
      hq_config_, StrCat(storage_.ConfigToml(), "[server]\nkiosk_events_per_day = 500\n"), 0600));
  ASSERT_NO_FATAL_FAILURE(RestartHq());
  const auto [ca, cert, key] = Credentials();
  const std::string day_of_events = ScansBatch(kFaultKioskId, 1, 500);
  auto down = storage_.SetPostgresDown(true);
  ASSERT_TRUE(down) << down.error().message();
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto failed = Post(hq_->port(), ca, cert, key, day_of_events);
    ASSERT_TRUE(failed) << failed.error().message();
    EXPECT_EQ(failed->status, 503u) << failed->body;
  }
  auto up = storage_.SetPostgresDown(false);
  ASSERT_TRUE(up) << up.error().message();
  // HQ's first call after the outage may still meet an ended session (503, refunded too).
  HttpClientResponse stored;
  EXPECT_TRUE(testing::Eventually([&] {
    auto sent = Post(hq_->port(), ca, cert, key, day_of_events);
    if (sent) stored = *sent;
    return sent && sent->status != 503u;
  }));
  ASSERT_EQ(stored.status, 200u) << stored.body;
  EXPECT_EQ(DecodeAnswer(stored.body).value().high_water, 500);
  auto over = Post(hq_->port(), ca, cert, key, OneEventBatch(kFaultKioskId, 501));
  ASSERT_TRUE(over) << over.error().message();
  EXPECT_EQ(over->status, 429u) << "the stored 500 were charged: " << over->body;
}

// The certificate ends a stream keeps are those its latest batch came with: the phones'
// certificate's from a well-formed kiosk-https-not-after header (a malformed one reads as none),
// the client certificate's from the handshake.
TEST_P(SyncFaultTest, AStreamKeepsTheCertificateEndsOfItsLatestBatch) {
  const auto [ca, cert, key] = Credentials();
  const auto ends = [&]() -> std::string {  // "null" for a missing https_not_after_ms
    auto rows = storage_.Rows(
        "SELECT coalesce(CAST(https_not_after_ms AS TEXT), 'null'), client_cert_not_after_ms "
        "FROM streams WHERE kiosk_id = $1 AND incarnation = 'test-incarnation'",
        {kFaultKioskId}, 2);
    if (!rows) return rows.error().message();
    if (rows->size() != 1) return "no stream";
    return StrCat(rows->front()[0], " ", rows->front()[1]);
  };
  const std::string client_end = std::to_string(UnixMs(CertificateNotAfter(cert).value()));

  auto reported = Post(hq_->port(), ca, cert, key, OneEventBatch(kFaultKioskId, 1),
                       {{"kiosk-https-not-after", "1800000000000"}});
  ASSERT_TRUE(reported) << reported.error().message();
  ASSERT_EQ(reported->status, 200u) << reported->body;
  EXPECT_EQ(ends(), "1800000000000 " + client_end);

  auto malformed = Post(hq_->port(), ca, cert, key, OneEventBatch(kFaultKioskId, 2),
                        {{"kiosk-https-not-after", "next year"}});
  ASSERT_TRUE(malformed) << malformed.error().message();
  ASSERT_EQ(malformed->status, 200u) << malformed->body;
  EXPECT_EQ(ends(), "null " + client_end);
}

// ---- What HQ sees of a kiosk ----

// `profile-store kiosks`: the line of the test's kiosk ("" when it has none).
std::string KioskLine(const RunningProfileStore& hq) {
  std::string out, err;
  EXPECT_EQ(RunCommand(hq.Command({PROFILE_STORE_BINARY, "kiosks", "--state-dir",
                                   hq.state_dir().string()}),
                       &out, &err),
            0)
      << err;
  const std::size_t start = out.find(StrCat("\n", kFaultKioskId, "\t"));
  if (start == std::string::npos) return "";
  return out.substr(start + 1, out.find('\n', start + 1) - start - 1);
}

// A config pull is contact with HQ: a kiosk with nothing to send still shows it is alive. The
// kiosk has enrolled but sent no batch.
TEST_P(SyncFaultTest, AConfigPullIsContactWithHq) {
  // The sync certificate's end is known from the enrollment on (the one HQ issued).
  const std::string enrolled = KioskLine(*hq_);
  EXPECT_TRUE(std::regex_match(
      enrolled, std::regex(StrCat(kFaultKioskId, R"(\tenrolled\t-\t-\t-\t0\t-\t0\t0\t0\t-\t)",
                                  R"(20\d\d-\d\d-\d\dT[0-9:]+Z\tok)"))))
      << enrolled;
  const auto [ca, cert, key] = Credentials();
  auto pulled =
      testing::HttpsOnce(hq_->port(), ca, {"GET", "/v1/sync/config", {}, ""}, {cert, key});
  ASSERT_TRUE(pulled) << pulled.error().message();
  ASSERT_EQ(pulled->status, 200u) << pulled->body;
  EXPECT_FALSE(pulled->Header(kStreamEndHeader)) << "only for kiosks that announce refill";
  auto refill = testing::HttpsOnce(
      hq_->port(), ca, {"GET", "/v1/sync/config", {{"kiosk-sync-features", "refill"}}, ""},
      {cert, key});
  ASSERT_TRUE(refill) << refill.error().message();
  EXPECT_EQ(refill->Header(kStreamEndHeader), "none") << "HQ holds none of its events yet";
  const std::string line = KioskLine(*hq_);
  EXPECT_TRUE(std::regex_match(
      line, std::regex(StrCat(kFaultKioskId,
                              R"(\tenrolled\t-\t20\d\d-\d\d-\d\dT[0-9:.]+Z\t-\t0\t-\t0\t0\t0\t-\t)"
                              R"(20\d\d-\d\d-\d\dT[0-9:]+Z\tok)"))))
      << line;
}

INSTANTIATE_TEST_SUITE_P(Backends, SyncFaultTest, testing::BothBackends(), testing::BackendName);
INSTANTIATE_TEST_SUITE_P(Postgres, PostgresSyncFaultTest, ::testing::Values(Backend::kPostgres),
                         testing::BackendName);

}  // namespace
}  // namespace kiosk_edge
