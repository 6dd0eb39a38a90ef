#pragma once

// The upload of journal events from a kiosk to HQ (DESIGN.md section 6), shared by the kiosk's
// sync client and profile-store.
//
// On the wire a batch is gzip (one member) of a JSON object:
//
//   {"schema_version": 1, "kiosk_id": "kiosk-1", "incarnation": "9f2c...", "first_seq": 501,
//    "last_seq": 502, "events": [
//      {"seq": 501, "type": "scan", "occurred_at_ms": 1800000000000, "monotonic_ns": 42,
//       "boot_id": "0b6f...", "channel_id": "LOBBY-1", "payload_version": 1,
//       "payload": "{\"code\":\"channel\",\"valid\":true,\"device\":\"...\"}"}, ...]}
//
// "channel_id" may be absent or null. The payload travels as a JSON *string* holding the event's
// JSON text exactly as the kiosk journaled it: HQ stores the very bytes the kiosk committed, and
// a payload HQ cannot use (not an object, an unknown schema version, a signup without its
// fields) is one rejected event at HQ, not a batch HQ cannot read (which would stall the kiosk).
//
// What the decoder refuses outright (kInvalidArgument naming the member) is an envelope that no
// correct kiosk produces, since a kiosk's journal enforces the same rules (agent/event.hpp):
// unknown or missing members, wrong JSON types, identifiers outside their grammar, payloads over
// 16 KiB, more than kMaxBatchEvents events or kMaxBatchBytes of JSON, and events that are not
// exactly first_seq, first_seq + 1, ..., last_seq in order (a batch has no holes; a gap *between*
// batches is for HQ to detect and record).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace kiosk_edge {

inline constexpr int kSyncSchemaVersion = 1;
// At most this many events per batch.
inline constexpr std::size_t kMaxBatchEvents = 500;
// At most this many bytes of (uncompressed) batch JSON; also the gunzip limit.
inline constexpr std::size_t kMaxBatchBytes = 1024 * 1024;
// At most this many bytes of payload JSON text per event (agent/event.hpp's kMaxPayloadBytes).
inline constexpr std::size_t kMaxWirePayloadBytes = 16 * 1024;
// An upper bound on the batch JSON outside its events (the envelope, brackets).
inline constexpr std::size_t kMaxBatchEnvelopeBytes = 512;

// One journal event as it travels (agent/event.hpp's JournalEvent without the envelope fields the
// batch carries once).
struct WireEvent {
  std::int64_t seq = 0;                   // >= 1
  std::string type;                       // [a-z_]{1,32}
  std::int64_t occurred_at_ms = 0;        // wall clock, Unix ms, 0 .. 1e14
  std::int64_t monotonic_ns = 0;          // >= 0, comparable within one boot_id
  std::string boot_id;                    // [A-Za-z0-9._-]{1,64}
  std::optional<std::string> channel_id;  // [A-Za-z0-9._-]{1,64} where known
  int payload_version = 1;                // >= 1
  std::string payload_json;  // the journaled payload text, at most kMaxWirePayloadBytes

  friend bool operator==(const WireEvent&, const WireEvent&) = default;
};

// A run of consecutive events of one kiosk's journal incarnation.
// A batch request header (lower case): the newest seq in the kiosk's journal as the batch left,
// >= the batch's last seq. Advisory: HQ ignores a missing or malformed one.
inline constexpr std::string_view kJournalLastSeqHeader = "kiosk-journal-last-seq";
// A batch request header (lower case): the end of validity (Unix ms) of the certificate the kiosk
// serves phones with ([https]); absent when it serves none. Advisory, like the one above.
inline constexpr std::string_view kHttpsNotAfterHeader = "kiosk-https-not-after";
// A config pull's request header (lower case): the kiosk's wall clock (Unix ms) as it sent the
// pull, so that HQ's kiosk health shows how far it is off HQ's. Advisory, like the ones above.
inline constexpr std::string_view kKioskClockHeader = "kiosk-clock-ms";
// How far a kiosk's clock may be off HQ's before kiosk health and kioskctl status ask for
// attention: events are dated, and voucher expiry checked, by the kiosk's clock.
inline constexpr std::chrono::minutes kClockOffsetWarning{5};
// "the kiosk's clock is 7 min ahead of HQ's" (or "behind") for a clock `offset_ms` (the kiosk's
// minus HQ's) kClockOffsetWarning or more off; nothing when it is within.
std::optional<std::string> ClockOffsetAttention(std::int64_t offset_ms);

struct EventBatch {
  int schema_version = kSyncSchemaVersion;
  std::string kiosk_id;     // [A-Za-z0-9._-]{1,64}, starting with a letter or digit
  std::string incarnation;  // [A-Za-z0-9._-]{1,64}
  std::int64_t first_seq = 0;
  std::int64_t last_seq = 0;
  std::vector<WireEvent> events;  // seqs first_seq..last_seq in order, 1..kMaxBatchEvents of them
  // Not in the batch's JSON: the newest seq in the kiosk's journal when it sent the batch, from
  // the kJournalLastSeqHeader request header (HQ's kiosk health shows the backlog from it).
  std::optional<std::int64_t> journal_last_seq;
  // Not in the batch's JSON either: from the kHttpsNotAfterHeader request header.
  std::optional<std::int64_t> https_not_after_ms;
  // Nor this: the end of validity (Unix ms) of the client certificate the batch came with, from
  // HQ's TLS handshake.
  std::optional<std::int64_t> client_certificate_not_after_ms;

  friend bool operator==(const EventBatch&, const EventBatch&) = default;
};

// kInvalidArgument naming the first field (as the JSON spells it, "events[3].type") that breaks
// a rule above. Does not check the encoded size: EncodeBatchJson does.
Result<void> ValidateBatch(const EventBatch& batch);

// The bytes `event` adds to a batch's JSON, its separating comma included. A batch encodes within
// kMaxBatchBytes when kMaxBatchEnvelopeBytes plus the sum over its events is at most
// kMaxBatchBytes: the client packs batches with this.
std::size_t EncodedEventBytes(const WireEvent& event);

// The batch's JSON (ValidateBatch first; kInvalidArgument when over kMaxBatchBytes).
Result<std::string> EncodeBatchJson(const EventBatch& batch);
// Decodes and validates batch JSON of at most kMaxBatchBytes.
Result<EventBatch> DecodeBatchJson(std::string_view json);

// EncodeBatchJson, gzipped: what the client sends.
Result<std::string> EncodeBatch(const EventBatch& batch);
// Gunzips (refusing more than kMaxBatchBytes of JSON, trailing bytes and corrupt data), then
// DecodeBatchJson: what HQ accepts.
Result<EventBatch> DecodeBatch(std::string_view gzipped);

// ---- HQ's answer ----
//
//   {"incarnation": "9f2c...", "high_water": 502, "rejected": [{"seq": 7, "reason": "..."}],
//    "erased": [9], "missing": [{"first_seq": 310, "last_seq": 480}]}
//
// "erased" and "missing" are present only when not empty, and HQ sends each only to kiosks that
// announce its feature (kSyncFeatureErasure in sync/protocol/erasure.hpp, kSyncFeatureRefill),
// so older kiosks keep reading answers.

inline constexpr std::size_t kMaxRejectReasonBytes = 500;

// An event HQ stored in its dead-letter table instead of using it. The kiosk records the reason
// and moves on: a rejected event counts as delivered.
struct RejectedEvent {
  std::int64_t seq = 0;  // >= 1
  std::string reason;    // 1..kMaxRejectReasonBytes bytes, no control characters

  friend bool operator==(const RejectedEvent&, const RejectedEvent&) = default;
};

// Seqs first_seq..last_seq (1 <= first_seq <= last_seq) of the batch's incarnation that HQ does
// not hold: a gap. It opens when a batch starts past what HQ holds, e.g. after HQ's database was
// restored from an older backup, and closes as the events arrive.
struct MissingSeqs {
  std::int64_t first_seq = 0;
  std::int64_t last_seq = 0;

  friend bool operator==(const MissingSeqs&, const MissingSeqs&) = default;
};

// An answer lists at most this many gaps: the highest, which the kiosk most likely still holds.
inline constexpr std::size_t kMaxMissingRanges = 16;

// The sync feature (kSyncFeaturesHeader) of kiosks that read "missing" and send those events
// again from their journal where they still hold them; on config pulls, of kiosks that read
// kStreamEndHeader.
inline constexpr std::string_view kSyncFeatureRefill = "refill";

struct BatchAnswer {
  std::string incarnation;  // the batch's incarnation
  // Every event 1..high_water of this incarnation is committed at HQ (stored or dead-lettered);
  // the kiosk may mark them synced. May be below the batch's last_seq when HQ is missing earlier
  // events (a gap); never goes down.
  std::int64_t high_water = 0;
  std::vector<RejectedEvent> rejected;  // seq order, at most kMaxBatchEvents
  // Events of the batch's range whose shopper HQ has erased: HQ stored them without personal
  // data, and the kiosk must scrub its copies (erasure.hpp). Ascending, at most kMaxBatchEvents.
  std::vector<std::int64_t> erased;
  // HQ's gaps in this incarnation: ascending, disjoint, none overlapping the batch, at most
  // kMaxMissingRanges. The kiosk sends again those of its synced events it still holds.
  std::vector<MissingSeqs> missing;

  friend bool operator==(const BatchAnswer&, const BatchAnswer&) = default;
};

// kInvalidArgument naming the field for an answer that breaks a rule above.
Result<std::string> EncodeAnswer(const BatchAnswer& answer);
Result<BatchAnswer> DecodeAnswer(std::string_view json);

// A config pull's answer header (200 and 304), for kiosks whose pull lists kSyncFeatureRefill:
// where HQ's copy of the kiosk's events ends, "<incarnation>/<max seq>" (the incarnation of the
// kiosk's latest batch at HQ and the highest seq of it HQ holds), or "none" when HQ holds none.
// A kiosk whose synced mark is past it (HQ's database was restored from an older backup) sends its
// last synced event again (the highest past it the journal still holds, if it shed that one), so
// that HQ records the gap and lists it as "missing": it learns of the loss at its next pull, new
// events or not.
inline constexpr std::string_view kStreamEndHeader = "kiosk-stream-end";

struct StreamEnd {
  std::string incarnation;  // "" (with max_seq 0): HQ holds none of the kiosk's events
  std::int64_t max_seq = 0;

  friend bool operator==(const StreamEnd&, const StreamEnd&) = default;
};
std::string EncodeStreamEnd(const StreamEnd& end);
// nullopt when `text` is not of the form above.
std::optional<StreamEnd> ParseStreamEnd(std::string_view text);

}  // namespace kiosk_edge
