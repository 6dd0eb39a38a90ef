#include "sync/protocol/batch.hpp"

#include <boost/json/array.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/serializer.hpp>
#include <charconv>
#include <limits>

#include "common/clock.hpp"
#include "common/gzip.hpp"
#include "common/strings.hpp"
#include "sync/protocol/strict_json.hpp"
#include "sync/protocol/wire_grammar.hpp"

namespace kiosk_edge {
namespace {

using wire::StrictObject;

constexpr std::int64_t kMaxInt64 = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMaxWallMs = 100'000'000'000'000;  // year 5138: beyond any real clock
constexpr std::int64_t kMaxPayloadVersion = std::numeric_limits<int>::max();

constexpr std::string_view kKioskIdRule =
    "must be 1-64 characters of [A-Za-z0-9._-] starting with a letter or digit";
constexpr std::string_view kIdRule = "must be 1-64 characters of [A-Za-z0-9._-]";
constexpr std::string_view kTypeRule = "must be 1-32 characters of [a-z_]";

Error Invalid(std::string_view name, std::string_view problem) {
  return Error(ErrorKind::kInvalidArgument, StrCat(name, ": ", problem));
}

Error OutOfRange(std::string_view name, std::int64_t min, std::int64_t max, std::int64_t value) {
  return Invalid(name, StrCat("must be between ", min, " and ", max, ", not ", value));
}

// The rules of one event that the JSON types do not already enforce.
Result<void> ValidateEvent(const WireEvent& event, const std::string& path) {
  const auto name = [&path](std::string_view key) { return StrCat(path, ".", key); };
  if (event.seq < 1) return OutOfRange(name("seq"), 1, kMaxInt64, event.seq);
  if (!wire::IsEventType(event.type)) return Invalid(name("type"), kTypeRule);
  if (event.occurred_at_ms < 0 || event.occurred_at_ms > kMaxWallMs) {
    return OutOfRange(name("occurred_at_ms"), 0, kMaxWallMs, event.occurred_at_ms);
  }
  if (event.monotonic_ns < 0) {
    return OutOfRange(name("monotonic_ns"), 0, kMaxInt64, event.monotonic_ns);
  }
  if (!wire::IsBootId(event.boot_id)) return Invalid(name("boot_id"), kIdRule);
  if (event.channel_id && !wire::IsEventChannelId(*event.channel_id)) {
    return Invalid(name("channel_id"), kIdRule);
  }
  if (event.payload_version < 1) {
    return OutOfRange(name("payload_version"), 1, kMaxPayloadVersion, event.payload_version);
  }
  if (event.payload_json.size() > kMaxWirePayloadBytes) {
    return Invalid(name("payload"), StrCat("is ", event.payload_json.size(),
                                           " bytes; the limit is ", kMaxWirePayloadBytes));
  }
  return {};
}

// The sequence rules: 1..kMaxBatchEvents events, exactly first_seq..last_seq in order.
Result<void> ValidateSequence(const EventBatch& batch) {
  if (batch.first_seq < 1) return OutOfRange("first_seq", 1, kMaxInt64, batch.first_seq);
  if (batch.last_seq < batch.first_seq) {
    return Invalid("last_seq", StrCat("must be at least first_seq (", batch.first_seq, "), not ",
                                      batch.last_seq));
  }
  if (batch.events.empty() || batch.events.size() > kMaxBatchEvents) {
    return Invalid(
        "events", StrCat("must hold 1 to ", kMaxBatchEvents, " events, not ", batch.events.size()));
  }
  if (static_cast<std::uint64_t>(batch.last_seq - batch.first_seq) + 1 != batch.events.size()) {
    return Invalid("last_seq",
                   StrCat("must be first_seq + ", batch.events.size() - 1, " for a batch of ",
                          batch.events.size(), " events, not ", batch.last_seq));
  }
  for (std::size_t i = 0; i < batch.events.size(); ++i) {
    const std::int64_t expected = batch.first_seq + static_cast<std::int64_t>(i);
    if (batch.events[i].seq != expected) {
      return Invalid(StrCat(wire::ItemPath("events", i), ".seq"),
                     StrCat("must be ", expected,
                            " (events run from first_seq to last_seq without holes), not ",
                            batch.events[i].seq));
    }
  }
  return {};
}

boost::json::object EventJson(const WireEvent& event, boost::json::storage_ptr storage) {
  boost::json::object json({{"seq", event.seq},
                            {"type", event.type},
                            {"occurred_at_ms", event.occurred_at_ms},
                            {"monotonic_ns", event.monotonic_ns},
                            {"boot_id", event.boot_id},
                            {"payload_version", event.payload_version},
                            {"payload", event.payload_json}},
                           std::move(storage));
  if (event.channel_id) json["channel_id"] = *event.channel_id;
  return json;
}

Result<WireEvent> ReadEvent(const boost::json::value& value, const std::string& path) {
  if (!value.is_object()) return Invalid(path, "must be an object");
  StrictObject json(value.as_object(), path);
  WireEvent event;
  auto seq = json.Int("seq", 1, kMaxInt64);
  if (!seq) return seq.error();
  event.seq = *seq;
  auto type = json.String("type", wire::IsEventType, kTypeRule);
  if (!type) return type.error();
  event.type = std::move(*type);
  auto occurred = json.Int("occurred_at_ms", 0, kMaxWallMs);
  if (!occurred) return occurred.error();
  event.occurred_at_ms = *occurred;
  auto monotonic = json.Int("monotonic_ns", 0, kMaxInt64);
  if (!monotonic) return monotonic.error();
  event.monotonic_ns = *monotonic;
  auto boot = json.String("boot_id", wire::IsBootId, kIdRule);
  if (!boot) return boot.error();
  event.boot_id = std::move(*boot);
  auto channel = json.OptionalString("channel_id", wire::IsEventChannelId, kIdRule);
  if (!channel) return channel.error();
  event.channel_id = std::move(*channel);
  auto version = json.Int("payload_version", 1, kMaxPayloadVersion);
  if (!version) return version.error();
  event.payload_version = static_cast<int>(*version);
  auto payload = json.RawString("payload", kMaxWirePayloadBytes);
  if (!payload) return payload.error();
  event.payload_json = std::move(*payload);
  if (auto rest = json.NoOtherMembers(); !rest) return rest.error();
  return event;
}

}  // namespace

Result<void> ValidateBatch(const EventBatch& batch) {
  if (batch.schema_version != kSyncSchemaVersion) {
    return Invalid("schema_version",
                   StrCat("must be ", kSyncSchemaVersion, ", not ", batch.schema_version));
  }
  if (!wire::IsKioskId(batch.kiosk_id)) return Invalid("kiosk_id", kKioskIdRule);
  if (!wire::IsIncarnation(batch.incarnation)) return Invalid("incarnation", kIdRule);
  for (std::size_t i = 0; i < batch.events.size() && i < kMaxBatchEvents; ++i) {
    if (auto valid = ValidateEvent(batch.events[i], wire::ItemPath("events", i)); !valid) {
      return valid.error();
    }
  }
  return ValidateSequence(batch);
}

std::size_t EncodedEventBytes(const WireEvent& event) {
  // Counted as it is serialised, in pieces through a buffer: no allocation for the text.
  unsigned char arena_buffer[4096];
  boost::json::monotonic_resource arena(arena_buffer, sizeof arena_buffer);
  const boost::json::value json = EventJson(event, &arena);
  boost::json::serializer serializer;
  serializer.reset(&json);
  char buffer[4096];
  std::size_t bytes = 1;
  while (!serializer.done()) bytes += serializer.read(buffer, sizeof buffer).size();
  return bytes;
}

Result<std::string> EncodeBatchJson(const EventBatch& batch) {
  if (auto valid = ValidateBatch(batch); !valid) return valid.error();
  // The document lives while it is serialised: one arena instead of a malloc per value.
  boost::json::monotonic_resource arena;
  boost::json::array events(&arena);
  events.reserve(batch.events.size());
  for (const WireEvent& event : batch.events) events.emplace_back(EventJson(event, &arena));
  const boost::json::object json({{"schema_version", batch.schema_version},
                                  {"kiosk_id", batch.kiosk_id},
                                  {"incarnation", batch.incarnation},
                                  {"first_seq", batch.first_seq},
                                  {"last_seq", batch.last_seq},
                                  {"events", std::move(events)}},
                                 &arena);
  std::string text = boost::json::serialize(json);
  if (text.size() > kMaxBatchBytes) {
    return Invalid("batch",
                   StrCat("is ", text.size(), " bytes of JSON; the limit is ", kMaxBatchBytes));
  }
  return text;
}

Result<EventBatch> DecodeBatchJson(std::string_view text) {
  if (text.size() > kMaxBatchBytes) {
    return Invalid("batch",
                   StrCat("is ", text.size(), " bytes of JSON; the limit is ", kMaxBatchBytes));
  }
  // The document lives while the batch is read: one arena instead of a malloc per value.
  boost::json::monotonic_resource arena;
  auto document = wire::ParseJsonObject(text, "batch", &arena);
  if (!document) return document.error();
  StrictObject json(document->as_object(), "");
  EventBatch batch;
  auto schema = json.Int("schema_version", 1, kMaxPayloadVersion);
  if (!schema) return schema.error();
  batch.schema_version = static_cast<int>(*schema);
  if (batch.schema_version != kSyncSchemaVersion) {
    return Invalid("schema_version",
                   StrCat("must be ", kSyncSchemaVersion, ", not ", batch.schema_version));
  }
  auto kiosk = json.String("kiosk_id", wire::IsKioskId, kKioskIdRule);
  if (!kiosk) return kiosk.error();
  batch.kiosk_id = std::move(*kiosk);
  auto incarnation = json.String("incarnation", wire::IsIncarnation, kIdRule);
  if (!incarnation) return incarnation.error();
  batch.incarnation = std::move(*incarnation);
  auto first = json.Int("first_seq", 1, kMaxInt64);
  if (!first) return first.error();
  batch.first_seq = *first;
  auto last = json.Int("last_seq", 1, kMaxInt64);
  if (!last) return last.error();
  batch.last_seq = *last;
  auto events = json.Array("events", kMaxBatchEvents);
  if (!events) return events.error();
  if (auto rest = json.NoOtherMembers(); !rest) return rest.error();
  batch.events.reserve((*events)->size());
  for (std::size_t i = 0; i < (*events)->size(); ++i) {
    auto event = ReadEvent((**events)[i], wire::ItemPath("events", i));
    if (!event) return event.error();
    batch.events.push_back(std::move(*event));
  }
  if (auto sequence = ValidateSequence(batch); !sequence) return sequence.error();
  return batch;
}

Result<std::string> EncodeBatch(const EventBatch& batch) {
  auto json = EncodeBatchJson(batch);
  if (!json) return json.error();
  return Gzip(*json);
}

Result<EventBatch> DecodeBatch(std::string_view gzipped) {
  auto json = Gunzip(gzipped, kMaxBatchBytes);
  if (!json) return json.error().WithContext("batch");
  return DecodeBatchJson(*json);
}

// ---- Answers ----

namespace {

constexpr std::string_view kReasonRule = "must be 1-500 bytes without control characters";

bool IsReason(std::string_view reason) {
  return !reason.empty() && reason.size() <= kMaxRejectReasonBytes &&
         wire::HasNoControlCharacters(reason);
}

Result<void> ValidateAnswer(const BatchAnswer& answer) {
  if (!wire::IsIncarnation(answer.incarnation)) return Invalid("incarnation", kIdRule);
  if (answer.high_water < 0) return OutOfRange("high_water", 0, kMaxInt64, answer.high_water);
  if (answer.rejected.size() > kMaxBatchEvents) {
    return Invalid("rejected", StrCat("has ", answer.rejected.size(), " items; the limit is ",
                                      kMaxBatchEvents));
  }
  for (std::size_t i = 0; i < answer.rejected.size(); ++i) {
    const RejectedEvent& rejected = answer.rejected[i];
    const std::string path = wire::ItemPath("rejected", i);
    if (rejected.seq < 1) return OutOfRange(StrCat(path, ".seq"), 1, kMaxInt64, rejected.seq);
    if (i > 0 && rejected.seq <= answer.rejected[i - 1].seq) {
      return Invalid(StrCat(path, ".seq"), "must be greater than the seq before it");
    }
    if (!IsReason(rejected.reason)) return Invalid(StrCat(path, ".reason"), kReasonRule);
  }
  if (answer.erased.size() > kMaxBatchEvents) {
    return Invalid("erased",
                   StrCat("has ", answer.erased.size(), " items; the limit is ", kMaxBatchEvents));
  }
  for (std::size_t i = 0; i < answer.erased.size(); ++i) {
    const std::string path = wire::ItemPath("erased", i);
    if (answer.erased[i] < 1) return OutOfRange(path, 1, kMaxInt64, answer.erased[i]);
    if (i > 0 && answer.erased[i] <= answer.erased[i - 1]) {
      return Invalid(path, "must be greater than the seq before it");
    }
  }
  if (answer.missing.size() > kMaxMissingRanges) {
    return Invalid("missing", StrCat("has ", answer.missing.size(), " items; the limit is ",
                                     kMaxMissingRanges));
  }
  for (std::size_t i = 0; i < answer.missing.size(); ++i) {
    const std::string path = wire::ItemPath("missing", i);
    const MissingSeqs& range = answer.missing[i];
    if (range.first_seq < 1) {
      return OutOfRange(StrCat(path, ".first_seq"), 1, kMaxInt64, range.first_seq);
    }
    if (range.last_seq < range.first_seq) {
      return OutOfRange(StrCat(path, ".last_seq"), range.first_seq, kMaxInt64, range.last_seq);
    }
    if (i > 0 && range.first_seq <= answer.missing[i - 1].last_seq + 1) {
      return Invalid(StrCat(path, ".first_seq"),
                     "must be past the range before it, with at least one seq between them");
    }
  }
  return {};
}

}  // namespace

Result<std::string> EncodeAnswer(const BatchAnswer& answer) {
  if (auto valid = ValidateAnswer(answer); !valid) return valid.error();
  boost::json::array rejected;
  for (const RejectedEvent& event : answer.rejected) {
    rejected.emplace_back(boost::json::object{{"seq", event.seq}, {"reason", event.reason}});
  }
  boost::json::object json{{"incarnation", answer.incarnation},
                           {"high_water", answer.high_water},
                           {"rejected", std::move(rejected)}};
  if (!answer.erased.empty()) {
    boost::json::array erased;
    for (std::int64_t seq : answer.erased) erased.emplace_back(seq);
    json["erased"] = std::move(erased);
  }
  if (!answer.missing.empty()) {
    boost::json::array missing;
    for (const MissingSeqs& range : answer.missing) {
      missing.emplace_back(
          boost::json::object{{"first_seq", range.first_seq}, {"last_seq", range.last_seq}});
    }
    json["missing"] = std::move(missing);
  }
  return boost::json::serialize(json);
}

Result<BatchAnswer> DecodeAnswer(std::string_view text) {
  auto document = wire::ParseJsonObject(text, "answer");
  if (!document) return document.error();
  StrictObject json(document->as_object(), "");
  BatchAnswer answer;
  auto incarnation = json.String("incarnation", wire::IsIncarnation, kIdRule);
  if (!incarnation) return incarnation.error();
  answer.incarnation = std::move(*incarnation);
  auto high_water = json.Int("high_water", 0, kMaxInt64);
  if (!high_water) return high_water.error();
  answer.high_water = *high_water;
  auto rejected = json.Array("rejected", kMaxBatchEvents);
  if (!rejected) return rejected.error();
  auto erased = json.OptionalArray("erased", kMaxBatchEvents);
  if (!erased) return erased.error();
  auto missing = json.OptionalArray("missing", kMaxMissingRanges);
  if (!missing) return missing.error();
  if (auto rest = json.NoOtherMembers(); !rest) return rest.error();
  if (*missing != nullptr) {
    for (std::size_t i = 0; i < (*missing)->size(); ++i) {
      const std::string path = wire::ItemPath("missing", i);
      const boost::json::value& item = (**missing)[i];
      if (!item.is_object()) return Invalid(path, "must be an object");
      StrictObject fields(item.as_object(), path);
      auto first = fields.Int("first_seq", 1, kMaxInt64);
      if (!first) return first.error();
      auto last = fields.Int("last_seq", 1, kMaxInt64);
      if (!last) return last.error();
      if (auto rest = fields.NoOtherMembers(); !rest) return rest.error();
      answer.missing.push_back(MissingSeqs{*first, *last});
    }
  }
  if (*erased != nullptr) {
    for (std::size_t i = 0; i < (*erased)->size(); ++i) {
      const boost::json::value& item = (**erased)[i];
      if (!item.is_int64() || item.as_int64() < 1) {
        return Invalid(wire::ItemPath("erased", i), "must be a seq (an integer of at least 1)");
      }
      answer.erased.push_back(item.as_int64());
    }
  }
  for (std::size_t i = 0; i < (*rejected)->size(); ++i) {
    const std::string path = wire::ItemPath("rejected", i);
    const boost::json::value& item = (**rejected)[i];
    if (!item.is_object()) return Invalid(path, "must be an object");
    StrictObject fields(item.as_object(), path);
    auto seq = fields.Int("seq", 1, kMaxInt64);
    if (!seq) return seq.error();
    auto reason = fields.String("reason", IsReason, kReasonRule);
    if (!reason) return reason.error();
    if (auto rest = fields.NoOtherMembers(); !rest) return rest.error();
    answer.rejected.push_back(RejectedEvent{*seq, std::move(*reason)});
  }
  if (auto valid = ValidateAnswer(answer); !valid) return valid.error();
  return answer;
}

std::string EncodeStreamEnd(const StreamEnd& end) {
  if (end.incarnation.empty()) return "none";
  return StrCat(end.incarnation, "/", end.max_seq);
}

std::optional<StreamEnd> ParseStreamEnd(std::string_view text) {
  if (text == "none") return StreamEnd{};
  const std::size_t slash = text.rfind('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const std::string_view incarnation = text.substr(0, slash), seq = text.substr(slash + 1);
  std::int64_t max_seq = 0;
  const auto [end, error] = std::from_chars(seq.data(), seq.data() + seq.size(), max_seq);
  if (!wire::IsIncarnation(incarnation) || error != std::errc() || end != seq.data() + seq.size() ||
      max_seq < 1) {
    return std::nullopt;
  }
  return StreamEnd{std::string(incarnation), max_seq};
}

std::optional<std::string> ClockOffsetAttention(std::int64_t offset_ms) {
  const std::int64_t off_ms = offset_ms < 0 ? -offset_ms : offset_ms;
  if (off_ms < std::chrono::milliseconds(kClockOffsetWarning).count()) return std::nullopt;
  return StrCat("the kiosk's clock is ", FormatAge(off_ms), offset_ms > 0 ? " ahead of" : " behind",
                " HQ's");
}

}  // namespace kiosk_edge
