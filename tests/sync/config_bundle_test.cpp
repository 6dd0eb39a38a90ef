#include "sync/protocol/config_bundle.hpp"

#include <gtest/gtest.h>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <functional>

namespace kiosk_edge {
namespace {

ConfigBundle Bundle() {
  ConfigBundle bundle;
  bundle.version = 7;
  bundle.channels.push_back(BundleChannel{"LOBBY-1", "Lobby poster", "poster",
                                          "north/greenwood/lobby", "spring", "store-1",
                                          1'800'000'000'000, std::nullopt, false});
  bundle.channels.push_back(BundleChannel{"ELEV-3", "Elevator 3 \xE7\x94\xB5\xE6\xA2\xAF",
                                          "elevator", "north/greenwood/bldg-2/elevator-3", "spring",
                                          "store-1", 1'700'000'000'000, 1'900'000'000'000, true});
  bundle.channel_keys.push_back(BundleTokenKey{'A', std::string(32, '\x11'), 1'800'000'000});
  bundle.channel_keys.push_back(BundleTokenKey{'B', std::string(48, '\x22'), std::nullopt});
  bundle.signing_key_id = 'B';
  bundle.hq_public_key = std::string(32, '\x33');
  bundle.trusted_kiosks = {{"kiosk-1", std::string(32, '\x44')},
                           {"kiosk-2", std::string(32, '\x55')}};
  bundle.revoked_kiosks = {"kiosk-9"};
  bundle.revoked_vouchers = {"kiosk-1/0123456789abcdef"};
  bundle.honoured_vouchers = {
      {"kiosk-9",
       {std::string(32, '\x66'),
        {{"00000000000000a1", std::string(32, 'a')}, {"00000000000000a2", std::string(32, 'b')}}}}};
  bundle.honoured_digest = HonouredListDigest(bundle.honoured_vouchers);
  bundle.redeemed = {
      42,
      "kiosk-2/fedcba9876543210",
      40,
      {{"kiosk-2/fedcba9876543210", 1'900'000'000}, {"kiosk-1/00000000000000ff", 1'800'000'000}},
      true};
  bundle.erased_subjects = {std::string(52, 'A')};
  return bundle;
}

boost::json::object BundleObject() {
  auto json = EncodeConfigBundle(Bundle());
  EXPECT_TRUE(json) << json.error().message();
  return boost::json::parse(*json).as_object();
}

TEST(ConfigBundleTest, RoundTrips) {
  const ConfigBundle bundle = Bundle();
  auto json = EncodeConfigBundle(bundle);
  ASSERT_TRUE(json) << json.error().message();
  auto decoded = DecodeConfigBundle(*json);
  ASSERT_TRUE(decoded) << decoded.error().message();
  EXPECT_EQ(*decoded, bundle);

  // The digest alone: "the honoured vouchers you hold".
  ConfigBundle held = bundle;
  held.honoured_vouchers.clear();
  auto held_json = EncodeConfigBundle(held);
  ASSERT_TRUE(held_json) << held_json.error().message();
  EXPECT_EQ(held_json->find("honoured_vouchers"), std::string::npos);
  auto held_decoded = DecodeConfigBundle(*held_json);
  ASSERT_TRUE(held_decoded) << held_decoded.error().message();
  EXPECT_EQ(*held_decoded, held);

  ConfigBundle empty;
  empty.hq_public_key = std::string(32, '\x01');
  auto empty_json = EncodeConfigBundle(empty);
  ASSERT_TRUE(empty_json) << empty_json.error().message();
  auto empty_decoded = DecodeConfigBundle(*empty_json);
  ASSERT_TRUE(empty_decoded) << empty_decoded.error().message();
  EXPECT_EQ(*empty_decoded, empty);
}

TEST(ConfigBundleTest, RefusesEveryMalformedMemberNamingIt) {
  struct Case {
    std::string field;
    std::function<void(boost::json::object&)> spoil;
  };
  const auto channel = [](boost::json::object& j) -> boost::json::object& {
    return j["channels"].as_array()[1].as_object();
  };
  const auto key = [](boost::json::object& j) -> boost::json::object& {
    return j["channel_keys"].as_array()[0].as_object();
  };
  const auto redeemed_voucher = [](boost::json::object& j, std::size_t i) -> boost::json::object& {
    return j["redeemed"].as_object()["vouchers"].as_array()[i].as_object();
  };
  const auto honoured = [](boost::json::object& j) -> boost::json::object& {
    return j["honoured_vouchers"].as_object()["kiosk-9"].as_object();
  };
  const std::vector<Case> cases = {
      {"version", [](auto& j) { j["version"] = 0; }},
      {"version", [](auto& j) { j.erase("version"); }},
      {"channels", [](auto& j) { j["channels"] = "none"; }},
      {"channels[1].id", [&](auto& j) { channel(j)["id"] = "lobby-1"; }},
      {"channels[1].id", [&](auto& j) { channel(j)["id"] = "LOBBY-1"; }},  // duplicate
      {"channels[1].name", [&](auto& j) { channel(j)["name"] = ""; }},
      {"channels[1].name", [&](auto& j) { channel(j)["name"] = "tab\there"; }},
      {"channels[1].medium", [&](auto& j) { channel(j)["medium"] = "billboard"; }},
      {"channels[1].path", [&](auto& j) { channel(j)["path"] = "North/Lobby"; }},
      {"channels[1].path", [&](auto& j) { channel(j)["path"] = "a//b"; }},
      {"channels[1].campaign", [&](auto& j) { channel(j)["campaign"] = std::string(65, 'c'); }},
      {"channels[1].store", [&](auto& j) { channel(j).erase("store"); }},
      {"channels[1].active_from_ms", [&](auto& j) { channel(j)["active_from_ms"] = -1; }},
      {"channels[1].active_until_ms",
       [&](auto& j) { channel(j)["active_until_ms"] = 1'600'000'000'000; }},
      {"channels[1].retired", [&](auto& j) { channel(j)["retired"] = "no"; }},
      {"channels[1].colour", [&](auto& j) { channel(j)["colour"] = "red"; }},
      {"channel_keys[0].id", [&](auto& j) { key(j)["id"] = "1"; }},
      {"channel_keys[0].id", [&](auto& j) { key(j)["id"] = "AB"; }},
      {"channel_keys[0].secret", [&](auto& j) { key(j)["secret"] = std::string(62, 'a'); }},
      {"channel_keys[0].secret", [&](auto& j) { key(j)["secret"] = std::string(64, 'A'); }},
      {"channel_keys[0].retired_at_s", [&](auto& j) { key(j)["retired_at_s"] = "soon"; }},
      {"channel_keys[1].id",
       [&](auto& j) { j["channel_keys"].as_array()[1].as_object()["id"] = "A"; }},
      {"signing_key_id", [](auto& j) { j.erase("signing_key_id"); }},
      {"signing_key_id", [](auto& j) { j["signing_key_id"] = "C"; }},
      {"signing_key_id", [](auto& j) { j["signing_key_id"] = "A"; }},  // retired
      {"hq_public_key", [](auto& j) { j["hq_public_key"] = std::string(62, 'a'); }},
      {"hq_public_key", [](auto& j) { j["hq_public_key"] = std::string(64, 'g'); }},
      {"trusted_kiosks", [](auto& j) { j["trusted_kiosks"] = boost::json::array(); }},
      {"trusted_kiosks",
       [](auto& j) { j["trusted_kiosks"].as_object()["bad id"] = std::string(64, 'a'); }},
      {"trusted_kiosks.kiosk-1",
       [](auto& j) { j["trusted_kiosks"].as_object()["kiosk-1"] = "abcd"; }},
      {"revoked_kiosks[1]", [](auto& j) { j["revoked_kiosks"].as_array().push_back("kiosk-9"); }},
      {"revoked_kiosks[0]", [](auto& j) { j["revoked_kiosks"].as_array()[0] = 9; }},
      {"revoked_vouchers[0]",
       [](auto& j) { j["revoked_vouchers"].as_array()[0] = "kiosk-1/0123"; }},
      {"honoured_vouchers", [](auto& j) { j["honoured_vouchers"] = boost::json::array(); }},
      {"honoured_vouchers",
       [&](auto& j) { j["honoured_vouchers"].as_object()["bad id"] = honoured(j); }},
      {"honoured_vouchers.kiosk-1",  // trusted, not revoked
       [&](auto& j) { j["honoured_vouchers"].as_object()["kiosk-1"] = honoured(j); }},
      {"honoured_vouchers.kiosk-9",
       [&](auto& j) { j["revoked_kiosks"].as_array()[0] = "kiosk-8"; }},
      {"honoured_vouchers.kiosk-9.issued", [&](auto& j) { honoured(j)["issued"] = 3; }},
      {"honoured_vouchers.kiosk-9.key", [&](auto& j) { honoured(j)["key"] = "abcd"; }},
      {"honoured_vouchers.kiosk-9.key", [&](auto& j) { honoured(j).erase("key"); }},
      {"honoured_vouchers.kiosk-9.vouchers", [&](auto& j) { honoured(j).erase("vouchers"); }},
      {"honoured_vouchers.kiosk-9.vouchers",
       [&](auto& j) { honoured(j)["vouchers"] = boost::json::object(); }},
      {"honoured_vouchers.kiosk-9.vouchers",
       [&](auto& j) { honoured(j)["vouchers"] = boost::json::array(); }},
      {"honoured_vouchers.kiosk-9.vouchers",
       [&](auto& j) { honoured(j)["vouchers"].as_object()["00000000000000A1"] = "aa"; }},
      {"honoured_vouchers.kiosk-9.vouchers.00000000000000a1",
       [&](auto& j) { honoured(j)["vouchers"].as_object()["00000000000000a1"] = "abcd"; }},
      {"honoured_vouchers.kiosk-9.vouchers.00000000000000a1",
       [&](auto& j) { honoured(j)["vouchers"].as_object()["00000000000000a1"] = 7; }},
      {"honoured_digest", [](auto& j) { j.erase("honoured_digest"); }},
      {"honoured_digest", [](auto& j) { j["honoured_digest"] = std::string(64, 'a'); }},
      {"honoured_digest", [](auto& j) { j["honoured_digest"] = std::string(63, 'a'); }},
      {"honoured_digest",
       [](auto& j) {
         j.erase("honoured_vouchers");
         j["honoured_digest"] = std::string(64, 'A');
       }},
      {"redeemed.vouchers[1].key",
       [&](auto& j) { redeemed_voucher(j, 1)["key"] = "kiosk-1-00000000000000ff"; }},
      {"redeemed.vouchers[1].key",
       [&](auto& j) { redeemed_voucher(j, 1)["key"] = "kiosk-2/fedcba9876543210"; }},
      {"redeemed.vouchers[0].expires_at_s",
       [&](auto& j) { redeemed_voucher(j, 0)["expires_at_s"] = -1; }},
      {"redeemed.vouchers[0].expires_at_s",
       [&](auto& j) { redeemed_voucher(j, 0).erase("expires_at_s"); }},
      {"redeemed.vouchers[0].gift", [&](auto& j) { redeemed_voucher(j, 0)["gift"] = "tea"; }},
      {"redeemed.through", [](auto& j) { j["redeemed"].as_object()["through"] = -1; }},
      {"redeemed.through_key", [](auto& j) { j["redeemed"].as_object().erase("through_key"); }},
      {"redeemed.through_key",
       [](auto& j) { j["redeemed"].as_object()["through_key"] = "kiosk-2-fedcba9876543210"; }},
      {"redeemed.since", [](auto& j) { j["redeemed"].as_object()["since"] = 0; }},
      {"redeemed.since", [](auto& j) { j["redeemed"].as_object()["since"] = 43; }},
      {"redeemed.vouchers", [](auto& j) { j["redeemed"].as_object().erase("vouchers"); }},
      {"redeemed.more", [](auto& j) { j["redeemed"].as_object()["more"] = "yes"; }},
      {"redeemed.more",
       [](auto& j) {
         boost::json::object& redeemed = j["redeemed"].as_object();
         redeemed["through"] = 0;
         redeemed.erase("through_key");
         redeemed.erase("since");
       }},
      {"redeemed_vouchers", [](auto& j) { j.erase("redeemed"); }},
      {"redeemed_vouchers", [](auto& j) { j["redeemed_vouchers"] = boost::json::array(); }},
      {"erased_subjects[0]",
       [](auto& j) { j["erased_subjects"].as_array()[0] = std::string(52, 'a'); }},
      {"erased_subjects", [](auto& j) { j.erase("erased_subjects"); }},
      {"campaigns", [](auto& j) { j["campaigns"] = boost::json::array(); }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.field);
    boost::json::object json = BundleObject();
    c.spoil(json);
    auto decoded = DecodeConfigBundle(boost::json::serialize(json));
    ASSERT_FALSE(decoded);
    EXPECT_EQ(decoded.error().kind(), ErrorKind::kInvalidArgument);
    EXPECT_EQ(decoded.error().message().substr(0, c.field.size() + 1), c.field + ":")
        << decoded.error().message();
  }
}

TEST(ConfigBundleTest, TheEncoderRefusesWhatTheDecoderWould) {
  const std::vector<std::function<void(ConfigBundle&)>> spoilers = {
      [](ConfigBundle& b) { b.hq_public_key.pop_back(); },
      [](ConfigBundle& b) { b.signing_key_id = 'Z'; },
      [](ConfigBundle& b) { b.channel_keys[1].secret.resize(31); },
      [](ConfigBundle& b) { b.channels[0].medium = "tv"; },
      [](ConfigBundle& b) { b.trusted_kiosks["kiosk-3"] = "short"; },
      [](ConfigBundle& b) { b.honoured_vouchers["kiosk-9"].public_key.pop_back(); },
      [](ConfigBundle& b) { b.honoured_vouchers["kiosk-9"].vouchers.clear(); },
      [](ConfigBundle& b) { b.honoured_vouchers["kiosk-1"] = b.honoured_vouchers["kiosk-9"]; },
      [](ConfigBundle& b) { b.honoured_vouchers["kiosk-9"].vouchers["a1"] = std::string(32, 'a'); },
      [](ConfigBundle& b) {
        b.honoured_vouchers["kiosk-9"].vouchers["00000000000000a1"] = std::string(32, 'A');
      },
      [](ConfigBundle& b) { b.redeemed.vouchers.push_back(b.redeemed.vouchers[0]); },
      [](ConfigBundle& b) { b.redeemed.since = b.redeemed.through + 1; },
      [](ConfigBundle& b) { b.redeemed.through_key.clear(); },
      [](ConfigBundle& b) {
        b.redeemed.through = 0;  // with a through_key still
        b.redeemed.since.reset();
      },
      [](ConfigBundle& b) { b.redeemed.vouchers[0].expires_at_s = kUnknownRedeemedExpiry + 1; },
      [](ConfigBundle& b) {
        b.redeemed = {0, "", std::nullopt, {}, true};
      },
      [](ConfigBundle& b) {
        b.channel_keys.clear();  // keys gone, but a signing key still named
      },
  };
  for (std::size_t i = 0; i < spoilers.size(); ++i) {
    ConfigBundle bundle = Bundle();
    spoilers[i](bundle);
    EXPECT_FALSE(EncodeConfigBundle(bundle)) << "spoiler " << i;
  }
}

// Kiosks without the redeemed-delta feature read, and older HQs send, the first wire form.
TEST(ConfigBundleTest, TheFirstRedeemedFormCarriesWholeListsOfKeys) {
  ConfigBundle bundle = Bundle();
  EXPECT_FALSE(EncodeConfigBundle(bundle, ConfigBundleWire::kRedeemedKeys))
      << "a list since a position cannot go as redeemed_vouchers";
  bundle.redeemed.since.reset();
  EXPECT_FALSE(EncodeConfigBundle(bundle, ConfigBundleWire::kRedeemedKeys))
      << "nor a page of a list";
  bundle.redeemed.more = false;
  auto json = EncodeConfigBundle(bundle, ConfigBundleWire::kRedeemedKeys);
  ASSERT_TRUE(json) << json.error().message();
  const boost::json::object object = boost::json::parse(*json).as_object();
  EXPECT_FALSE(object.contains("redeemed"));
  EXPECT_EQ(boost::json::serialize(object.at("redeemed_vouchers")),
            R"(["kiosk-2/fedcba9876543210","kiosk-1/00000000000000ff"])");

  auto decoded = DecodeConfigBundle(*json);
  ASSERT_TRUE(decoded) << decoded.error().message();
  EXPECT_EQ(decoded->redeemed,
            (RedeemedVouchers{0,
                              "",
                              std::nullopt,
                              {{"kiosk-2/fedcba9876543210", kUnknownRedeemedExpiry},
                               {"kiosk-1/00000000000000ff", kUnknownRedeemedExpiry}}}))
      << "through 0 and no expiry known";
  ConfigBundle rest = *decoded;
  rest.redeemed = bundle.redeemed;
  EXPECT_EQ(rest, bundle) << "the rest as sent";

  boost::json::object both = BundleObject();
  both["redeemed_vouchers"] = boost::json::array();
  auto refused = DecodeConfigBundle(boost::json::serialize(both));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message(), "redeemed_vouchers: unknown member");
}

// The digest binds every field of the voucher, so a token with an honoured id and other
// content does not match.
TEST(ConfigBundleTest, AnHonouredVoucherDigestChangesWithEveryField) {
  const std::string digest =
      HonouredVoucherDigest("kiosk-9", "00000000000000a1", "store-1", "store", "Tote bag", 1800);
  EXPECT_EQ(digest.size(), 32u);
  EXPECT_EQ(digest, HonouredVoucherDigest("kiosk-9", "00000000000000a1", "store-1", "store",
                                          "Tote bag", 1800));
  const std::vector<std::string> others = {
      HonouredVoucherDigest("kiosk-8", "00000000000000a1", "store-1", "store", "Tote bag", 1800),
      HonouredVoucherDigest("kiosk-9", "00000000000000a2", "store-1", "store", "Tote bag", 1800),
      HonouredVoucherDigest("kiosk-9", "00000000000000a1", "store-2", "store", "Tote bag", 1800),
      HonouredVoucherDigest("kiosk-9", "00000000000000a1", "store-1", "fleet", "Tote bag", 1800),
      HonouredVoucherDigest("kiosk-9", "00000000000000a1", "store-1", "store", "Tote bags", 1800),
      HonouredVoucherDigest("kiosk-9", "00000000000000a1", "store-1", "store", "Tote bag", 1801),
      // The same bytes split differently between two fields.
      HonouredVoucherDigest("kiosk-9", "00000000000000a1", "store-1s", "tore", "Tote bag", 1800),
  };
  for (const std::string& other : others) EXPECT_NE(other, digest);
}

TEST(ConfigBundleTest, EtagsNameTheVersion) {
  EXPECT_EQ(ConfigBundleEtag(7), "\"v7\"");
  EXPECT_EQ(ParseConfigBundleEtag("\"v7\""), 7);
  EXPECT_EQ(ParseConfigBundleEtag("W/\"v12\""), 12);
  for (std::string_view bad : {"v7", "\"v\"", "\"v07\"", "\"7\"", "\"v7x\"", "\"v-1\"", ""}) {
    EXPECT_FALSE(ParseConfigBundleEtag(bad)) << bad;
  }
}

}  // namespace
}  // namespace kiosk_edge
