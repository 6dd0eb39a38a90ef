#include "agent/event.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>

#include "common/strings.hpp"

namespace kiosk_edge {
namespace {

bool IsEventTypeChar(char c) { return (c >= 'a' && c <= 'z') || c == '_'; }

bool IsIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

}  // namespace

Result<void> ValidateDraft(const EventDraft& draft) {
  if (draft.type.empty() || draft.type.size() > 32 ||
      !std::all_of(draft.type.begin(), draft.type.end(), IsEventTypeChar)) {
    return Error(ErrorKind::kInvalidArgument, "event type must be 1-32 characters of [a-z_]");
  }
  if (draft.channel_id &&
      (draft.channel_id->empty() || draft.channel_id->size() > 64 ||
       !std::all_of(draft.channel_id->begin(), draft.channel_id->end(), IsIdChar))) {
    return Error(ErrorKind::kInvalidArgument,
                 "channel id must be 1-64 characters of [A-Za-z0-9._-]");
  }
  if (draft.claim && (draft.claim->empty() || draft.claim->size() > 200 ||
                      !std::all_of(draft.claim->begin(), draft.claim->end(),
                                   [](char c) { return c > ' ' && c < 127; }))) {
    return Error(ErrorKind::kInvalidArgument, "claim must be 1-200 printable ASCII characters");
  }
  if (draft.payload_version < 1) {
    return Error(ErrorKind::kInvalidArgument, "payload version must be at least 1");
  }
  if (draft.payload_json.size() > kMaxPayloadBytes) {
    return Error(ErrorKind::kInvalidArgument, StrCat("payload is ", draft.payload_json.size(),
                                                     " bytes; the limit is ", kMaxPayloadBytes));
  }
  boost::system::error_code parse_error;
  const boost::json::value payload = boost::json::parse(draft.payload_json, parse_error);
  if (parse_error || !payload.is_object()) {
    return Error(ErrorKind::kInvalidArgument, "payload must be a JSON object");
  }
  return {};
}

}  // namespace kiosk_edge
