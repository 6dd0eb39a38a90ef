#pragma once

// The backlog sync_drain_bench drains: kiosk journal events shaped like the ones kiosk-agent
// writes (agent/shopper_routes.cpp, shopper_signup.cpp, voucher_issue.cpp), and an in-memory
// SyncJournal holding a share of them for one simulated kiosk.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "sync/client/sync_client.hpp"
#include "sync/protocol/batch.hpp"

namespace kiosk_edge::bench {

struct BacklogOptions {
  std::size_t events = 200'000;
  // Percent of draws that are a signup (each followed by its voucher_issued event, as
  // kiosk-agent journals them); the rest are channel (80%) and presence (20%) scans.
  int signup_percent = 5;
  // HQ's X25519 public key (32 bytes): signups carry the name and phone sealed for it.
  std::string hq_public_key;
  std::uint64_t seed = 20261122;
};

struct Backlog {
  std::vector<WireEvent> events;  // seq 1..n
  // Each event's payload "device" (empty when it has none), for the COPY peer's device_id.
  std::vector<std::string> device_ids;
  std::map<std::string, std::size_t> count_by_type;
  double mean_payload_bytes = 0;
  double mean_encoded_bytes = 0;  // EncodedEventBytes: what an event adds to a batch's JSON
};

// Random device ids (32 hex digits, fresh per event), channels from a pool of 40, times 50-500 ms
// apart ending now, names and phones sealed with SealForHq (so HQ opens them as it would).
Result<Backlog> MakeBacklog(const BacklogOptions& options);

// One simulated kiosk's journal: `events` (any seqs) become this journal's seq 1..n, all
// unsynced. ReadAfter copies, as a real journal read would produce fresh strings.
class MemoryJournal final : public SyncJournal {
 public:
  MemoryJournal(std::string kiosk_id, std::string incarnation, std::span<const WireEvent> events)
      : kiosk_id_(std::move(kiosk_id)), incarnation_(std::move(incarnation)), events_(events) {}

  Result<Position> ReadPosition() override;
  Result<std::vector<WireEvent>> ReadAfter(std::int64_t after_seq, std::size_t max_events) override;
  Result<void> Acknowledge(std::int64_t high_water, const std::vector<RejectedEvent>& rejected,
                           const std::vector<std::int64_t>& erased) override;

  std::int64_t synced() const { return synced_.load(); }
  std::int64_t dead_letters() const { return dead_letters_.load(); }
  const std::string& kiosk_id() const { return kiosk_id_; }

 private:
  std::string kiosk_id_;
  std::string incarnation_;
  std::span<const WireEvent> events_;
  std::atomic<std::int64_t> synced_{0};
  std::atomic<std::int64_t> dead_letters_{0};
};

}  // namespace kiosk_edge::bench
