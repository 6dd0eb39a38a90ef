#include "sync/profile_store/scanner_key.hpp"

#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "common/strings.hpp"

namespace kiosk_edge {
namespace {

// Like HmacSha256 (common/crypto.cpp): only a broken OpenSSL install gets here, and a wrong key
// must never be stored.
[[noreturn]] void Fatal() {
  std::fputs("kiosk-edge: fatal: MD5 unavailable in OpenSSL\n", stderr);
  std::abort();
}

// Fetched once: an implicit fetch per digest costs more than the digest of a few dozen bytes.
const EVP_MD* Md5() {
  static const std::unique_ptr<EVP_MD, decltype(&EVP_MD_free)> md(
      EVP_MD_fetch(nullptr, "MD5", nullptr), &EVP_MD_free);
  if (!md) Fatal();
  return md.get();
}

}  // namespace

std::int64_t ScannerKey(std::string_view kiosk_id, std::string_view device_id) {
  const std::string text = StrCat(kiosk_id, " ", device_id);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &size, Md5(), nullptr) != 1 || size < 8) {
    Fatal();
  }
  std::uint64_t key = 0;
  for (int i = 0; i < 8; ++i) key = (key << 8) | digest[i];
  return static_cast<std::int64_t>(key);
}

std::string ScannerKeySql(std::string_view kiosk_id, std::string_view device_id) {
  return StrCat("('x' || left(md5(", kiosk_id, " || ' ' || ", device_id,
                "), 16))::bit(64)::bigint");
}

std::string ScansOfDeviceSql(std::string_view scans, std::string_view link) {
  return StrCat(scans, ".scanner_key = ",
                ScannerKeySql(StrCat(link, ".kiosk_id"), StrCat(link, ".device_id")), " AND ",
                scans, ".kiosk_id = ", link, ".kiosk_id AND ", scans, ".device_id = ", link,
                ".device_id");
}

}  // namespace kiosk_edge
