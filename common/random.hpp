#pragma once

#include <cstddef>
#include <string>

#include "common/error.hpp"

namespace kiosk_edge {

// `byte_count` bytes from the operating system's CSPRNG (OpenSSL RAND_bytes), as lower-case hex.
Result<std::string> RandomHex(std::size_t byte_count);

}  // namespace kiosk_edge
