#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.hpp"

namespace kiosk_edge {

using FormFields = std::vector<std::pair<std::string, std::string>>;

// Decodes application/x-www-form-urlencoded text (also a URL's query string): '+' is a space,
// %XX a byte. kInvalidArgument for a malformed escape, more than `max_fields` fields, or a
// decoded value that is not valid UTF-8.
Result<FormFields> ParseFormUrlEncoded(std::string_view text, std::size_t max_fields = 32);

// The first value of `name`, if present.
std::optional<std::string_view> FindField(const FormFields& fields, std::string_view name);

// The query string of a request target ("/c/X?lang=en" gives "lang=en"), or "".
std::string_view QueryOf(std::string_view target);

// The value of cookie `name` in a Cookie header, if present.
std::optional<std::string_view> FindCookie(std::string_view cookie_header, std::string_view name);

// True when `text` is well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
bool IsValidUtf8(std::string_view text);

// Escapes &, <, >, " and ' for HTML text and attribute values.
std::string HtmlEscape(std::string_view text);

// Percent-encodes everything but unreserved characters (RFC 3986), for URLs built from data.
std::string UrlEncode(std::string_view text);

}  // namespace kiosk_edge
