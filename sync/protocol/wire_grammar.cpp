#include "sync/protocol/wire_grammar.hpp"

#include <algorithm>

namespace kiosk_edge::wire {
namespace {

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool IsIdChar(char c) { return IsAlnum(c) || c == '.' || c == '_' || c == '-'; }

bool IsLowerHexChar(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

bool AllOf(std::string_view text, std::size_t min, std::size_t max, bool (*accept)(char)) {
  return text.size() >= min && text.size() <= max && std::all_of(text.begin(), text.end(), accept);
}

}  // namespace

bool IsKioskId(std::string_view text) {
  return AllOf(text, 1, 64, IsIdChar) && IsAlnum(text.front());
}

bool IsIncarnation(std::string_view text) { return AllOf(text, 1, 64, IsIdChar); }

bool IsBootId(std::string_view text) { return AllOf(text, 1, 64, IsIdChar); }

bool IsEventType(std::string_view text) {
  return AllOf(text, 1, 32, [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; });
}

bool IsEventChannelId(std::string_view text) { return AllOf(text, 1, 64, IsIdChar); }

bool IsDefinedChannelId(std::string_view text) {
  return AllOf(text, 1, 32,
               [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'; });
}

bool IsLowerHex(std::string_view text, std::size_t size) {
  return AllOf(text, size, size, IsLowerHexChar);
}

bool IsVoucherId(std::string_view text) { return IsLowerHex(text, 16); }

bool IsVoucherKey(std::string_view text) {
  const std::size_t slash = text.find('/');
  return slash != std::string_view::npos && IsKioskId(text.substr(0, slash)) &&
         IsVoucherId(text.substr(slash + 1));
}

bool IsDeviceId(std::string_view text) { return IsLowerHex(text, 32); }

bool IsSubjectId(std::string_view text) {
  return AllOf(text, 52, 52,
               [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7'); });
}

}  // namespace kiosk_edge::wire
