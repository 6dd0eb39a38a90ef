#pragma once

// The real parts of sync_drain_bench: a profile-store process, kiosks enrolled with it the way
// `kioskctl enroll` does (enroll-token, a CSR for a fresh Ed25519 device key, POST /v1/enroll),
// and drains that run the kiosk's real SyncClient over real HttpsClient connections (mutual TLS,
// one per kiosk) against it.

#include <sys/types.h>

#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "sync/protocol/batch.hpp"

namespace kiosk_edge::bench {

// profile-store serving on a free port, its stdout and stderr in files in its state folder's
// parent. Stopped (SIGTERM, then SIGKILL after 20 s) on destruction; killed by the kernel if
// the bench dies first.
class ProfileStoreProcess {
 public:
  static Result<std::unique_ptr<ProfileStoreProcess>> Start(const std::filesystem::path& binary,
                                                            const std::filesystem::path& state_dir,
                                                            const std::filesystem::path& config,
                                                            const std::filesystem::path& log_dir);
  ~ProfileStoreProcess();
  ProfileStoreProcess(const ProfileStoreProcess&) = delete;
  ProfileStoreProcess& operator=(const ProfileStoreProcess&) = delete;

  pid_t pid() const { return pid_; }
  std::uint16_t port() const { return port_; }
  // SIGTERM and wait; an error unless it exited with status 0.
  Result<void> Stop();

 private:
  ProfileStoreProcess() = default;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

// Runs `argv` to completion; its stdout, or an error with its stderr.
Result<std::string> RunToCompletion(const std::vector<std::string>& argv);

struct KioskCredentials {
  std::string kiosk_id;
  std::string device_key_pem;  // key material
  std::string certificate_pem;
};

struct Fleet {
  std::string ca_pem;  // HQ's CA, from the enrollment answers
  std::vector<KioskCredentials> kiosks;
};

// Enrolls `kiosks` (ids "bench-kiosk-000", ...) with the profile-store on `port`: one
// `profile-store enroll-token` per kiosk (`token_command` + "--kiosk" ID), then all POST
// /v1/enroll at once, each on its own connection with a fresh device key.
Result<Fleet> EnrollFleet(int kiosks, std::uint16_t port, const std::string& ca_pem,
                          const std::vector<std::string>& token_command);

struct DrainSpec {
  std::uint16_t port = 0;
  const Fleet* fleet = nullptr;
  // One share of the backlog per kiosk, kiosk i draining shares[i] (fleet->kiosks[i]).
  std::vector<std::span<const WireEvent>> shares;
  std::string incarnation;  // a fresh journal incarnation for every drain
  std::size_t max_batch_events = kMaxBatchEvents;
  // Stop every client (after the batch in flight) when this much time has passed.
  std::optional<std::chrono::milliseconds> time_limit;
};

struct DrainFigures {
  int kiosks = 0;
  std::int64_t events = 0;   // acknowledged by HQ
  std::int64_t batches = 0;  // requests answered 200
  std::int64_t dead_letters = 0;
  double seconds = 0;  // from the first client's start to the last answer
  int failed_rounds = 0;
  std::string first_failure;
  bool completed = false;  // every share drained (not stopped by the time limit)
  double rate() const { return seconds > 0 ? static_cast<double>(events) / seconds : 0; }
};

// Runs one SyncClient per kiosk on one I/O thread (SyncClient's blocking work on `pool`), each
// with its own HttpsClient, until every share is drained or the time limit stops them. A failed
// round (HQ busy, a deadline) is counted and retried after 100 ms.
Result<DrainFigures> RunDrain(const DrainSpec& spec, boost::asio::thread_pool& pool);

}  // namespace kiosk_edge::bench
