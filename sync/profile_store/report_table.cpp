#include "sync/profile_store/report_table.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <cstdio>
#include <vector>

namespace kiosk_edge {
namespace {

struct Cell {
  std::string text;
  bool number = false;
};

// Reports carry whole numbers and decimals with at most four places (attribution_render.hpp).
Cell CellOf(const boost::json::value& value) {
  switch (value.kind()) {
    case boost::json::kind::null:
      return {"-", true};
    case boost::json::kind::string:
      return {std::string(value.as_string()), false};
    case boost::json::kind::int64:
      return {std::to_string(value.as_int64()), true};
    case boost::json::kind::uint64:
      return {std::to_string(value.as_uint64()), true};
    case boost::json::kind::double_: {
      char text[64];
      std::snprintf(text, sizeof text, "%.4f", value.as_double());
      std::string out(text);
      while (out.back() == '0') out.pop_back();
      if (out.back() == '.') out.pop_back();
      return {out, true};
    }
    case boost::json::kind::bool_:
      return {value.as_bool() ? "true" : "false", false};
    default:
      return {"?", false};
  }
}

std::vector<std::string> Words(std::string_view name) {
  std::vector<std::string> words;
  std::size_t start = 0;
  while (true) {
    const std::size_t underscore = name.find('_', start);
    words.emplace_back(name.substr(start, underscore - start));
    if (underscore == std::string_view::npos) return words;
    start = underscore + 1;
  }
}

// `words` joined by spaces into lines of at most `width` characters (a longer word alone).
std::vector<std::string> Wrap(const std::vector<std::string>& words, std::size_t width) {
  std::vector<std::string> lines;
  for (const std::string& word : words) {
    if (!lines.empty() && lines.back().size() + 1 + word.size() <= width) {
      lines.back() += " " + word;
    } else {
      lines.push_back(word);
    }
  }
  return lines;
}

void Pad(std::string& line, const Cell& cell, std::size_t width, bool last) {
  const std::size_t gap = width - std::min(width, cell.text.size());
  if (cell.number) line.append(gap, ' ');
  line += cell.text;
  if (!cell.number && !last) line.append(gap, ' ');
  if (!last) line += "  ";
}

}  // namespace

Result<std::string> ReportTable(std::string_view json) {
  boost::system::error_code error;
  const boost::json::value parsed = boost::json::parse(json, error);
  const Error bad(ErrorKind::kInvalidArgument, "HQ's answer is not a report");
  if (error || !parsed.is_object()) return bad;
  const boost::json::object& report = parsed.as_object();
  const auto* rows = report.if_contains("rows");
  const auto* totals = report.if_contains("totals");
  if (rows == nullptr || !rows->is_array()) return bad;

  std::vector<std::string> columns;
  if (const auto* listed = report.if_contains("columns"); listed != nullptr && listed->is_array()) {
    for (const auto& column : listed->as_array()) {
      if (!column.is_string()) return bad;
      columns.emplace_back(column.as_string());
    }
  } else if (!rows->as_array().empty() && rows->as_array()[0].is_object()) {
    for (const auto& member : rows->as_array()[0].as_object()) columns.emplace_back(member.key());
  }
  if (columns.empty()) return bad;

  std::vector<std::vector<Cell>> lines;
  const auto add = [&](const boost::json::object& object, std::string_view label) {
    std::vector<Cell> line;
    for (std::size_t i = 0; i < columns.size(); ++i) {
      const auto* value = object.if_contains(columns[i]);
      if (value != nullptr) {
        line.push_back(CellOf(*value));
      } else {
        line.push_back(Cell{i == 0 ? std::string(label) : std::string(), false});
      }
    }
    lines.push_back(std::move(line));
  };
  for (const auto& row : rows->as_array()) {
    if (!row.is_object()) return bad;
    add(row.as_object(), "");
  }
  const std::size_t body_lines = lines.size();
  if (totals != nullptr && totals->is_object()) add(totals->as_object(), "total");

  std::vector<std::vector<std::string>> headers;
  std::vector<std::size_t> widths;
  std::size_t header_lines = 1;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    const std::vector<std::string> words = Words(columns[i]);
    std::size_t width = 1;
    for (const std::string& word : words) width = std::max(width, word.size());
    for (const auto& line : lines) width = std::max(width, line[i].text.size());
    widths.push_back(width);
    headers.push_back(Wrap(words, width));
    header_lines = std::max(header_lines, headers.back().size());
  }
  // Numeric columns (as the first row shows them) get right-aligned headers too.
  const auto numeric = [&lines](std::size_t column) {
    return !lines.empty() && lines[0][column].number;
  };

  std::string out;
  if (const auto* query = report.if_contains("query"); query != nullptr && query->is_object()) {
    for (const auto& member : query->as_object()) {
      if (!out.empty()) out += "  ";
      out += std::string(member.key()) + "=" + CellOf(member.value()).text;
    }
    out += "\n\n";
  }
  for (std::size_t h = 0; h < header_lines; ++h) {
    std::string line;
    for (std::size_t i = 0; i < columns.size(); ++i) {
      // Stacked words sit on the bottom lines, next to the values.
      const std::size_t blank = header_lines - headers[i].size();
      const std::string word = h < blank ? "" : headers[i][h - blank];
      Pad(line, Cell{word, numeric(i)}, widths[i], i + 1 == columns.size());
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  for (std::size_t l = 0; l < lines.size(); ++l) {
    if (l == body_lines) {
      std::size_t total_width = 0;
      for (std::size_t width : widths) total_width += width + 2;
      out += std::string(total_width - 2, '-') + "\n";
    }
    std::string line;
    for (std::size_t i = 0; i < columns.size(); ++i) {
      Pad(line, lines[l][i], widths[i], i + 1 == columns.size());
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

}  // namespace kiosk_edge
