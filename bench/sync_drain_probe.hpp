#pragma once

// Where sync_drain_bench's time goes: CPU seconds per process (this bench, which plays the
// kiosks; profile-store; the PostgreSQL server and its backends), each stage of a batch's way
// timed alone in this process on the same events, and the cost of one fsync on the disk.

#include <sys/types.h>

#include <filesystem>
#include <span>
#include <string>

#include "common/error.hpp"
#include "sync/profile_store/identity.hpp"
#include "sync/profile_store/store_backend.hpp"
#include "sync/protocol/batch.hpp"

namespace kiosk_edge::bench {

// User + system CPU seconds used so far.
struct CpuTimes {
  double bench = 0;
  double profile_store = 0;
  double postgres = 0;  // the postmaster, its live children and the children it reaped
};
CpuTimes operator-(const CpuTimes& a, const CpuTimes& b);

// `profile_store` and `postmaster`: <= 0 when there is none.
CpuTimes SampleCpu(pid_t profile_store, pid_t postmaster);

// The pid of the postgres server listening on `port` ("-p PORT" on its command line); -1 if none.
pid_t FindPostmaster(int port);

// Milliseconds per batch for each stage, alone on one thread, over the events in batches of
// kMaxBatchEvents (kiosk "bench-probe").
struct StageTimes {
  int batches = 0;
  double encode_ms = 0;       // client: copy out of the journal, EncodeBatch (JSON + gzip)
  double decode_ms = 0;       // HQ: DecodeBatch (gunzip, JSON, validation)
  double prepare_ms = 0;      // HQ: ValidateBatch + PrepareEvents (event rules, opening phones)
  double open_phones_ms = 0;  // of which HqIdentity::ProfileKeyOfSealedPhone, the signups' phones
  double prepare_shared_ms = 0;  // PrepareEvents with one idle helper thread, as serve calls it
  double phones_per_batch = 0;
  double gzip_bytes = 0;  // mean compressed batch size
  double json_bytes = 0;  // mean uncompressed batch size
};
Result<StageTimes> TimeStages(std::span<const WireEvent> events, const HqIdentity& identity);

// StoreBackend::Ingest (validation, event rules, the ingest transaction) called directly, one
// batch of kMaxBatchEvents at a time on one thread: milliseconds per batch.
Result<double> TimeDirectIngest(StoreBackend& store, std::span<const WireEvent> events,
                                const std::string& incarnation);

// Microseconds per 4 KiB write + fdatasync of one file in `dir`, over about `seconds`.
Result<double> FsyncMicros(const std::filesystem::path& dir, double seconds);

}  // namespace kiosk_edge::bench
