#include "sync/protocol/erasure.hpp"

#include <boost/json/serialize.hpp>
#include <charconv>

#include "common/strings.hpp"
#include "sync/protocol/strict_json.hpp"
#include "sync/protocol/wire_grammar.hpp"

namespace kiosk_edge {
namespace {

constexpr std::string_view kPersonalMembers[] = {"name", "phone", "phone_index", "device"};

std::string_view Trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

bool ListsSyncFeature(std::optional<std::string_view> header_value, std::string_view feature) {
  if (!header_value) return false;
  std::string_view rest = *header_value;
  while (true) {
    const std::size_t comma = rest.find(',');
    if (Trimmed(rest.substr(0, comma)) == feature) return true;
    if (comma == std::string_view::npos) return false;
    rest.remove_prefix(comma + 1);
  }
}

Result<std::string> ScrubPersonalPayload(std::string_view payload_json) {
  auto document = wire::ParseJsonObject(payload_json, "payload");
  if (!document) return document.error();
  boost::json::object& payload = document->as_object();
  for (std::string_view member : kPersonalMembers) payload.erase(member);
  payload["erased"] = true;
  return boost::json::serialize(payload);
}

std::string ErasedEventKey(const ErasedEventRef& event) {
  return StrCat(event.kiosk_id, "/", event.incarnation, "/", event.seq);
}

std::optional<ErasedEventRef> ParseErasedEventKey(std::string_view text) {
  const std::size_t first = text.find('/');
  if (first == std::string_view::npos) return std::nullopt;
  const std::size_t second = text.find('/', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  ErasedEventRef event;
  event.kiosk_id = text.substr(0, first);
  event.incarnation = text.substr(first + 1, second - first - 1);
  const std::string_view digits = text.substr(second + 1);
  if (!wire::IsKioskId(event.kiosk_id) || !wire::IsIncarnation(event.incarnation) ||
      digits.empty() || digits.size() > 18 || digits.front() == '0') {
    return std::nullopt;
  }
  const auto [end, error] =
      std::from_chars(digits.data(), digits.data() + digits.size(), event.seq);
  if (error != std::errc() || end != digits.data() + digits.size() || event.seq < 1) {
    return std::nullopt;
  }
  return event;
}

}  // namespace kiosk_edge
