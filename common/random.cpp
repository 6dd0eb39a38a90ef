#include "common/random.hpp"

#include <openssl/rand.h>

#include <vector>

namespace kiosk_edge {

Result<std::string> RandomHex(std::size_t byte_count) {
  std::vector<unsigned char> bytes(byte_count);
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    return Error(ErrorKind::kIo, "RAND_bytes failed: no entropy available");
  }
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(byte_count * 2);
  for (unsigned char b : bytes) {
    hex.push_back(kDigits[b >> 4]);
    hex.push_back(kDigits[b & 0xF]);
  }
  return hex;
}

}  // namespace kiosk_edge
