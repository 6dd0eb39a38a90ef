#include "common/config_file.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <exception>
#include <limits>
#include <memory>
#include <system_error>
#include <utility>

#include "common/strings.hpp"

namespace kiosk_edge {
namespace {

using Type = ConfigFile::Entry::Type;

// Config files are a few kilobytes; anything much larger is a mistake (a wrong path, a log file).
constexpr std::size_t kMaxFileBytes = 1024 * 1024;

std::string_view TypeName(Type type) {
  switch (type) {
    case Type::kTable:
      return "a table";
    case Type::kArray:
      return "an array";
    case Type::kString:
      return "a string";
    case Type::kInteger:
      return "an integer";
    case Type::kFloat:
      return "a floating-point number";
    case Type::kBoolean:
      return "a boolean";
    case Type::kDate:
      return "a date";
    case Type::kTime:
      return "a time";
    case Type::kDateTime:
      return "a date-time";
  }
  return "a value";
}

// `text` as a TOML basic string, so that messages stay on one line whatever the file contains.
std::string Quoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (byte < 0x20 || byte == 0x7f) {
      char escape[8];
      std::snprintf(escape, sizeof escape, "\\u%04x", static_cast<unsigned>(byte));
      out.append(escape);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

// A key as written in TOML: bare when it can be, quoted otherwise (so "a.b" stays one key).
std::string RenderKey(std::string_view key) {
  const bool bare = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
  return bare ? std::string(key) : Quoted(key);
}

void Flatten(const toml::table& table, const std::string& prefix,
             std::map<std::string, ConfigFile::Entry, std::less<>>& entries) {
  for (auto&& [key, node] : table) {
    std::string name =
        prefix.empty() ? RenderKey(key.str()) : StrCat(prefix, ".", RenderKey(key.str()));
    ConfigFile::Entry entry;
    entry.line = key.source().begin.line != 0 ? key.source().begin.line : node.source().begin.line;
    switch (node.type()) {
      case toml::node_type::table:
        entry.type = Type::kTable;
        break;
      case toml::node_type::array:
        entry.type = Type::kArray;
        break;
      case toml::node_type::string:
        entry.type = Type::kString;
        entry.string_value = node.as_string()->get();
        break;
      case toml::node_type::integer:
        entry.type = Type::kInteger;
        entry.integer_value = node.as_integer()->get();
        break;
      case toml::node_type::floating_point:
        entry.type = Type::kFloat;
        break;
      case toml::node_type::boolean:
        entry.type = Type::kBoolean;
        entry.boolean_value = node.as_boolean()->get();
        break;
      case toml::node_type::date:
        entry.type = Type::kDate;
        break;
      case toml::node_type::time:
        entry.type = Type::kTime;
        break;
      case toml::node_type::date_time:
        entry.type = Type::kDateTime;
        break;
      case toml::node_type::none:
        continue;
    }
    if (const toml::table* child = node.as_table()) Flatten(*child, name, entries);
    entries.emplace(std::move(name), std::move(entry));
  }
}

Error SyntaxError(const std::string& origin, const toml::parse_error& error) {
  const toml::source_position& at = error.source().begin;
  return Error(ErrorKind::kConfig,
               StrCat(origin, ":", at.line, ":", at.column, ": ", error.description()));
}

// Optimal string alignment distance: edits, with a swap of neighbours counting as one.
std::size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

std::string_view LastComponent(std::string_view key) {
  const std::size_t dot = key.rfind('.');
  return dot == std::string_view::npos ? key : key.substr(dot + 1);
}

// Problems without a line (a caller's check of an absent key) sort after the others.
std::uint32_t SortLine(std::uint32_t line) {
  return line == 0 ? std::numeric_limits<std::uint32_t>::max() : line;
}

bool IsUnder(std::string_view key, std::string_view table) {
  return key.size() > table.size() && key.starts_with(table) && key[table.size()] == '.';
}

}  // namespace

Result<ConfigFile> ConfigFile::Load(const std::filesystem::path& path) {
  const std::string origin = path.string();
  const std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                             &std::fclose);
  if (!file) {
    return Error(
        ErrorKind::kConfig,
        StrCat(origin, ": cannot open config file: ", std::generic_category().message(errno)));
  }
  std::string text;
  char buffer[16 * 1024];
  while (text.size() <= kMaxFileBytes) {
    const std::size_t count = std::fread(buffer, 1, sizeof buffer, file.get());
    text.append(buffer, count);
    if (count < sizeof buffer) break;
  }
  if (std::ferror(file.get())) {
    return Error(
        ErrorKind::kConfig,
        StrCat(origin, ": cannot read config file: ", std::generic_category().message(errno)));
  }
  if (text.size() > kMaxFileBytes) {
    return Error(ErrorKind::kConfig,
                 StrCat(origin, ": config file is larger than ", kMaxFileBytes, " bytes"));
  }
  return Parse(text, origin);
}

Result<ConfigFile> ConfigFile::Parse(std::string_view text, std::string origin) {
  ConfigFile config(std::move(origin));
  // Debian builds toml++ with exceptions (TOML_EXCEPTIONS=1: parse throws); the other branch keeps
  // this file correct if a build ever turns them off (parse then returns a parse_result).
#if TOML_EXCEPTIONS
  toml::table root;
  try {
    root = toml::parse(text, std::string_view(config.origin_));
  } catch (const toml::parse_error& error) {
    return SyntaxError(config.origin_, error);
  } catch (const std::exception& error) {
    return Error(ErrorKind::kInternal, StrCat(config.origin_, ": ", error.what()));
  }
#else
  toml::parse_result parsed = toml::parse(text, std::string_view(config.origin_));
  if (!parsed) return SyntaxError(config.origin_, parsed.error());
  toml::table root = std::move(parsed).table();
#endif
  Flatten(root, "", config.entries_);
  return config;
}

const ConfigFile::Entry* ConfigFile::Find(std::string_view key) {
  requested_.emplace(key);
  claimed_.emplace(key);
  for (std::size_t dot = key.find('.'); dot != std::string_view::npos;
       dot = key.find('.', dot + 1)) {
    const std::string_view table = key.substr(0, dot);
    const auto it = entries_.find(table);
    if (it == entries_.end()) return nullptr;
    if (it->second.type != Type::kTable) {
      claimed_.emplace(table);
      AddProblem(it->second.line, table,
                 StrCat("expected a table, got ", TypeName(it->second.type)));
      return nullptr;
    }
  }
  const auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second;
}

void ConfigFile::Read(std::string_view key, std::string& out) {
  const Entry* entry = Find(key);
  if (entry == nullptr) return;
  if (entry->type != Type::kString) {
    return AddProblem(entry->line, key, StrCat("expected a string, got ", TypeName(entry->type)));
  }
  out = entry->string_value;
}

std::optional<boost::asio::ip::address> ConfigFile::ReadIpAddress(std::string_view key,
                                                                  std::string& out,
                                                                  std::string_view example) {
  Read(key, out);
  boost::system::error_code error;
  const boost::asio::ip::address address = boost::asio::ip::make_address(out, error);
  if (!error) return address;
  AddError(key, StrCat("must be an IPv4 or IPv6 address, such as ", example));
  return std::nullopt;
}

void ConfigFile::Read(std::string_view key, bool& out) {
  const Entry* entry = Find(key);
  if (entry == nullptr) return;
  if (entry->type != Type::kBoolean) {
    return AddProblem(entry->line, key,
                      StrCat("expected a boolean (true or false), got ", TypeName(entry->type)));
  }
  out = entry->boolean_value;
}

void ConfigFile::Read(std::string_view key, std::int64_t& out, std::int64_t min, std::int64_t max) {
  const Entry* entry = Find(key);
  if (entry == nullptr) return;
  if (entry->type != Type::kInteger) {
    return AddProblem(entry->line, key, StrCat("expected an integer, got ", TypeName(entry->type)));
  }
  if (entry->integer_value < min || entry->integer_value > max) {
    return AddProblem(
        entry->line, key,
        StrCat("must be between ", min, " and ", max, ", got ", entry->integer_value));
  }
  out = entry->integer_value;
}

void ConfigFile::Read(std::string_view key, std::chrono::milliseconds& out,
                      std::chrono::milliseconds min, std::chrono::milliseconds max) {
  std::int64_t millis = out.count();
  Read(key, millis, min.count(), max.count());
  out = std::chrono::milliseconds(millis);
}

void ConfigFile::ReadChoice(std::string_view key, std::string& out,
                            std::initializer_list<std::string_view> choices) {
  const Entry* entry = Find(key);
  if (entry == nullptr) return;
  if (entry->type != Type::kString) {
    return AddProblem(entry->line, key, StrCat("expected a string, got ", TypeName(entry->type)));
  }
  if (std::find(choices.begin(), choices.end(), entry->string_value) == choices.end()) {
    std::string list;
    for (std::string_view choice : choices) {
      list.append(list.empty() ? "" : ", ").append(Quoted(choice));
    }
    return AddProblem(entry->line, key,
                      StrCat("must be one of ", list, "; got ", Quoted(entry->string_value)));
  }
  out = entry->string_value;
}

void ConfigFile::AddError(std::string_view key, std::string_view message) {
  claimed_.emplace(key);
  const auto it = entries_.find(key);
  AddProblem(it == entries_.end() ? 0 : it->second.line, key, message);
}

void ConfigFile::AddProblem(std::uint32_t line, std::string_view key, std::string_view message) {
  std::string text = line != 0 ? StrCat(origin_, ":", line, ": ", key, ": ", message)
                               : StrCat(origin_, ": ", key, ": ", message);
  // Several reads can trip over the same non-table parent; say so once.
  for (const Problem& problem : problems_) {
    if (problem.text == text) return;
  }
  problems_.push_back({line, std::move(text)});
}

std::vector<std::string> ConfigFile::AbsentKeys() const {
  std::vector<std::string> absent;
  for (const std::string& key : requested_) {
    if (!entries_.contains(key)) absent.push_back(key);
  }
  return absent;
}

std::vector<std::string> ConfigFile::TableNames(std::string_view parent) const {
  std::vector<std::string> names;
  const std::string prefix = StrCat(parent, ".");
  for (const auto& [key, entry] : entries_) {
    if (entry.type != Entry::Type::kTable || !key.starts_with(prefix)) continue;
    const std::string_view name = std::string_view(key).substr(prefix.size());
    if (!name.empty() && name.find('.') == std::string_view::npos) names.emplace_back(name);
  }
  return names;
}

std::string ConfigFile::Suggestion(std::string_view unknown_key, bool is_table) const {
  std::set<std::string_view> candidates;
  for (std::string_view key : requested_) {
    if (!is_table) candidates.insert(key);
    for (std::size_t dot = key.find('.'); is_table && dot != std::string_view::npos;
         dot = key.find('.', dot + 1)) {
      candidates.insert(key.substr(0, dot));
    }
  }
  // Close enough to be a typo, but not so loose that short keys match anything.
  const std::size_t limit = std::clamp<std::size_t>(unknown_key.size() / 3, 1, 2);
  std::string_view best;
  std::size_t best_distance = limit + 1;
  for (std::string_view candidate : candidates) {
    const std::size_t distance = EditDistance(unknown_key, candidate);
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  if (best.empty() && !is_table) {
    // The right key in the wrong table, e.g. "port" at the top instead of under [http].
    for (std::string_view candidate : candidates) {
      if (LastComponent(candidate) == LastComponent(unknown_key)) best = candidate;
    }
  }
  return best.empty() ? std::string() : StrCat(" (did you mean '", best, "'?)");
}

Result<void> ConfigFile::Finish() const {
  std::vector<Problem> problems = problems_;
  std::vector<std::string_view> unknown_tables;
  for (const auto& key_and_entry : entries_) {
    // Named references, not a structured binding: clang 14 (the fuzz build) cannot capture one.
    const std::string& key = key_and_entry.first;
    const Entry& entry = key_and_entry.second;
    const auto under = [&](std::string_view table) { return IsUnder(key, table); };
    if (claimed_.contains(key)) continue;
    // Inside a value already reported as the wrong type, or inside an unknown table.
    if (std::any_of(claimed_.begin(), claimed_.end(), under)) continue;
    if (std::any_of(unknown_tables.begin(), unknown_tables.end(), under)) continue;
    const bool is_table = entry.type == Type::kTable;
    if (is_table && std::any_of(requested_.begin(), requested_.end(),
                                [&](std::string_view known) { return IsUnder(known, key); })) {
      continue;
    }
    if (is_table) unknown_tables.push_back(key);
    problems.push_back(
        {entry.line, StrCat(origin_, ":", entry.line, ": unknown ", is_table ? "table" : "key",
                            " '", key, "'", Suggestion(key, is_table))});
  }
  if (problems.empty()) return {};
  // In file order, so the user can fix them top to bottom.
  std::stable_sort(problems.begin(), problems.end(), [](const Problem& a, const Problem& b) {
    return SortLine(a.line) < SortLine(b.line);
  });
  std::string message;
  for (const Problem& problem : problems) {
    message.append(message.empty() ? "" : "\n").append(problem.text);
  }
  return Error(ErrorKind::kConfig, std::move(message));
}

}  // namespace kiosk_edge
