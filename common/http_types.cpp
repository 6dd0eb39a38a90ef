#include "common/http_types.hpp"

#include <cstddef>

namespace kiosk_edge {
namespace {

char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoringAsciiCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

HttpResponse MakeResponse(unsigned status, std::string content_type, std::string body) {
  HttpResponse response;
  response.status = status;
  response.content_type = std::move(content_type);
  response.body = std::move(body);
  return response;
}

}  // namespace

std::optional<std::string_view> HttpRequest::Header(std::string_view name) const {
  // Names are stored lower-cased, but a hand-built request (tests, internal callers) may not be.
  for (const auto& [header_name, value] : headers) {
    if (EqualsIgnoringAsciiCase(header_name, name)) return std::string_view(value);
  }
  return std::nullopt;
}

std::string_view HttpRequest::Path() const {
  std::string_view path(target);
  // A fragment never reaches a server, but cut it too so that Path() is always a bare path.
  const std::size_t end = path.find_first_of("?#");
  return end == std::string_view::npos ? path : path.substr(0, end);
}

HttpResponse HttpResponse::Text(unsigned status, std::string body) {
  return MakeResponse(status, "text/plain; charset=utf-8", std::move(body));
}

HttpResponse HttpResponse::Json(unsigned status, std::string body) {
  return MakeResponse(status, "application/json", std::move(body));
}

HttpResponse HttpResponse::Html(unsigned status, std::string body) {
  return MakeResponse(status, "text/html; charset=utf-8", std::move(body));
}

}  // namespace kiosk_edge
