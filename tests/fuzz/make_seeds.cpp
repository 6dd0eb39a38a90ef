// Writes the seed corpora under a folder (`fuzz_make_seeds tests/fuzz/corpus`): a few valid inputs
// per target, signed with fuzz_support.hpp's fixed keys, and near-valid ones (one field or byte
// wrong). Deterministic, so running it again changes no checked-in file unless a format changed.

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "agent/channel_token.hpp"
#include "agent/voucher_token.hpp"
#include "common/crypto.hpp"
#include "sync/protocol/batch.hpp"
#include "sync/protocol/config_bundle.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace kiosk_edge::fuzz {
namespace {

namespace fs = std::filesystem;

class SeedWriter {
 public:
  explicit SeedWriter(fs::path root) : root_(std::move(root)) {}

  void Write(std::string_view target, std::string_view name, std::string_view bytes) {
    fs::create_directories(root_ / target);
    std::ofstream out(root_ / target / name, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) failed_ = true;
  }
  bool failed() const { return failed_; }

 private:
  fs::path root_;
  bool failed_ = false;
};

// `text` with the character at `index` replaced by `c`.
std::string Altered(std::string text, std::size_t index, char c) {
  text.at(index) = c;
  return text;
}

void ChannelTokens(SeedWriter& out) {
  const auto codec = ChannelTokenCodec::Create(ChannelKeys(), 'A', kChannelKeyOverlap).value();
  const std::string lobby = codec.Issue("LOBBY-1").value();
  out.Write("channel_token_fuzz", "valid_a", lobby);
  out.Write("channel_token_fuzz", "valid_long_id",
            codec.Issue("SH-PD-ELEV3-V2-0123456789ABCDEFG").value());
  auto retired = ChannelKeys();
  std::swap(retired[0].retired_at_unix_s, retired[1].retired_at_unix_s);
  const auto old_codec = ChannelTokenCodec::Create(retired, 'B', kChannelKeyOverlap).value();
  out.Write("channel_token_fuzz", "valid_retired_key_b", old_codec.Issue("ELEV-3").value());
  std::string lower = lobby;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  out.Write("channel_token_fuzz", "valid_lower_case", lower);
  out.Write("channel_token_fuzz", "bad_mac", Altered(lobby, lobby.size() - 3, 'Q'));
  out.Write("channel_token_fuzz", "unknown_key", Altered(lobby, lobby.find('.') + 1, 'Z'));
  out.Write("channel_token_fuzz", "no_dot", "LOBBY-1");
}

Voucher SeedVoucher() {
  Voucher voucher;
  voucher.id = "0123456789abcdef";
  voucher.kiosk_id = "kiosk-1";
  voucher.store_id = "store-0001";
  voucher.scope = VoucherScope::kStore;
  voucher.gift = "Tote bag";
  voucher.expires_at = 1'900'000'000;
  return voucher;
}

void VoucherTokens(SeedWriter& out) {
  const std::string store = SignVoucherToken(SeedVoucher(), kVoucherDeviceKey).value();
  out.Write("voucher_token_fuzz", "valid_store", store);
  Voucher fleet = SeedVoucher();
  fleet.scope = VoucherScope::kFleet;
  fleet.gift = "\xE5\xB8\x86\xE5\xB8\x83\xE8\xA2\x8B";  // UTF-8 gift text
  out.Write("voucher_token_fuzz", "valid_fleet_utf8",
            SignVoucherToken(fleet, kVoucherDeviceKey).value());
  out.Write("voucher_token_fuzz", "forged", Altered(store, store.size() / 2, 'A'));
  out.Write("voucher_token_fuzz", "truncated", store.substr(0, store.size() - 8));
  out.Write("voucher_token_fuzz", "prefix_only", "V1.");
}

void SignupForms(SeedWriter& out) {
  const std::string_view target = "signup_form_fuzz";
  out.Write(target, "valid_china_mobile",
            "channel=LOBBY-1&name=Li+Wei&phone=138+1234+5678&consent_service=yes&csrf=abc123");
  out.Write(target, "valid_hong_kong_marketing",
            "name=%E6%9D%8E%E4%BC%9F&phone=%2B852-9123-4567&consent_service=yes"
            "&consent_marketing=yes&touch=1");
  out.Write(target, "valid_full_width_digits",
            "name=Ann&phone=%EF%BC%91%EF%BC%93%EF%BC%98%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94"
            "%EF%BC%95%EF%BC%96%EF%BC%97%EF%BC%98&consent_service=yes");
  out.Write(target, "no_consent", "name=Ann&phone=0086+13812345678");
  out.Write(target, "bad_escape", "name=%E6%9D&phone=%2");
  out.Write(target, "cookies", "kd=device-1; lang=en");
}

EventBatch SeedBatch() {
  EventBatch batch;
  batch.kiosk_id = "kiosk-1";
  batch.incarnation = "9f2c0a";
  batch.first_seq = 501;
  batch.last_seq = 502;
  batch.events.push_back(WireEvent{501, "scan", 1'800'000'000'000, 42, "boot-1", "LOBBY-1", 1,
                                   R"({"code":"channel","valid":true,"device":"d1"})"});
  batch.events.push_back(
      WireEvent{502, "signup", 1'800'000'001'000, 1'000'042, "boot-1", std::nullopt, 1,
                R"({"device":"d1","campaign":"spring","name":"sealed","phone":"sealed"})"});
  return batch;
}

void SyncBatches(SeedWriter& out) {
  const std::string json = EncodeBatchJson(SeedBatch()).value();
  out.Write("sync_batch_fuzz", "valid_two_events", json);
  EventBatch single = SeedBatch();
  single.events.resize(1);
  single.last_seq = 501;
  out.Write("sync_batch_fuzz", "valid_one_event", EncodeBatchJson(single).value());
  out.Write("sync_batch_fuzz", "gzipped_valid", EncodeBatch(SeedBatch()).value());
  std::string gap = json;
  gap.replace(gap.find("\"seq\":502"), 9, "\"seq\":503");
  out.Write("sync_batch_fuzz", "sequence_gap", gap);

  BatchAnswer answer{
      "9f2c0a", 502, {{7, "signup without a phone"}, {9, "unknown type"}}, {}, {{300, 310}}};
  out.Write("sync_answer_fuzz", "valid_rejected", EncodeAnswer(answer).value());
  out.Write("sync_answer_fuzz", "valid_empty", EncodeAnswer({"9f2c0a", 0, {}, {}, {}}).value());
  out.Write("sync_answer_fuzz", "unordered",
            R"({"incarnation":"x","high_water":5,"rejected":[{"seq":3,"reason":"a"},)"
            R"({"seq":2,"reason":"b"}]})");
}

void ConfigBundles(SeedWriter& out) {
  ConfigBundle bundle;
  bundle.version = 7;
  bundle.channels.push_back(BundleChannel{"LOBBY-1", "Lobby poster", "poster",
                                          "north/greenwood/lobby", "spring", "store-1",
                                          1'800'000'000'000, std::nullopt, false});
  bundle.channel_keys.push_back(BundleTokenKey{'A', std::string(32, '\x11'), 1'800'000'000});
  bundle.channel_keys.push_back(BundleTokenKey{'B', std::string(32, '\x22'), std::nullopt});
  bundle.signing_key_id = 'B';
  bundle.hq_public_key = std::string(32, '\x33');
  bundle.trusted_kiosks = {{"kiosk-1", std::string(32, '\x44')}};
  bundle.revoked_kiosks = {"kiosk-9"};
  bundle.revoked_vouchers = {"kiosk-1/0123456789abcdef"};
  bundle.honoured_vouchers = {
      {"kiosk-9", {std::string(32, '\x55'), {{"00000000000000a1", std::string(32, 'a')}}}}};
  bundle.honoured_digest = HonouredListDigest(bundle.honoured_vouchers);
  bundle.redeemed = {
      5, "kiosk-2/fedcba9876543210", 3, {{"kiosk-2/fedcba9876543210", 1'900'000'000}}};
  bundle.erased_subjects = {std::string(52, 'A')};
  const std::string full = EncodeConfigBundle(bundle).value();
  out.Write("config_bundle_fuzz", "valid_full", full);
  ConfigBundle empty;
  empty.hq_public_key = std::string(32, '\x01');
  out.Write("config_bundle_fuzz", "valid_empty", EncodeConfigBundle(empty).value());
  // Signed by the retired key: refused.
  std::string retired_signer = full;
  retired_signer.replace(retired_signer.find(R"("signing_key_id":"B")"), 20,
                         R"("signing_key_id":"A")");
  out.Write("config_bundle_fuzz", "retired_signer", retired_signer);
  out.Write("config_bundle_fuzz", "etag", ConfigBundleEtag(7));
  out.Write("config_bundle_fuzz", "etag_weak", "W/" + ConfigBundleEtag(12345));
}

void ConfigFiles(SeedWriter& out) {
  const std::string_view target = "config_file_fuzz";
  const std::string pin_hash = "scrypt$15$8$1$" + Base64UrlEncode(std::string(16, 's')) + "$" +
                               Base64UrlEncode(std::string(32, 'k'));
  out.Write(
      target, "valid_agent.toml",
      "[kiosk]\nid = \"kiosk-1\"\nstore_id = \"store-0001\"\npresence_step_seconds = 30\n"
      "[http]\nlisten_address = \"::1\"\nport = 0\nread_timeout_ms = 10000\n"
      "public_base_url = \"http://192.168.1.20:8470/\"\n"
      "[shopper]\nextra_country_codes = \"852,853\"\n"
      "[channels.LOBBY-1]\nname = \"Lobby poster\"\nmedium = \"poster\"\n"
      "path = \"north/greenwood/lobby\"\n"
      "[vouchers]\ngift = \"Tote bag\"\nvalid_days = 30\nscope = \"fleet\"\n"
      "[staff.li-na]\nname = \"Li Na\"\npin_hash = \"" +
          pin_hash +
          "\"\n"
          "[counter]\nsession_minutes = 480\ncamera_device = \"/dev/video0\"\n"
          "[sync]\nbackoff_base_ms = 1000\nbackoff_cap_ms = 300000\n[log]\nlevel = \"debug\"\n");
  out.Write(target, "valid_profile_store.toml",
            "[server]\nlisten_address = \"0.0.0.0\"\nport = 8443\n"
            "names = \"hq.example.com, 10.0.0.5\"\nmax_upload_body_bytes = 1048576\n"
            "[storage]\nbackend = \"postgres\"\npostgres_url = \"host=/tmp dbname=hq\"\n"
            "[enrollment]\ntoken_valid_hours = 24\n");
  out.Write(target, "typed_reads.toml",
            "a = { text = \"x\", flag = true, number = 3, port = 8080, timeout_ms = 5, "
            "choice = \"b\" }\n");
  out.Write(target, "wrong_types.toml",
            "[http]\nport = \"8470\"\nmax_connections = 0\n[kiosk.id]\nx = 1\nunknown = 2\n"
            "when = 2026-11-22T09:00:00Z\nlist = [1, \"a\", [2.5]]\n");
  out.Write(target, "syntax_error.toml", "[http\nport = = 1\n");
}

}  // namespace
}  // namespace kiosk_edge::fuzz

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: fuzz_make_seeds CORPUS_DIR\n";
    return 2;
  }
  kiosk_edge::fuzz::SeedWriter out(argv[1]);
  kiosk_edge::fuzz::ChannelTokens(out);
  kiosk_edge::fuzz::VoucherTokens(out);
  kiosk_edge::fuzz::SignupForms(out);
  kiosk_edge::fuzz::SyncBatches(out);
  kiosk_edge::fuzz::ConfigBundles(out);
  kiosk_edge::fuzz::ConfigFiles(out);
  if (out.failed()) {
    std::cerr << "fuzz_make_seeds: could not write every seed under " << argv[1] << "\n";
    return 1;
  }
  return 0;
}
