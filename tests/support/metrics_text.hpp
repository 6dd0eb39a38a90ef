#pragma once

// Reading a metrics text (the Prometheus exposition format GET /metrics serves) in tests.

#include <sstream>
#include <string>

namespace kiosk_edge::testing {

// The first line of `text` that starts with `prefix`, or "" when none does.
inline std::string LineStartingWith(const std::string& text, const std::string& prefix) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with(prefix)) return line;
  }
  return {};
}

// The sample line `series` (name and labels exactly) of a metrics text, e.g. "x{a=\"b\"} 3", or ""
// when there is none.
inline std::string Sample(const std::string& metrics, const std::string& series) {
  return LineStartingWith(metrics, series + " ");
}

}  // namespace kiosk_edge::testing
