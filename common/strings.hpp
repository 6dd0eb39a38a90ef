#pragma once

#include <charconv>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace kiosk_edge {

namespace detail {

template <class Part>
void AppendPart(std::string& out, const Part& part) {
  if constexpr (std::is_convertible_v<const Part&, std::string_view>) {
    out.append(std::string_view(part));
  } else if constexpr (std::is_same_v<Part, char>) {
    out.push_back(part);
  } else if constexpr (std::is_same_v<Part, bool>) {
    out.append(part ? "true" : "false");
  } else if constexpr (std::is_integral_v<Part>) {
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, part).ptr;
    out.append(digits, end);
  } else {
    std::ostringstream stream;  // anything else streamable (floating point, paths)
    stream << part;
    out.append(stream.str());
  }
}

}  // namespace detail

// Concatenates strings, characters, integers and anything streamable:
// StrCat("seq ", 42, " of ", kiosk_id). On hot paths (page rendering) it appends in place.
template <class... Parts>
std::string StrCat(const Parts&... parts) {
  std::string out;
  // Reserving first also keeps GCC 12 from a false -Wrestrict on the appends (GCC bug 105329).
  out.reserve(64);
  (detail::AppendPart(out, parts), ...);
  return out;
}

// `parts` with `separator` between each two: StrJoin({"a", "b"}, "; ") is "a; b".
inline std::string StrJoin(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out.append(separator);
    out.append(parts[i]);
  }
  return out;
}

// The first `max_bytes` of `text` on one line (CR and LF as spaces): for quoting a peer's answer
// in a message, or a status that must stay one line.
inline std::string OneLine(std::string_view text, std::size_t max_bytes = std::string_view::npos) {
  std::string line(text.substr(0, max_bytes));
  for (char& c : line) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return line;
}

}  // namespace kiosk_edge
