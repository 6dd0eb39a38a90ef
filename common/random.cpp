#include "common/random.hpp"

#include "common/crypto.hpp"

namespace kiosk_edge {

Result<std::string> RandomHex(std::size_t byte_count) {
  auto bytes = RandomBytes(byte_count);
  if (!bytes) return bytes.error();
  return HexEncode(*bytes);
}

}  // namespace kiosk_edge
