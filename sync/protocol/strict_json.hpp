#pragma once

// Strict readers for the JSON documents of the sync protocol. Every error is kInvalidArgument and
// names the offending member by its path ("events[3].type: must be 1-32 characters of [a-z_]"),
// so a sender can tell exactly what to fix.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/storage_ptr.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace kiosk_edge::wire {

// Parses `text` as one JSON value that must be an object. kInvalidArgument "<what>: ..." for
// text that is not JSON, not UTF-8, nested deeper than 32 levels, or not an object.
// `storage` holds the document (default: the heap); it must outlive the value returned.
Result<boost::json::value> ParseJsonObject(std::string_view text, std::string_view what,
                                           boost::json::storage_ptr storage = {});

// "events" + 3 -> "events[3]".
std::string ItemPath(std::string_view array_path, std::size_t index);

// Reads the members of one JSON object, each exactly once, and then refuses the members nobody
// asked for (a misspelt optional member must not be silently ignored). Optional members may be
// absent or null. Holds a reference to `object`: it must outlive the reader.
class StrictObject {
 public:
  // `path` names the object in errors ("" for the document itself, "events[3]" for an item).
  StrictObject(const boost::json::object& object, std::string path)
      : object_(object), path_(std::move(path)) {}

  // The member's name as errors show it: "events[3].type", or "type" at the top level.
  std::string Name(std::string_view key) const;
  // kInvalidArgument "<name>: <problem>".
  Error Invalid(std::string_view key, std::string_view problem) const;

  // An integer member in [min, max]. Numbers with a fraction or exponent are refused.
  Result<std::int64_t> Int(std::string_view key, std::int64_t min, std::int64_t max);
  Result<std::optional<std::int64_t>> OptionalInt(std::string_view key, std::int64_t min,
                                                  std::int64_t max);
  Result<bool> Bool(std::string_view key);
  // Like Bool, but `absent` when the member is absent or null.
  Result<bool> OptionalBool(std::string_view key, bool absent);
  // A string member `accept` approves of; `rule` says what is expected ("must be ...").
  Result<std::string> String(std::string_view key, bool (*accept)(std::string_view),
                             std::string_view rule);
  Result<std::optional<std::string>> OptionalString(std::string_view key,
                                                    bool (*accept)(std::string_view),
                                                    std::string_view rule);
  // A string member of `min`..`max` bytes without control characters (free text: names).
  Result<std::string> Text(std::string_view key, std::size_t min, std::size_t max);
  // A string member of at most `max` bytes, anything at all in it (embedded JSON text).
  Result<std::string> RawString(std::string_view key, std::size_t max);
  // An array member of at most `max_items` items.
  Result<const boost::json::array*> Array(std::string_view key, std::size_t max_items);
  // Like Array, but nullptr when the member is absent or null.
  Result<const boost::json::array*> OptionalArray(std::string_view key, std::size_t max_items);
  Result<const boost::json::object*> Object(std::string_view key);
  // Like Object, but nullptr when the member is absent or null.
  Result<const boost::json::object*> OptionalObject(std::string_view key);

  // kInvalidArgument "<name>: unknown member" for the first member no reader above asked for.
  Result<void> NoOtherMembers() const;

 private:
  // The member, or nullptr when absent; remembers that it was asked for.
  const boost::json::value* Find(std::string_view key);
  Result<const boost::json::value*> Required(std::string_view key);

  const boost::json::object& object_;
  std::string path_;
  std::vector<std::string> asked_;
};

// True when `text` has no bytes below 0x20 and no DEL.
bool HasNoControlCharacters(std::string_view text);

}  // namespace kiosk_edge::wire
