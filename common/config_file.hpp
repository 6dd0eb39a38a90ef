#pragma once

#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "common/error.hpp"

namespace kiosk_edge {
namespace detail {
// Integer types ConfigFile::Read converts to and from the int64 TOML stores.
template <class T>
concept NarrowConfigInteger =
    std::integral<T> && !std::same_as<T, bool> && !std::same_as<T, std::int64_t>;
}  // namespace detail

// A parsed TOML config file and a typed, strict reader over it. toml++ is confined to
// config_file.cpp: the file is flattened into dotted keys ("journal.max_disk_mb") when parsed.
//
// Usage: Load or Parse, then one Read per key the program knows (each leaves its `out` argument,
// which holds the default, untouched when the key is absent), then Finish. Problems are collected
// rather than returned one by one, so the user sees every mistake in one go; Finish also refuses
// every key present in the file that no Read asked for. Each problem reads
//   /etc/kiosk-edge/kiosk-agent.toml:12: journal.max_disk_mb: must be between 1 and 1048576, got 0
//
// Keys are bare TOML keys joined with '.'; a key that needs quoting in TOML is shown quoted in
// messages and can never match a Read, so it is reported as unknown.
class ConfigFile {
 public:
  // Reads and parses `path`. A missing, unreadable or oversized (> 1 MiB) file and TOML syntax
  // errors ("path:line:column: ...") are kConfig errors. Touches nothing but `path`.
  static Result<ConfigFile> Load(const std::filesystem::path& path);
  // Parses `text`; `origin` names the file in messages.
  static Result<ConfigFile> Parse(std::string_view text, std::string origin);

  // Each Read: when `key` is present, checks its type (and range or choices) and, only if it is
  // acceptable, stores the value in `out`; otherwise records a problem. When absent, does nothing.
  void Read(std::string_view key, std::string& out);
  void Read(std::string_view key, bool& out);
  void Read(std::string_view key, std::int64_t& out, std::int64_t min, std::int64_t max);
  // Any integer type; `min` and `max` must be representable in both T and std::int64_t.
  template <detail::NarrowConfigInteger T>
  void Read(std::string_view key, T& out, std::type_identity_t<T> min,
            std::type_identity_t<T> max) {
    std::int64_t value = static_cast<std::int64_t>(out);
    Read(key, value, static_cast<std::int64_t>(min), static_cast<std::int64_t>(max));
    out = static_cast<T>(value);  // in [min, max], so it fits
  }
  // An integer count of milliseconds (keys conventionally end in "_ms").
  void Read(std::string_view key, std::chrono::milliseconds& out, std::chrono::milliseconds min,
            std::chrono::milliseconds max);
  // A string that must be one of `choices`.
  void ReadChoice(std::string_view key, std::string& out,
                  std::initializer_list<std::string_view> choices);
  // A string that must be an IPv4 or IPv6 literal (no host names: nothing is resolved at load);
  // the message names `example`. The address `out` holds afterwards, or nullopt when it is not one.
  std::optional<boost::asio::ip::address> ReadIpAddress(std::string_view key, std::string& out,
                                                        std::string_view example);

  // Records a problem found by the caller's own validation of `key`'s value; names the key's
  // line when the key is present in the file.
  void AddError(std::string_view key, std::string_view message);

  // Keys some Read asked for that the file does not contain (lets a test check that an example
  // config documents every key).
  std::vector<std::string> AbsentKeys() const;

  // The names of the tables directly inside table `parent` ("channels" gives "EL3-POSTER-V2" for
  // [channels.EL3-POSTER-V2]), in file order of their names. For sections keyed by id; reading
  // their keys makes them known.
  std::vector<std::string> TableNames(std::string_view parent) const;

  // Checks for unknown keys and tables, then returns every problem found, one per line, ordered by
  // line, as one kConfig error; or success when there was none.
  Result<void> Finish() const;

  const std::string& origin() const { return origin_; }

  // One key of the file: a value, or a table (tables are listed so that an unknown table can be
  // reported once, by name, rather than key by key).
  struct Entry {
    enum class Type {
      kTable,
      kArray,
      kString,
      kInteger,
      kFloat,
      kBoolean,
      kDate,
      kTime,
      kDateTime
    };
    Type type = Type::kTable;
    std::string string_value;
    std::int64_t integer_value = 0;
    bool boolean_value = false;
    std::uint32_t line = 0;
  };

 private:
  explicit ConfigFile(std::string origin) : origin_(std::move(origin)) {}

  // Marks `key` as known and returns its entry, or nullptr when absent or when an enclosing key is
  // not a table (recorded as a problem).
  const Entry* Find(std::string_view key);
  void AddProblem(std::uint32_t line, std::string_view key, std::string_view message);
  std::string Suggestion(std::string_view unknown_key, bool is_table) const;

  std::string origin_;
  std::map<std::string, Entry, std::less<>> entries_;
  std::set<std::string, std::less<>> requested_;  // every key a Read asked for, present or not
  std::set<std::string, std::less<>> claimed_;    // keys not to report as unknown
  struct Problem {
    std::uint32_t line;
    std::string text;
  };
  std::vector<Problem> problems_;
};

}  // namespace kiosk_edge
