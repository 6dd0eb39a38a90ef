#include "sync/protocol/strict_json.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>

#include "common/strings.hpp"

namespace kiosk_edge::wire {

Result<boost::json::value> ParseJsonObject(std::string_view text, std::string_view what,
                                           boost::json::storage_ptr storage) {
  boost::system::error_code error;
  boost::json::value value = boost::json::parse(text, error, std::move(storage));
  if (error) {
    return Error(ErrorKind::kInvalidArgument,
                 StrCat(what, ": not valid JSON (", error.message(), ")"));
  }
  if (!value.is_object()) {
    return Error(ErrorKind::kInvalidArgument, StrCat(what, ": must be a JSON object"));
  }
  return value;
}

std::string ItemPath(std::string_view array_path, std::size_t index) {
  return StrCat(array_path, "[", index, "]");
}

bool HasNoControlCharacters(std::string_view text) {
  return std::none_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7f;
  });
}

std::string StrictObject::Name(std::string_view key) const {
  return path_.empty() ? std::string(key) : StrCat(path_, ".", key);
}

Error StrictObject::Invalid(std::string_view key, std::string_view problem) const {
  return Error(ErrorKind::kInvalidArgument, StrCat(Name(key), ": ", problem));
}

const boost::json::value* StrictObject::Find(std::string_view key) {
  asked_.emplace_back(key);
  return object_.if_contains(key);
}

Result<const boost::json::value*> StrictObject::Required(std::string_view key) {
  const boost::json::value* value = Find(key);
  if (value == nullptr || value->is_null()) return Invalid(key, "missing");
  return value;
}

Result<std::int64_t> StrictObject::Int(std::string_view key, std::int64_t min, std::int64_t max) {
  auto value = OptionalInt(key, min, max);
  if (!value) return value.error();
  if (!*value) return Invalid(key, "missing");
  return **value;
}

Result<std::optional<std::int64_t>> StrictObject::OptionalInt(std::string_view key,
                                                              std::int64_t min, std::int64_t max) {
  const boost::json::value* value = Find(key);
  if (value == nullptr || value->is_null()) return std::optional<std::int64_t>();
  if (value->is_uint64()) return Invalid(key, StrCat("must be at most ", max));
  if (!value->is_int64()) return Invalid(key, "must be an integer");
  const std::int64_t number = value->as_int64();
  if (number < min || number > max) {
    return Invalid(key, StrCat("must be between ", min, " and ", max, ", not ", number));
  }
  return std::optional<std::int64_t>(number);
}

Result<bool> StrictObject::Bool(std::string_view key) {
  auto value = Required(key);
  if (!value) return value.error();
  if (!(*value)->is_bool()) return Invalid(key, "must be true or false");
  return (*value)->as_bool();
}

Result<bool> StrictObject::OptionalBool(std::string_view key, bool absent) {
  const boost::json::value* value = Find(key);
  if (value == nullptr || value->is_null()) return absent;
  if (!value->is_bool()) return Invalid(key, "must be true or false");
  return value->as_bool();
}

Result<std::string> StrictObject::String(std::string_view key, bool (*accept)(std::string_view),
                                         std::string_view rule) {
  auto value = OptionalString(key, accept, rule);
  if (!value) return value.error();
  if (!*value) return Invalid(key, "missing");
  return std::move(**value);
}

Result<std::optional<std::string>> StrictObject::OptionalString(std::string_view key,
                                                                bool (*accept)(std::string_view),
                                                                std::string_view rule) {
  const boost::json::value* value = Find(key);
  if (value == nullptr || value->is_null()) return std::optional<std::string>();
  if (!value->is_string()) return Invalid(key, "must be a string");
  const std::string_view text = value->as_string();
  if (!accept(text)) return Invalid(key, rule);
  return std::optional<std::string>(text);
}

Result<std::string> StrictObject::Text(std::string_view key, std::size_t min, std::size_t max) {
  auto value = Required(key);
  if (!value) return value.error();
  if (!(*value)->is_string()) return Invalid(key, "must be a string");
  const std::string_view text = (*value)->as_string();
  if (text.size() < min || text.size() > max) {
    return Invalid(key, StrCat("must be ", min, " to ", max, " bytes"));
  }
  if (!HasNoControlCharacters(text)) return Invalid(key, "must not contain control characters");
  return std::string(text);
}

Result<std::string> StrictObject::RawString(std::string_view key, std::size_t max) {
  auto value = Required(key);
  if (!value) return value.error();
  if (!(*value)->is_string()) return Invalid(key, "must be a string");
  const std::string_view text = (*value)->as_string();
  if (text.size() > max) {
    return Invalid(key, StrCat("is ", text.size(), " bytes; the limit is ", max));
  }
  return std::string(text);
}

Result<const boost::json::array*> StrictObject::Array(std::string_view key, std::size_t max_items) {
  auto value = Required(key);
  if (!value) return value.error();
  if (!(*value)->is_array()) return Invalid(key, "must be an array");
  const boost::json::array& array = (*value)->as_array();
  if (array.size() > max_items) {
    return Invalid(key, StrCat("has ", array.size(), " items; the limit is ", max_items));
  }
  return &array;
}

Result<const boost::json::array*> StrictObject::OptionalArray(std::string_view key,
                                                              std::size_t max_items) {
  const boost::json::value* value = Find(key);
  if (value == nullptr || value->is_null()) return nullptr;
  return Array(key, max_items);
}

Result<const boost::json::object*> StrictObject::Object(std::string_view key) {
  auto value = Required(key);
  if (!value) return value.error();
  if (!(*value)->is_object()) return Invalid(key, "must be an object");
  return &(*value)->as_object();
}

Result<const boost::json::object*> StrictObject::OptionalObject(std::string_view key) {
  const boost::json::value* value = Find(key);
  if (value == nullptr || value->is_null()) return nullptr;
  return Object(key);
}

Result<void> StrictObject::NoOtherMembers() const {
  for (const auto& member : object_) {
    const std::string_view key = member.key();
    if (std::find(asked_.begin(), asked_.end(), key) == asked_.end()) {
      // The name is the sender's text: shorten it and keep it printable for logs.
      std::string shown(key.substr(0, 64));
      for (char& c : shown) {
        if (!HasNoControlCharacters(std::string_view(&c, 1))) c = '?';
      }
      return Invalid(shown, "unknown member");
    }
  }
  return {};
}

}  // namespace kiosk_edge::wire
