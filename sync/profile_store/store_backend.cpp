#include "sync/profile_store/store_backend.hpp"

#include <algorithm>

#include "common/crypto.hpp"
#include "common/strings.hpp"
#include "sync/protocol/wire_grammar.hpp"

namespace kiosk_edge {
namespace {

constexpr std::size_t kTokenBytes = 20;  // 160 bits: 32 base32 characters
constexpr std::string_view kTokenHashKey = "kiosk-edge enrollment token v1";

// Tokens are random and long, so a keyed hash under a constant only separates this use from
// others; it is not what keeps them secret.
std::string TokenHash(std::string_view token) {
  return HexEncode(HmacSha256(kTokenHashKey, token));
}

bool IsSerial(std::string_view serial) {
  return !serial.empty() && serial.size() <= 128 &&
         std::all_of(serial.begin(), serial.end(), [](char c) { return c > ' ' && c < 127; });
}

}  // namespace

Error EnrollmentTokenUnknown() { return Error(ErrorKind::kNotFound, "enrollment token unknown"); }
Error EnrollmentTokenUsed() { return Error(ErrorKind::kConflict, "enrollment token already used"); }
Error EnrollmentTokenExpired() {
  return Error(ErrorKind::kInvalidArgument, "enrollment token expired");
}

std::int64_t StoreBackend::NowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_.WallNow().time_since_epoch())
      .count();
}

Result<BatchAnswer> StoreBackend::Ingest(const EventBatch& batch,
                                         boost::asio::thread_pool* helpers) {
  if (auto valid = ValidateBatch(batch); !valid) return valid.error();
  const std::vector<PreparedEvent> prepared = PrepareEvents(batch, identity_, helpers);
  auto answer = CommitBatch(batch, prepared, NowMs());
  if (!answer) {
    return answer.error().WithContext(StrCat("ingest ", batch.kiosk_id, "/", batch.incarnation,
                                             " seqs ", batch.first_seq, "-", batch.last_seq));
  }
  return answer;
}

Result<StoreBackend::ConsentWithdrawn> StoreBackend::WithdrawConsent(std::string_view profile_key) {
  const std::int64_t now_ms = NowMs();
  auto known = StoreConsentWithdrawal(std::string(profile_key), now_ms);
  if (!known) return known.error().WithContext("withdraw consent");
  return ConsentWithdrawn{*known, now_ms};
}

Result<std::string> StoreBackend::CreateEnrollmentToken(std::string_view kiosk_id,
                                                        std::chrono::seconds ttl) {
  if (!wire::IsKioskId(kiosk_id)) {
    return Error(ErrorKind::kInvalidArgument, "enrollment token: not a valid kiosk id");
  }
  if (ttl <= std::chrono::seconds(0) || ttl > std::chrono::hours(24 * 366)) {
    return Error(ErrorKind::kInvalidArgument,
                 "enrollment token: lifetime must be between 1 s and a year");
  }
  auto bytes = RandomBytes(kTokenBytes);
  if (!bytes) return bytes.error().WithContext("enrollment token");
  std::string token = Base32Encode(*bytes);
  SecureWipe(*bytes);
  const std::int64_t now_ms = NowMs();
  const std::int64_t expires_ms =
      now_ms + std::chrono::duration_cast<std::chrono::milliseconds>(ttl).count();
  if (auto stored = StoreEnrollmentToken(TokenHash(token), kiosk_id, now_ms, expires_ms); !stored) {
    return stored.error().WithContext("enrollment token");
  }
  return token;
}

Result<std::string> StoreBackend::ConsumeEnrollmentToken(std::string_view token) {
  if (token.size() != 32 || !std::all_of(token.begin(), token.end(), IsBase32Char)) {
    return EnrollmentTokenUnknown();
  }
  return TakeEnrollmentToken(TokenHash(token), NowMs());
}

Result<void> StoreBackend::RegisterKiosk(const KioskRegistration& registration) {
  if (!wire::IsKioskId(registration.kiosk_id)) {
    return Error(ErrorKind::kInvalidArgument, "register kiosk: not a valid kiosk id");
  }
  if (!IsSerial(registration.cert_serial)) {
    return Error(ErrorKind::kInvalidArgument,
                 "register kiosk: certificate serial must be 1-128 printable characters");
  }
  if (!registration.device_public_key.empty() && registration.device_public_key.size() != 32) {
    return Error(ErrorKind::kInvalidArgument, "register kiosk: device key must be 32 bytes");
  }
  auto existing = FindKiosk(registration.kiosk_id);
  if (!existing) return existing.error();
  if (*existing && (*existing)->revoked) {
    return Error(ErrorKind::kConflict,
                 StrCat("kiosk ", registration.kiosk_id, " is revoked and cannot enroll again"));
  }
  return StoreKiosk(registration, NowMs());
}

Result<void> StoreBackend::RenewKioskCertificate(const KioskRenewal& renewal) {
  if (!IsSerial(renewal.cert_serial) || !IsSerial(renewal.presented_serial)) {
    return Error(ErrorKind::kInvalidArgument,
                 "renew certificate: serials must be 1-128 printable characters");
  }
  auto existing = FindKiosk(renewal.kiosk_id);
  if (!existing) return existing.error();
  const auto refuse = [&renewal](ErrorKind kind, std::string_view why) {
    return Error(kind, StrCat("renew the certificate of kiosk ", renewal.kiosk_id, ": ", why));
  };
  if (!*existing) return refuse(ErrorKind::kNotFound, "no such kiosk is registered");
  const KioskRecord& kiosk = **existing;
  if (kiosk.revoked) return refuse(ErrorKind::kConflict, "the kiosk is revoked");
  if (kiosk.device_public_key.empty()) {
    return refuse(ErrorKind::kConflict,
                  "HQ has no device key for it (enrolled before HQ kept keys): enroll it again");
  }
  if (renewal.device_public_key != kiosk.device_public_key) {
    return refuse(ErrorKind::kInvalidArgument,
                  "the CSR is not for its registered device key (a new key takes enrolling again)");
  }
  const auto superseded = [&refuse] {
    return refuse(ErrorKind::kConflict,
                  "the certificate presented is no longer its own (it enrolled again since)");
  };
  if (renewal.presented_serial != kiosk.cert_serial &&
      renewal.presented_serial != kiosk.previous_cert_serial) {
    return superseded();
  }
  auto renewed = StoreRenewal(renewal);
  if (!renewed) return renewed.error();
  if (!*renewed) return superseded();  // enrolled, renewed or revoked since FindKiosk
  return {};
}

Result<void> StoreBackend::RevokeKiosk(std::string_view kiosk_id) {
  auto existing = FindKiosk(kiosk_id);
  if (!existing) return existing.error();
  if (!*existing) {
    return Error(ErrorKind::kNotFound, StrCat("revoke: no kiosk ", kiosk_id, " is registered"));
  }
  if ((*existing)->revoked) return {};
  return MarkKioskRevoked(kiosk_id, NowMs());
}

Result<std::int64_t> StoreBackend::HonourVouchersOf(std::string_view kiosk_id,
                                                    std::int64_t received_before_ms) {
  auto cutoff_ms = HonourCutoffFor(kiosk_id, received_before_ms);
  if (!cutoff_ms) return cutoff_ms;
  if (auto stored = StoreHonourCutoff(kiosk_id, *cutoff_ms); !stored) return stored.error();
  return cutoff_ms;
}

Result<std::int64_t> StoreBackend::HonourCutoffFor(std::string_view kiosk_id,
                                                   std::int64_t received_before_ms) {
  auto existing = FindKiosk(kiosk_id);
  if (!existing) return existing.error();
  if (!*existing) {
    return Error(ErrorKind::kNotFound,
                 StrCat("honour vouchers: no kiosk ", kiosk_id, " is registered"));
  }
  const KioskRecord& kiosk = **existing;
  if (!kiosk.revoked) {
    return Error(ErrorKind::kConflict,
                 StrCat("honour vouchers: kiosk ", kiosk_id,
                        " is not revoked: kiosks accept its vouchers already"));
  }
  if (kiosk.device_public_key.empty()) {  // RegisterKiosk keeps 32 bytes or none
    return Error(ErrorKind::kConflict,
                 StrCat("honour vouchers: HQ holds no device key of kiosk ", kiosk_id,
                        " (enrolled before HQ kept them): kiosks could not check its vouchers"));
  }
  // Issues received after the revocation may be the thief's: never past it.
  return std::min(received_before_ms, kiosk.revoked_at_ms.value_or(received_before_ms));
}

Result<void> StoreBackend::NoteContact(std::string_view kiosk_id,
                                       std::optional<std::int64_t> clock_offset_ms) {
  const std::int64_t now_ms = NowMs();
  return StoreContact(kiosk_id, now_ms,
                      now_ms - std::chrono::milliseconds(kContactResolution).count(),
                      clock_offset_ms);
}

Result<std::int64_t> StoreBackend::BundleVersionFor(std::string_view content_digest) {
  if (!wire::IsLowerHex(content_digest, 64)) {
    return Error(ErrorKind::kInvalidArgument,
                 "bundle version: the content digest must be 64 lower-case hex digits");
  }
  return StoreBundleDigest(content_digest, NowMs());
}

Result<bool> StoreBackend::IsRevoked(std::string_view kiosk_id, std::string_view cert_serial) {
  auto existing = FindKiosk(kiosk_id);
  if (!existing) return existing.error();
  return !*existing || (*existing)->revoked ||
         ((*existing)->cert_serial != cert_serial &&
          (*existing)->previous_cert_serial != cert_serial);
}

}  // namespace kiosk_edge
