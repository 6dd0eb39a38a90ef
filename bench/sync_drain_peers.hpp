#pragma once

// sync_drain_bench's ceiling peer: PostgreSQL's own COPY of the same rows into a table of the
// same shape as profile-store's events table (its columns, primary key and device index),
// straight through libpq. The only file that includes libpq's header is pg_copy_peer.cpp.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "common/error.hpp"
#include "sync/protocol/batch.hpp"

namespace kiosk_edge::bench {

struct CopyFigures {
  std::int64_t rows = 0;
  double seconds = 0;  // from the first COPY to the last commit (connections opened before)
  double rate() const { return seconds > 0 ? static_cast<double>(rows) / seconds : 0; }
};

// COPYs every event (`device_ids[i]` as event i's device_id, empty = NULL) into a fresh table
// copy_peer.events: `connections` connections in parallel, each taking an equal contiguous share
// and sending it as one COPY statement (its own transaction) per `rows_per_transaction` rows.
Result<CopyFigures> RunCopyPeer(const std::string& conninfo, std::span<const WireEvent> events,
                                std::span<const std::string> device_ids,
                                std::size_t rows_per_transaction, int connections);

// The server's version and durability settings, for the report: "server_version 15.8, fsync
// on, synchronous_commit on, ...".
Result<std::string> PostgresSettings(const std::string& conninfo);

}  // namespace kiosk_edge::bench
