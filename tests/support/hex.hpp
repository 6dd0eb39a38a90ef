#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "common/crypto.hpp"

namespace kiosk_edge::testing {

// The bytes of a hex test vector; a malformed vector fails the test that uses it.
inline std::string Hex(std::string_view hex) {
  auto bytes = HexDecode(hex);
  EXPECT_TRUE(bytes) << "bad hex in test: " << hex;
  return bytes ? *bytes : std::string();
}

}  // namespace kiosk_edge::testing
