#pragma once

#include <sstream>
#include <string>

namespace kiosk_edge {

// Concatenates anything streamable: StrCat("seq ", 42, " of ", kiosk_id).
template <class... Parts>
std::string StrCat(const Parts&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  return out.str();
}

}  // namespace kiosk_edge
