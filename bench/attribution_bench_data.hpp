#pragma once

// The attribution benchmark's dataset (attribution_bench.cpp): kiosk journals shaped like the
// ones kiosk-agent writes, over a span of days, written straight through a StoreBackend's ingest
// (the same transaction that a kiosk's batches go through; no HTTP).

#include <cstdint>
#include <map>
#include <string>

#include "common/error.hpp"
#include "sync/profile_store/store_backend.hpp"

namespace kiosk_edge::bench {

struct AttributionDataOptions {
  std::int64_t events = 1'000'000;  // in all, over every kiosk
  int kiosks = 50;                  // each in one of `stores` stores, with its own journal
  int stores = 20;                  // each with 10 channels (posters, flyers, counter cards)
  int days = 365;                   // the span the events cover, ending at end_ms
  std::int64_t end_ms = 0;
  std::string hq_public_key;  // signups are sealed for it
  std::uint64_t seed = 20261204;
  std::size_t batch_events = 500;  // kMaxBatchEvents
};

struct AttributionDataSummary {
  std::map<std::string, std::int64_t> count_by_type;
  double seconds = 0;  // generating and ingesting
};

// Generates the kiosks' journals and ingests them batch by batch. A visit is 1-3 scans by one
// device (30% a returning device of that kiosk), mostly of its store's channels (20% the kiosk
// screen's presence code, 85% of those fresh; 3% of codes fail their check); 8% of visits end in
// a signup and its voucher (5% of signups by a shopper who signed up before, elsewhere too), and
// 40% of vouchers are redeemed 1-5 days later at the same kiosk.
Result<AttributionDataSummary> IngestAttributionData(StoreBackend& store,
                                                     const AttributionDataOptions& options);

}  // namespace kiosk_edge::bench
