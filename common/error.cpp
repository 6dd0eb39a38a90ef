#include "common/error.hpp"

#include <stdexcept>

namespace kiosk_edge {

std::string_view ToString(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidArgument:
      return "invalid argument";
    case ErrorKind::kNotFound:
      return "not found";
    case ErrorKind::kConflict:
      return "conflict";
    case ErrorKind::kConfig:
      return "bad config";
    case ErrorKind::kIo:
      return "I/O error";
    case ErrorKind::kCorrupt:
      return "corrupt data";
    case ErrorKind::kJournalFull:
      return "journal full";
    case ErrorKind::kUnavailable:
      return "unavailable";
    case ErrorKind::kInternal:
      return "internal error";
  }
  return "unknown error";
}

Error Error::WithContext(std::string_view context) const {
  std::string message;
  message.reserve(context.size() + 2 + message_.size());
  message.append(context).append(": ").append(message_);
  return Error(kind_, std::move(message));
}

void throw_exception_from_error(const Error& error, const boost::source_location& loc) {
  throw std::logic_error(std::string(loc.function_name()) +
                         ": unchecked error: " + error.message());
}

}  // namespace kiosk_edge
