#pragma once

// Plain-gtest string checks for EXPECT_TRUE/EXPECT_FALSE, whose failure message shows the whole
// text (the test target links GoogleTest without GoogleMock).

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace kiosk_edge::testing {

// Success when `text` contains `part`.
inline ::testing::AssertionResult Contains(const std::string& text, std::string_view part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess() << "contains";
  return ::testing::AssertionFailure() << '"' << text << "\" does not contain \"" << part << '"';
}

// Success when `text` begins with `prefix`.
inline ::testing::AssertionResult BeginsWith(const std::string& text, std::string_view prefix) {
  if (text.starts_with(prefix)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << '"' << text << "\" does not begin with \"" << prefix << '"';
}

}  // namespace kiosk_edge::testing
