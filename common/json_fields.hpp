#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kiosk_edge {

// Lenient readers for JSON objects we produced or that callers validate afterwards: a missing
// member or one of another type reads as the fallback (or nullopt).
inline std::string JsonString(const boost::json::object& json, std::string_view key,
                              std::string_view fallback = "") {
  const auto* value = json.if_contains(key);
  return value != nullptr && value->is_string() ? std::string(value->as_string())
                                                : std::string(fallback);
}

inline std::optional<std::int64_t> JsonInt(const boost::json::object& json, std::string_view key) {
  const auto* value = json.if_contains(key);
  if (value == nullptr || !value->is_int64()) return std::nullopt;
  return value->as_int64();
}

inline bool JsonBool(const boost::json::object& json, std::string_view key) {
  const auto* value = json.if_contains(key);
  return value != nullptr && value->is_bool() && value->as_bool();
}

}  // namespace kiosk_edge
