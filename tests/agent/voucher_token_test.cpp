// Voucher tokens and their offline check (DESIGN.md section 5): every altered, truncated,
// unsigned or wrongly signed token is refused.
#include "agent/voucher_token.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <random>
#include <thread>

#include "agent/voucher_check.hpp"
#include "common/crypto.hpp"
#include "sync/protocol/config_bundle.hpp"

namespace kiosk_edge {
namespace {

constexpr std::int64_t kVoucherNow = 1'800'000'000;

struct Signer {
  std::string kiosk_id;
  Ed25519KeyPair key = GenerateEd25519KeyPair().value();
};

Voucher MakeVoucher(const std::string& kiosk_id, std::string id = "0123456789abcdef") {
  return Voucher{std::move(id),        kiosk_id,          "store-0001",
                 VoucherScope::kStore, "帆布袋 Tote bag", kVoucherNow + 30 * 86400};
}

TrustList Trusting(const std::vector<const Signer*>& signers) {
  TrustList trust;
  for (const Signer* signer : signers) trust.kiosk_keys[signer->kiosk_id] = signer->key.public_key;
  return trust;
}

TEST(VoucherTokenTest, SignedTokenParsesBackToTheSameVoucher) {
  const Signer kiosk{"kiosk-a"};
  const Voucher voucher = MakeVoucher(kiosk.kiosk_id);
  const std::string token = SignVoucherToken(voucher, kiosk.key.private_key).value();
  EXPECT_TRUE(token.starts_with("V1."));
  EXPECT_EQ(token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 3), std::string::npos)
      << "upper-case base32 after the prefix, so a QR code encodes it in alphanumeric mode";
  EXPECT_LT(token.size(), 220u);

  const auto parsed = ParseVoucherToken(token).value();
  EXPECT_EQ(parsed.voucher.id, voucher.id);
  EXPECT_EQ(parsed.voucher.kiosk_id, "kiosk-a");
  EXPECT_EQ(parsed.voucher.store_id, "store-0001");
  EXPECT_EQ(parsed.voucher.gift, "帆布袋 Tote bag");
  EXPECT_EQ(parsed.voucher.scope, VoucherScope::kStore);
  EXPECT_EQ(parsed.voucher.expires_at, voucher.expires_at);
  EXPECT_TRUE(VerifyVoucherSignature(parsed, kiosk.key.public_key));

  const VoucherCheck check = CheckVoucher(token, Trusting({&kiosk}), "store-0001", kVoucherNow);
  EXPECT_FALSE(check.refusal) << check.detail;
  ASSERT_TRUE(check.voucher);
  EXPECT_EQ(check.voucher->id, voucher.id);
}

TEST(VoucherTokenTest, InvalidVouchersAreNotSigned) {
  const Signer kiosk{"kiosk-a"};
  Voucher bad = MakeVoucher(kiosk.kiosk_id, "0123");
  EXPECT_FALSE(SignVoucherToken(bad, kiosk.key.private_key));
  bad = MakeVoucher(kiosk.kiosk_id);
  bad.gift = std::string(65, 'x');
  EXPECT_FALSE(SignVoucherToken(bad, kiosk.key.private_key));
  bad.gift = "\xff\xfe";
  EXPECT_FALSE(SignVoucherToken(bad, kiosk.key.private_key));
  bad = MakeVoucher("kiosk a");
  EXPECT_FALSE(SignVoucherToken(bad, kiosk.key.private_key));
  bad = MakeVoucher(kiosk.kiosk_id);
  bad.expires_at = std::int64_t{1} << 33;
  EXPECT_FALSE(SignVoucherToken(bad, kiosk.key.private_key));
}

// Every single-bit flip of every character of 1,000 genuine tokens is refused. A flip either
// breaks the text (not base32, no "V1." prefix) or yields another well-formed token whose
// signature cannot verify. Base32 is decoded strictly, so no flip can spell the same bytes.
TEST(VoucherTokenTest, EverySingleBitFlipOfAThousandTokensIsRefused) {
  const Signer kiosk{"kiosk-a"};
  const TrustList trust = Trusting({&kiosk});
  std::vector<std::string> tokens;
  for (int i = 0; i < 1000; ++i) {
    Voucher voucher = MakeVoucher(kiosk.kiosk_id, NewVoucherId().value());
    voucher.expires_at += i;
    if (i % 2 == 1) voucher.scope = VoucherScope::kFleet;
    tokens.push_back(SignVoucherToken(voucher, kiosk.key.private_key).value());
  }
  std::atomic<std::size_t> next{0}, flips{0}, verified{0}, accepted{0};
  const auto work = [&] {
    for (std::size_t t = next++; t < tokens.size(); t = next++) {
      const std::string& token = tokens[t];
      for (std::size_t bit = 0; bit < token.size() * 8; ++bit) {
        std::string flipped = token;
        flipped[bit / 8] = static_cast<char>(flipped[bit / 8] ^ (1 << (bit % 8)));
        ++flips;
        const VoucherCheck check = CheckVoucher(flipped, trust, "store-0001", kVoucherNow);
        if (check.detail == "bad signature") ++verified;
        if (!check.refusal) ++accepted;
      }
    }
  };
  std::vector<std::thread> threads;
  for (unsigned i = 0; i < std::max(2u, std::thread::hardware_concurrency()); ++i) {
    threads.emplace_back(work);
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(accepted.load(), 0u);
  EXPECT_GT(flips.load(), 1000u * 8 * 150);
  // Many flips give well-formed tokens: the signature, not the parser, refuses those.
  EXPECT_GT(verified.load(), 1000u * 100) << "flips that reached the signature check";
}

TEST(VoucherTokenTest, TruncatedUnsignedAndWrongKeyTokensAreRefused) {
  const Signer kiosk{"kiosk-a"};
  const Signer impostor{"kiosk-a"};  // claims kiosk-a's name with its own key
  const TrustList trust = Trusting({&kiosk});
  const Voucher voucher = MakeVoucher(kiosk.kiosk_id);
  const std::string token = SignVoucherToken(voucher, kiosk.key.private_key).value();

  for (std::size_t length = 0; length < token.size(); ++length) {
    const VoucherCheck check =
        CheckVoucher(token.substr(0, length), trust, "store-0001", kVoucherNow);
    EXPECT_EQ(check.refusal, VoucherRefusal::kNotAVoucher) << "truncated to " << length;
  }
  // Unsigned: the payload alone, and the payload with an all-zero signature.
  const std::string bytes = Base32Decode(std::string_view(token).substr(3)).value();
  const std::string unsigned_payload = bytes.substr(0, bytes.size() - 64);
  for (const std::string& body : {unsigned_payload, unsigned_payload + std::string(64, '\0')}) {
    const VoucherCheck check =
        CheckVoucher("V1." + Base32Encode(body), trust, "store-0001", kVoucherNow);
    EXPECT_EQ(check.refusal, VoucherRefusal::kNotAVoucher);
  }
  const std::string forged = SignVoucherToken(voucher, impostor.key.private_key).value();
  const VoucherCheck check = CheckVoucher(forged, trust, "store-0001", kVoucherNow);
  EXPECT_EQ(check.refusal, VoucherRefusal::kNotAVoucher);
  EXPECT_EQ(check.detail, "bad signature");
  EXPECT_FALSE(check.voucher) << "a forgery says nothing about which voucher it claims to be";

  for (const std::string& junk : {std::string(""), std::string("V1."), std::string("V2.AAAA"),
                                  std::string("HTTP://STORE/C/EL3.AAAA"), token + "A",
                                  "v1." + token.substr(3), std::string(5000, 'A')}) {
    EXPECT_EQ(CheckVoucher(junk, trust, "store-0001", kVoucherNow).refusal,
              VoucherRefusal::kNotAVoucher)
        << junk.substr(0, 40);
  }
}

TEST(VoucherCheckTest, EachRefusalHasItsOwnReason) {
  const Signer kiosk{"kiosk-a"};
  const Signer stranger{"kiosk-z"};
  TrustList trust = Trusting({&kiosk});
  const Voucher voucher = MakeVoucher(kiosk.kiosk_id);
  const std::string token = SignVoucherToken(voucher, kiosk.key.private_key).value();

  const std::string unknown =
      SignVoucherToken(MakeVoucher(stranger.kiosk_id), stranger.key.private_key).value();
  EXPECT_EQ(CheckVoucher(unknown, trust, "store-0001", kVoucherNow).refusal,
            VoucherRefusal::kUnknownSigner);

  EXPECT_EQ(CheckVoucher(token, trust, "store-0001", voucher.expires_at).refusal,
            VoucherRefusal::kExpired);
  EXPECT_FALSE(CheckVoucher(token, trust, "store-0001", voucher.expires_at - 1).refusal);

  const VoucherCheck other_store = CheckVoucher(token, trust, "store-0002", kVoucherNow);
  EXPECT_EQ(other_store.refusal, VoucherRefusal::kWrongStore);
  ASSERT_TRUE(other_store.voucher);
  EXPECT_EQ(other_store.voucher->store_id, "store-0001");

  Voucher fleet = voucher;
  fleet.scope = VoucherScope::kFleet;
  const std::string fleet_token = SignVoucherToken(fleet, kiosk.key.private_key).value();
  EXPECT_FALSE(CheckVoucher(fleet_token, trust, "store-0002", kVoucherNow).refusal)
      << "fleet vouchers are good in every store";

  TrustList revoked_voucher = trust;
  revoked_voucher.revoked_vouchers.insert("kiosk-a/" + voucher.id);
  EXPECT_EQ(CheckVoucher(token, revoked_voucher, "store-0001", kVoucherNow).refusal,
            VoucherRefusal::kRevoked);
  TrustList redeemed_elsewhere = trust;
  redeemed_elsewhere.redeemed_elsewhere.insert("kiosk-a/" + voucher.id);
  EXPECT_EQ(CheckVoucher(token, redeemed_elsewhere, "store-0001", kVoucherNow).refusal,
            VoucherRefusal::kAlreadyRedeemed);
  TrustList revoked_kiosk = trust;
  revoked_kiosk.revoked_kiosks.insert("kiosk-a");
  EXPECT_EQ(CheckVoucher(token, revoked_kiosk, "store-0001", kVoucherNow).refusal,
            VoucherRefusal::kRevoked);
}

// A revoked kiosk's key is off the trust list; HQ's honoured list names the vouchers still
// good, checked with that key.
TEST(VoucherCheckTest, ARevokedKiosksVouchersPassOnlyWhenHqHonoursThem) {
  const Signer stolen{"kiosk-s"};
  const Signer other{"kiosk-o"};
  const Voucher genuine = MakeVoucher(stolen.kiosk_id, "00000000000000a1");
  const Voucher later = MakeVoucher(stolen.kiosk_id, "00000000000000b2");
  const std::string genuine_token = SignVoucherToken(genuine, stolen.key.private_key).value();
  const std::string later_token = SignVoucherToken(later, stolen.key.private_key).value();
  TrustList trust = Trusting({&other});
  trust.revoked_kiosks.insert(stolen.kiosk_id);
  EXPECT_EQ(CheckVoucher(genuine_token, trust, "store-0001", kVoucherNow).refusal,
            VoucherRefusal::kUnknownSigner)
      << "revoked, and nothing honoured";

  const auto digest = [](const Voucher& v) {
    return HonouredVoucherDigest(v.kiosk_id, v.id, v.store_id, ToString(v.scope), v.gift,
                                 v.expires_at);
  };
  trust.honoured[stolen.kiosk_id] = {stolen.key.public_key, {{genuine.id, digest(genuine)}}};
  const VoucherCheck accepted = CheckVoucher(genuine_token, trust, "store-0001", kVoucherNow);
  EXPECT_FALSE(accepted.refusal) << accepted.detail;
  ASSERT_TRUE(accepted.voucher);
  EXPECT_EQ(accepted.voucher->id, genuine.id);
  const VoucherCheck not_honoured = CheckVoucher(later_token, trust, "store-0001", kVoucherNow);
  EXPECT_EQ(not_honoured.refusal, VoucherRefusal::kRevoked);
  EXPECT_EQ(not_honoured.detail, "kiosk kiosk-s is revoked");

  // Honoured is not a pass past the other checks.
  EXPECT_EQ(CheckVoucher(genuine_token, trust, "store-0001", genuine.expires_at).refusal,
            VoucherRefusal::kExpired);
  EXPECT_EQ(CheckVoucher(genuine_token, trust, "store-0002", kVoucherNow).refusal,
            VoucherRefusal::kWrongStore);
  TrustList redeemed = trust;
  redeemed.redeemed_elsewhere.insert("kiosk-s/" + genuine.id);
  EXPECT_EQ(CheckVoucher(genuine_token, redeemed, "store-0001", kVoucherNow).refusal,
            VoucherRefusal::kAlreadyRedeemed);
  TrustList revoked_voucher = trust;
  revoked_voucher.revoked_vouchers.insert("kiosk-s/" + genuine.id);
  EXPECT_EQ(CheckVoucher(genuine_token, revoked_voucher, "store-0001", kVoucherNow).refusal,
            VoucherRefusal::kRevoked);

  // The stolen key signing an honoured id with a bigger gift, or longer, or for the fleet.
  for (const auto& change : std::vector<std::function<void(Voucher&)>>{
           [](Voucher& v) { v.gift = "Television"; }, [](Voucher& v) { v.expires_at += 86400; },
           [](Voucher& v) { v.scope = VoucherScope::kFleet; },
           [](Voucher& v) { v.store_id = "store-0002"; }}) {
    Voucher altered = genuine;
    change(altered);
    const VoucherCheck check =
        CheckVoucher(SignVoucherToken(altered, stolen.key.private_key).value(), trust, "store-0001",
                     kVoucherNow);
    EXPECT_EQ(check.refusal, VoucherRefusal::kRevoked) << altered.gift;
    EXPECT_NE(check.detail.find("other content"), std::string::npos) << check.detail;
  }

  // A token in the stolen kiosk's name signed with another key is forged, honoured id or not.
  const std::string forged = SignVoucherToken(genuine, other.key.private_key).value();
  EXPECT_EQ(CheckVoucher(forged, trust, "store-0001", kVoucherNow).refusal,
            VoucherRefusal::kNotAVoucher);
}

TEST(VoucherCheckTest, ScannerInputIsTrimmedAndUpperCased) {
  EXPECT_EQ(NormalizeScannedCode("  v1.abcd2345\r\n"), "V1.ABCD2345");
  EXPECT_EQ(NormalizeScannedCode("\tV1.AB\n"), "V1.AB");
  EXPECT_EQ(NormalizeScannedCode(""), "");
}

TEST(VoucherCheckTest, TrustStoreSwapsWholeLists) {
  const Signer kiosk{"kiosk-a"};
  TrustStore store(Trusting({&kiosk}));
  const auto before = store.Current();
  store.Replace(TrustList{});
  EXPECT_EQ(before->kiosk_keys.size(), 1u) << "a reader keeps the list it took";
  EXPECT_TRUE(store.Current()->kiosk_keys.empty());
}

}  // namespace
}  // namespace kiosk_edge
