#pragma once

// Binding a statement's parameters in one call, for SqliteStore's files.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/sqlite.hpp"

namespace kiosk_edge::sqlite_binding {

inline Result<void> BindOne(Statement& statement, int index, std::int64_t value) {
  return statement.Bind(index, value);
}
inline Result<void> BindOne(Statement& statement, int index, std::string_view value) {
  return statement.Bind(index, value);
}
inline Result<void> BindOne(Statement& statement, int index, const std::string& value) {
  return statement.Bind(index, std::string_view(value));
}
inline Result<void> BindOne(Statement& statement, int index, const char* value) {
  return statement.Bind(index, std::string_view(value));
}
inline Result<void> BindOne(Statement& statement, int index,
                            const std::optional<std::string>& value) {
  return value ? statement.Bind(index, *value) : statement.BindNull(index);
}
inline Result<void> BindOne(Statement& statement, int index,
                            const std::optional<std::int64_t>& value) {
  return value ? statement.Bind(index, *value) : statement.BindNull(index);
}

// Resets `statement` and binds `values` to parameters 1, 2, ...: integers, text, or optional
// integers or text (NULL when empty).
template <class... Values>
Result<void> BindAll(Statement& statement, const Values&... values) {
  statement.Reset();
  [[maybe_unused]] int index = 0;
  Result<void> result;
  ((result = result ? BindOne(statement, ++index, values) : result), ...);
  return result;
}

// Prepares `sql`, binds `values` (as BindAll) and runs it to completion: for statements that
// return no rows and run too seldom to keep prepared.
template <class... Values>
Result<void> Run(Database& db, std::string_view sql, const Values&... values) {
  auto statement = db.Prepare(sql);
  if (!statement) return statement.error();
  if (auto bound = BindAll(*statement, values...); !bound) return bound.error();
  return statement->Run();
}

}  // namespace kiosk_edge::sqlite_binding
