#include "sync/protocol/batch.hpp"

#include <gtest/gtest.h>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <functional>

#include "common/gzip.hpp"

namespace kiosk_edge {
namespace {

WireEvent Event(std::int64_t seq) {
  WireEvent event;
  event.seq = seq;
  event.type = "scan";
  event.occurred_at_ms = 1'800'000'000'000 + seq;
  event.monotonic_ns = 5'000 * seq;
  event.boot_id = "0b6f4c2e-9d1a-4c3b-8e2f-1a2b3c4d5e6f";
  event.channel_id = seq % 2 == 0 ? std::optional<std::string>("LOBBY-1") : std::nullopt;
  event.payload_version = 1;
  event.payload_json =
      R"({"code":"channel","valid":true,"device":"00112233445566778899aabbccddeeff"})";
  return event;
}

EventBatch Batch(std::int64_t first, std::size_t count) {
  EventBatch batch;
  batch.kiosk_id = "kiosk-1";
  batch.incarnation = "9f2c4e6a8b0d1f3e";
  batch.first_seq = first;
  batch.last_seq = first + static_cast<std::int64_t>(count) - 1;
  for (std::size_t i = 0; i < count; ++i) batch.events.push_back(Event(first + i));
  return batch;
}

// The batch's JSON as an object, for tests that break one member.
boost::json::object BatchObject(const EventBatch& batch) {
  auto json = EncodeBatchJson(batch);
  EXPECT_TRUE(json) << json.error().message();
  return boost::json::parse(*json).as_object();
}

// Decodes `json` and expects a refusal whose message starts with `field`.
void ExpectRefused(const boost::json::object& json, std::string_view field) {
  auto decoded = DecodeBatchJson(boost::json::serialize(json));
  ASSERT_FALSE(decoded) << "accepted a batch with a bad " << field;
  EXPECT_EQ(decoded.error().kind(), ErrorKind::kInvalidArgument);
  EXPECT_EQ(decoded.error().message().substr(0, field.size() + 1), std::string(field) + ":")
      << decoded.error().message();
}

TEST(BatchTest, RoundTripsThroughGzipExactlyIncludingPayloadBytes) {
  EventBatch batch = Batch(501, 40);
  // Payload text is carried byte for byte: spacing, key order, escapes, non-ASCII.
  batch.events[3].payload_json = "{ \"b\" : 1,\n \"a\": \"caf\xC3\xA9 \\u00e9 \\\"q\\\"\" }";
  batch.events[4].payload_json = "not json at all";  // HQ dead-letters it; the wire carries it
  auto encoded = EncodeBatch(batch);
  ASSERT_TRUE(encoded) << encoded.error().message();
  auto decoded = DecodeBatch(*encoded);
  ASSERT_TRUE(decoded) << decoded.error().message();
  EXPECT_EQ(*decoded, batch);
}

TEST(BatchTest, EncodedEventBytesBoundsTheBatchSize) {
  const EventBatch batch = Batch(1, 300);
  std::size_t sum = 0;
  for (const WireEvent& event : batch.events) sum += EncodedEventBytes(event);
  auto json = EncodeBatchJson(batch);
  ASSERT_TRUE(json);
  EXPECT_LE(json->size(), sum + kMaxBatchEnvelopeBytes);
  EXPECT_GE(json->size(), sum);
}

TEST(BatchTest, AcceptsTheLimitsAndRefusesOneMore) {
  EXPECT_TRUE(EncodeBatch(Batch(1, kMaxBatchEvents)));
  const EventBatch too_many = Batch(1, kMaxBatchEvents + 1);
  auto encoded = EncodeBatch(too_many);
  ASSERT_FALSE(encoded);
  EXPECT_NE(encoded.error().message().find("events: must hold 1 to 500 events, not 501"),
            std::string::npos)
      << encoded.error().message();
  // The decoder refuses 501 events even when the sender skipped validation.
  boost::json::object json = BatchObject(Batch(1, kMaxBatchEvents));
  auto& events = json["events"].as_array();
  boost::json::value extra = events.back();
  extra.as_object()["seq"] = 501;
  events.push_back(extra);
  json["last_seq"] = 501;
  ExpectRefused(json, "events");
}

TEST(BatchTest, RefusesMoreThanOneMebibyteOfJson) {
  EventBatch batch = Batch(1, 80);
  for (WireEvent& event : batch.events) {
    event.payload_json = "{\"pad\":\"" + std::string(14'000, 'x') + "\"}";
  }
  auto encoded = EncodeBatch(batch);
  ASSERT_FALSE(encoded);
  EXPECT_NE(encoded.error().message().find("limit is 1048576"), std::string::npos)
      << encoded.error().message();
  // Built by hand past the encoder, the same batch is refused by the decoder's gunzip limit.
  boost::json::object json = BatchObject(Batch(1, 80));
  for (auto& event : json["events"].as_array()) {
    event.as_object()["payload"] = "{\"pad\":\"" + std::string(14'000, 'x') + "\"}";
  }
  const std::string text = boost::json::serialize(json);
  ASSERT_GT(text.size(), kMaxBatchBytes);
  auto decoded = DecodeBatch(*Gzip(text));
  ASSERT_FALSE(decoded);
  EXPECT_NE(decoded.error().message().find("inflates to more than 1048576 bytes"),
            std::string::npos)
      << decoded.error().message();
}

TEST(BatchTest, RefusesAGzipBombCheaply) {
  const std::string bomb_text = "{\"kiosk_id\":\"" + std::string(50 * 1024 * 1024, 'a') + "\"}";
  auto bomb = Gzip(bomb_text, 9);
  ASSERT_TRUE(bomb);
  EXPECT_LT(bomb->size(), 100'000u);
  auto decoded = DecodeBatch(*bomb);
  ASSERT_FALSE(decoded);
  EXPECT_NE(decoded.error().message().find("inflates to more than"), std::string::npos);
}

TEST(BatchTest, RefusesCorruptOrTrailingGzip) {
  auto encoded = EncodeBatch(Batch(1, 3));
  ASSERT_TRUE(encoded);
  EXPECT_FALSE(DecodeBatch(*encoded + "junk"));
  EXPECT_FALSE(DecodeBatch(encoded->substr(0, encoded->size() - 4)));
  EXPECT_FALSE(DecodeBatch(*EncodeBatchJson(Batch(1, 3))));  // JSON that was never gzipped
}

TEST(BatchTest, RefusesBatchesWithHolesOrOutOfOrderEvents) {
  EventBatch gap = Batch(10, 5);
  gap.events[2].seq = 13;  // 10, 11, 13, 13, 14
  auto encoded = EncodeBatch(gap);
  ASSERT_FALSE(encoded);
  EXPECT_NE(encoded.error().message().find("events[2].seq: must be 12"), std::string::npos)
      << encoded.error().message();

  boost::json::object json = BatchObject(Batch(10, 5));
  auto& events = json["events"].as_array();
  std::swap(events[1], events[2]);
  ExpectRefused(json, "events[1].seq");

  json = BatchObject(Batch(10, 5));
  json["last_seq"] = 15;  // claims six events, holds five
  ExpectRefused(json, "last_seq");
  json["last_seq"] = 9;
  ExpectRefused(json, "last_seq");

  json = BatchObject(Batch(10, 1));
  json["events"].as_array().clear();
  json["last_seq"] = 10;
  ExpectRefused(json, "events");
}

TEST(BatchTest, RefusesEveryMalformedEnvelopeMemberNamingIt) {
  struct Case {
    std::string field;
    std::function<void(boost::json::object&)> spoil;
  };
  const std::vector<Case> cases = {
      {"schema_version", [](auto& j) { j["schema_version"] = 2; }},
      {"schema_version", [](auto& j) { j.erase("schema_version"); }},
      {"kiosk_id", [](auto& j) { j["kiosk_id"] = ""; }},
      {"kiosk_id", [](auto& j) { j["kiosk_id"] = "-starts-with-dash"; }},
      {"kiosk_id", [](auto& j) { j["kiosk_id"] = "has space"; }},
      {"kiosk_id", [](auto& j) { j["kiosk_id"] = std::string(65, 'k'); }},
      {"kiosk_id", [](auto& j) { j["kiosk_id"] = 7; }},
      {"incarnation", [](auto& j) { j.erase("incarnation"); }},
      {"incarnation", [](auto& j) { j["incarnation"] = "a/b"; }},
      {"first_seq", [](auto& j) { j["first_seq"] = 0; }},
      {"first_seq", [](auto& j) { j["first_seq"] = "1"; }},
      {"first_seq", [](auto& j) { j["first_seq"] = 1.5; }},
      {"last_seq", [](auto& j) { j["last_seq"] = nullptr; }},
      {"events", [](auto& j) { j["events"] = boost::json::object(); }},
      {"surprise", [](auto& j) { j["surprise"] = true; }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.field);
    boost::json::object json = BatchObject(Batch(1, 3));
    c.spoil(json);
    ExpectRefused(json, c.field);
  }
  EXPECT_FALSE(DecodeBatchJson("[1,2,3]"));
  EXPECT_FALSE(DecodeBatchJson("{\"kiosk_id\":"));
}

TEST(BatchTest, RefusesEveryMalformedEventMemberNamingIt) {
  struct Case {
    std::string field;
    std::function<void(boost::json::object&)> spoil;
  };
  const std::vector<Case> cases = {
      {"seq", [](auto& e) { e.erase("seq"); }},
      {"type", [](auto& e) { e["type"] = "Scan"; }},
      {"type", [](auto& e) { e["type"] = ""; }},
      {"type", [](auto& e) { e["type"] = std::string(33, 's'); }},
      {"occurred_at_ms", [](auto& e) { e["occurred_at_ms"] = -1; }},
      {"occurred_at_ms", [](auto& e) { e["occurred_at_ms"] = 1e13; }},
      {"monotonic_ns", [](auto& e) { e["monotonic_ns"] = -5; }},
      {"boot_id", [](auto& e) { e["boot_id"] = ""; }},
      {"boot_id", [](auto& e) { e["boot_id"] = "boot id"; }},
      {"channel_id", [](auto& e) { e["channel_id"] = ""; }},
      {"channel_id", [](auto& e) { e["channel_id"] = "LOBBY/1"; }},
      {"channel_id", [](auto& e) { e["channel_id"] = 5; }},
      {"payload_version", [](auto& e) { e["payload_version"] = 0; }},
      {"payload_version", [](auto& e) { e["payload_version"] = 1e10; }},
      {"payload",
       [](auto& e) {
         e["payload"] = boost::json::object{{"a", 1}};
       }},
      {"payload", [](auto& e) { e["payload"] = std::string(16 * 1024 + 1, ' '); }},
      {"payload", [](auto& e) { e.erase("payload"); }},
      {"extra", [](auto& e) { e["extra"] = 1; }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.field);
    boost::json::object json = BatchObject(Batch(1, 3));
    c.spoil(json["events"].as_array()[1].as_object());
    ExpectRefused(json, "events[1]." + c.field);
  }
  boost::json::object json = BatchObject(Batch(1, 3));
  json["events"].as_array()[2] = "not an object";
  ExpectRefused(json, "events[2]");
}

TEST(BatchTest, TheEncoderRefusesWhatTheDecoderWould) {
  const std::vector<std::function<void(EventBatch&)>> spoilers = {
      [](EventBatch& b) { b.kiosk_id = "bad id"; },
      [](EventBatch& b) { b.incarnation.clear(); },
      [](EventBatch& b) { b.schema_version = 0; },
      [](EventBatch& b) { b.events[0].type = "BAD"; },
      [](EventBatch& b) { b.events[0].boot_id.clear(); },
      [](EventBatch& b) { b.events[0].channel_id = "no spaces allowed"; },
      [](EventBatch& b) { b.events[0].payload_version = 0; },
      [](EventBatch& b) { b.events[0].payload_json.assign(kMaxWirePayloadBytes + 1, 'x'); },
      [](EventBatch& b) { b.events.clear(); },
  };
  for (std::size_t i = 0; i < spoilers.size(); ++i) {
    EventBatch batch = Batch(1, 2);
    spoilers[i](batch);
    auto encoded = EncodeBatch(batch);
    EXPECT_FALSE(encoded) << "spoiler " << i;
    if (!encoded) {
      EXPECT_EQ(encoded.error().kind(), ErrorKind::kInvalidArgument);
    }
  }
}

TEST(BatchTest, AnswersRoundTripAndRefuseMalformedMembers) {
  const BatchAnswer answer{
      "9f2c4e6a8b0d1f3e", 502, {{7, "signup: missing phone"}, {9, "x"}}, {9}, {{1, 3}, {600, 600}}};
  auto encoded = EncodeAnswer(answer);
  ASSERT_TRUE(encoded) << encoded.error().message();
  auto decoded = DecodeAnswer(*encoded);
  ASSERT_TRUE(decoded) << decoded.error().message();
  EXPECT_EQ(*decoded, answer);

  const std::vector<std::pair<std::string, std::string>> bad = {
      {"incarnation", R"({"incarnation":"","high_water":1,"rejected":[]})"},
      {"high_water", R"({"incarnation":"a","high_water":-1,"rejected":[]})"},
      {"high_water", R"({"incarnation":"a","rejected":[]})"},
      {"rejected", R"({"incarnation":"a","high_water":1})"},
      {"rejected[0].seq", R"({"incarnation":"a","high_water":1,"rejected":[{"reason":"r"}]})"},
      {"rejected[0].reason",
       R"({"incarnation":"a","high_water":1,"rejected":[{"seq":1,"reason":""}]})"},
      {"rejected[1].seq",
       R"({"incarnation":"a","high_water":1,"rejected":[{"seq":2,"reason":"r"},{"seq":2,"reason":"r"}]})"},
      {"other", R"({"incarnation":"a","high_water":1,"rejected":[],"other":0})"},
      {"missing", R"({"incarnation":"a","high_water":1,"rejected":[],"missing":{}})"},
      {"missing[0]", R"({"incarnation":"a","high_water":1,"rejected":[],"missing":[3]})"},
      {"missing[0].first_seq",
       R"({"incarnation":"a","high_water":1,"rejected":[],"missing":[{"first_seq":0,"last_seq":2}]})"},
      {"missing[0].last_seq",
       R"({"incarnation":"a","high_water":1,"rejected":[],"missing":[{"first_seq":3,"last_seq":2}]})"},
      {"missing[0].seq",
       R"({"incarnation":"a","high_water":1,"rejected":[],"missing":[{"first_seq":3,"last_seq":4,"seq":1}]})"},
      {"missing[1].first_seq",
       R"({"incarnation":"a","high_water":1,"rejected":[],"missing":[{"first_seq":3,"last_seq":4},{"first_seq":5,"last_seq":9}]})"},
  };
  for (const auto& [field, json] : bad) {
    auto refused = DecodeAnswer(json);
    ASSERT_FALSE(refused) << json;
    EXPECT_EQ(refused.error().message().substr(0, field.size() + 1), field + ":")
        << refused.error().message();
  }
  EXPECT_FALSE(EncodeAnswer(BatchAnswer{"a", 1, {{3, "r"}, {2, "r"}}, {}, {}}));
  EXPECT_FALSE(EncodeAnswer(BatchAnswer{"a", 1, {{3, "line\nbreak"}}, {}, {}}));
  EXPECT_FALSE(EncodeAnswer(BatchAnswer{"a", 1, {}, {}, {{5, 6}, {2, 3}}})) << "not ascending";
  std::vector<MissingSeqs> too_many;
  for (std::int64_t i = 1; i <= static_cast<std::int64_t>(kMaxMissingRanges) + 1; ++i) {
    too_many.push_back({3 * i, 3 * i});
  }
  EXPECT_FALSE(EncodeAnswer(BatchAnswer{"a", 1, {}, {}, too_many}));
  EXPECT_EQ(EncodeAnswer(BatchAnswer{"a", 1, {}, {}, {}}).value(),
            R"({"incarnation":"a","high_water":1,"rejected":[]})")
      << "no empty members for kiosks that know neither";
}

TEST(BatchTest, StreamEndsRoundTripAndRefuseMalformedOnes) {
  for (const StreamEnd& end : {StreamEnd{}, StreamEnd{"9f2c0a", 1}, StreamEnd{"inc.1-x", 2315}}) {
    EXPECT_EQ(ParseStreamEnd(EncodeStreamEnd(end)), end) << EncodeStreamEnd(end);
  }
  EXPECT_EQ(EncodeStreamEnd({"9f2c0a", 17}), "9f2c0a/17");
  EXPECT_EQ(EncodeStreamEnd({}), "none");
  for (const char* text : {"", "/", "9f2c0a", "9f2c0a/", "/17", "9f2c0a/0", "9f2c0a/-1",
                           "9f2c0a/1x", "9f 2c/17", "a/b/17", "9f2c0a/99999999999999999999"}) {
    EXPECT_EQ(ParseStreamEnd(text), std::nullopt) << text;
  }
}

}  // namespace
}  // namespace kiosk_edge
