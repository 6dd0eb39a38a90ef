#include "agent/voucher_token.hpp"

#include <algorithm>

#include "common/crypto.hpp"
#include "common/http_forms.hpp"
#include "common/strings.hpp"

namespace kiosk_edge {
namespace {

constexpr std::uint8_t kFormat = 1;
constexpr std::size_t kIdBytes = 8;
constexpr std::size_t kMaxFieldBytes = 64;
constexpr std::string_view kSignatureContext{"kiosk-edge voucher v1\0", 22};

Error Invalid(std::string message) {
  return Error(ErrorKind::kInvalidArgument, std::move(message));
}

bool IsIdText(std::string_view id) {
  return !id.empty() && id.size() <= kMaxFieldBytes &&
         std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
         });
}

bool IsVoucherIdText(std::string_view id) {
  return id.size() == 2 * kIdBytes && std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// Reads the payload front to back; every read fails once the bytes run out.
class PayloadReader {
 public:
  explicit PayloadReader(std::string_view bytes) : rest_(bytes) {}
  bool Bytes(std::size_t n, std::string_view& out) {
    if (rest_.size() < n) return false;
    out = rest_.substr(0, n);
    rest_.remove_prefix(n);
    return true;
  }
  bool Byte(std::uint8_t& out) {
    std::string_view b;
    if (!Bytes(1, b)) return false;
    out = static_cast<std::uint8_t>(b[0]);
    return true;
  }
  bool Uint32(std::uint32_t& out) {
    std::string_view b;
    if (!Bytes(4, b)) return false;
    out = 0;
    for (char c : b) out = (out << 8) | static_cast<std::uint8_t>(c);
    return true;
  }
  bool Text(std::string& out) {
    std::uint8_t length = 0;
    std::string_view b;
    if (!Byte(length) || !Bytes(length, b)) return false;
    out.assign(b);
    return true;
  }
  bool AtEnd() const { return rest_.empty(); }

 private:
  std::string_view rest_;
};

void AppendText(std::string& out, std::string_view text) {
  out.push_back(static_cast<char>(text.size()));
  out.append(text);
}

std::string SignedMessage(std::string_view payload) {
  std::string message(kSignatureContext);
  message.append(payload);
  return message;
}

}  // namespace

std::string_view ToString(VoucherScope scope) {
  return scope == VoucherScope::kFleet ? "fleet" : "store";
}

Result<void> ValidateVoucher(const Voucher& voucher) {
  if (!IsVoucherIdText(voucher.id)) return Invalid("voucher id: not 16 lower-case hex digits");
  if (!IsIdText(voucher.kiosk_id)) return Invalid("voucher kiosk id: not 1..64 of A-Za-z0-9._-");
  if (!IsIdText(voucher.store_id)) return Invalid("voucher store id: not 1..64 of A-Za-z0-9._-");
  if (voucher.scope != VoucherScope::kStore && voucher.scope != VoucherScope::kFleet) {
    return Invalid("voucher scope: not store or fleet");
  }
  if (voucher.gift.empty() || voucher.gift.size() > kMaxFieldBytes || !IsValidUtf8(voucher.gift)) {
    return Invalid("voucher gift: not 1..64 bytes of UTF-8");
  }
  if (voucher.expires_at <= 0 || voucher.expires_at > 0xFFFFFFFFll) {
    return Invalid("voucher expiry: outside 1970..2106");
  }
  return {};
}

Result<std::string> SignVoucherToken(const Voucher& voucher, std::string_view device_private_key) {
  if (auto valid = ValidateVoucher(voucher); !valid) return valid.error();
  std::string payload;
  payload.push_back(static_cast<char>(kFormat));
  payload.append(HexDecode(voucher.id).value());
  const auto expires = static_cast<std::uint32_t>(voucher.expires_at);
  for (int shift = 24; shift >= 0; shift -= 8)
    payload.push_back(static_cast<char>(expires >> shift));
  payload.push_back(static_cast<char>(voucher.scope));
  AppendText(payload, voucher.kiosk_id);
  AppendText(payload, voucher.store_id);
  AppendText(payload, voucher.gift);
  auto signature = Ed25519Sign(device_private_key, SignedMessage(payload));
  if (!signature) return signature.error();
  return StrCat(kVoucherTokenPrefix, Base32Encode(payload + *signature));
}

Result<ParsedVoucherToken> ParseVoucherToken(std::string_view token) {
  if (token.size() > kMaxVoucherTokenLength) return Invalid("too long for a voucher");
  if (!token.starts_with(kVoucherTokenPrefix)) return Invalid("not a V1 voucher token");
  auto bytes = Base32Decode(token.substr(kVoucherTokenPrefix.size()));
  if (!bytes) return Invalid("not base32");
  if (bytes->size() < kEd25519SignatureSize + 1) return Invalid("truncated");
  const std::string_view payload =
      std::string_view(*bytes).substr(0, bytes->size() - kEd25519SignatureSize);

  ParsedVoucherToken parsed;
  Voucher& voucher = parsed.voucher;
  PayloadReader reader(payload);
  std::uint8_t format = 0, scope = 0;
  std::string_view id;
  std::uint32_t expires = 0;
  if (!reader.Byte(format)) return Invalid("truncated");
  if (format != kFormat) return Invalid("unknown voucher format");
  if (!reader.Bytes(kIdBytes, id) || !reader.Uint32(expires) || !reader.Byte(scope) ||
      !reader.Text(voucher.kiosk_id) || !reader.Text(voucher.store_id) ||
      !reader.Text(voucher.gift)) {
    return Invalid("truncated");
  }
  if (!reader.AtEnd()) return Invalid("malformed payload");
  voucher.id = HexEncode(id);
  voucher.expires_at = expires;
  voucher.scope = static_cast<VoucherScope>(scope);
  if (auto valid = ValidateVoucher(voucher); !valid) return valid.error();
  parsed.signed_message = SignedMessage(payload);
  parsed.signature = bytes->substr(payload.size());
  return parsed;
}

bool VerifyVoucherSignature(const ParsedVoucherToken& token, std::string_view signer_public_key) {
  return Ed25519Verify(signer_public_key, token.signed_message, token.signature);
}

Result<std::string> NewVoucherId() {
  auto bytes = RandomBytes(kIdBytes);
  if (!bytes) return bytes.error();
  return HexEncode(*bytes);
}

}  // namespace kiosk_edge
