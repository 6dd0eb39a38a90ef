#pragma once

// HQ's JSON reports ({"query": {...}, "rows": [{...}], "totals": {...}}) as an aligned text table
// for a terminal: one line naming the query, the columns in the rows' key order with headers
// stacked word by word ("unique_scanners" over two lines), numbers right-aligned, null as "-",
// then the totals. Any report of that shape prints, whatever its columns.

#include <string>
#include <string_view>

#include "common/error.hpp"

namespace kiosk_edge {

// kInvalidArgument when `json` is not a report of that shape.
Result<std::string> ReportTable(std::string_view json);

}  // namespace kiosk_edge
