#include "sync/profile_store/admin_audit.hpp"

#include <pwd.h>
#include <unistd.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <cstdlib>

#include "common/strings.hpp"
#include "sync/profile_store/report_time.hpp"

namespace kiosk_edge {
namespace {

constexpr std::string_view kColumns[] = {"id", "at", "actor", "action", "target", "detail"};

// One table cell: tabs and line breaks would break the table's lines.
std::string Cell(std::string_view text) {
  std::string cell = OneLine(text);
  for (char& c : cell) {
    if (c == '\t') c = ' ';
  }
  return cell.empty() ? std::string("-") : cell;
}

}  // namespace

std::string CommandLineActor() {
  const uid_t uid = ::geteuid();
  const passwd* user = ::getpwuid(uid);
  std::string actor =
      StrCat("cli:", user != nullptr && user->pw_name != nullptr ? std::string(user->pw_name)
                                                                 : StrCat("uid ", uid));
  if (const char* sudo_user = std::getenv("SUDO_USER"); sudo_user != nullptr && *sudo_user) {
    actor += StrCat(" (sudo from ", OneLine(sudo_user, 64), ")");
  }
  return actor;
}

std::string ApiTokenActor(std::string_view token_name) { return StrCat("token:", token_name); }

std::string AdminActionsJson(std::span<const AdminActionRecord> records) {
  boost::json::array columns;
  for (std::string_view column : kColumns) columns.emplace_back(column);
  boost::json::array rows;
  for (const AdminActionRecord& record : records) {
    rows.push_back(boost::json::object{{"id", record.id},
                                       {"at", FormatReportTime(record.at_ms, 0)},
                                       {"actor", record.actor},
                                       {"action", record.action},
                                       {"target", record.target},
                                       {"detail", record.detail}});
  }
  return boost::json::serialize(boost::json::object{{"query", boost::json::object{}},
                                                    {"columns", std::move(columns)},
                                                    {"rows", std::move(rows)}});
}

std::string AdminActionsTable(std::span<const AdminActionRecord> records) {
  std::string table;
  for (std::string_view column : kColumns) {
    if (!table.empty()) table += '\t';
    table += column;
  }
  table += '\n';
  for (const AdminActionRecord& record : records) {
    table +=
        StrCat(record.id, "\t", FormatReportTime(record.at_ms, 0), "\t", Cell(record.actor), "\t",
               Cell(record.action), "\t", Cell(record.target), "\t", Cell(record.detail), "\n");
  }
  return table;
}

}  // namespace kiosk_edge
