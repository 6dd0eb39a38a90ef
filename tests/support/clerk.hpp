#pragma once

// A clerk's browser at the kiosk's counter (agent/counter_routes.cpp), for tests against a real
// kiosk-agent process.

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <regex>
#include <string>
#include <vector>

#include "common/http_forms.hpp"
#include "support/http_client.hpp"

namespace kiosk_edge::testing {

// The first group of `pattern` in `text`, or "".
inline std::string RegexGroup(const std::string& text, const std::string& pattern) {
  std::smatch match;
  const std::regex re(pattern);
  return std::regex_search(text, match, re) ? std::string(match[1]) : std::string();
}

// A clerk's browser at the counter: the session cookie and the page's CSRF token.
class Clerk {
 public:
  Clerk(std::uint16_t port, std::string staff, std::string pin) : port_(port) {
    last_login_ = HttpExchange(port_, "POST", "/counter/login",
                               {"Content-Type: application/x-www-form-urlencoded",
                                "Origin: http://127.0.0.1", "Accept-Language: en"},
                               "staff=" + UrlEncode(staff) + "&pin=" + UrlEncode(pin));
    for (const auto& [name, value] : last_login_.headers) {
      if (name == "set-cookie") session_ = RegexGroup(value, "ks=([A-Za-z0-9_-]+)");
    }
    if (session_.empty()) return;
    const auto page = HttpExchange(port_, "GET", "/counter", Headers());
    csrf_ = RegexGroup(page.body, R"re(data-csrf="([^"]+)")re");
  }

  bool logged_in() const { return !csrf_.empty(); }
  const RawHttpResponse& last_login() const { return last_login_; }

  // POST /counter/redeem asking for JSON: {"outcome","reason","title","lines"}.
  boost::json::object Redeem(const std::string& code, const std::string& source = "typed") {
    const auto response = RedeemRaw(code, source, csrf_);
    boost::system::error_code error;
    auto json = boost::json::parse(response.body, error);
    EXPECT_FALSE(error) << response.status << " " << response.body;
    return error || !json.is_object() ? boost::json::object() : json.as_object();
  }
  RawHttpResponse RedeemRaw(const std::string& code, const std::string& source,
                            const std::string& csrf) {
    auto headers = Headers();
    headers.insert(headers.end(), {"Content-Type: application/x-www-form-urlencoded",
                                   "Accept: application/json", "Origin: http://127.0.0.1"});
    return HttpExchange(
        port_, "POST", "/counter/redeem", headers,
        "code=" + UrlEncode(code) + "&source=" + source + "&csrf=" + UrlEncode(csrf));
  }
  RawHttpResponse PostFrame(const std::string& bytes, const std::string& type = "image/png") {
    auto headers = Headers();
    headers.insert(headers.end(), {"Content-Type: " + type, "X-Counter-Csrf: " + csrf_,
                                   "Origin: http://127.0.0.1"});
    return HttpExchange(port_, "POST", "/counter/frame", headers, bytes);
  }
  RawHttpResponse Get(const std::string& target) {
    return HttpExchange(port_, "GET", target, Headers());
  }
  RawHttpResponse LogOut() {
    auto headers = Headers();
    headers.insert(headers.end(),
                   {"Content-Type: application/x-www-form-urlencoded", "Origin: http://127.0.0.1"});
    return HttpExchange(port_, "POST", "/counter/logout", headers, "csrf=" + UrlEncode(csrf_));
  }
  const std::string& csrf() const { return csrf_; }

 private:
  std::vector<std::string> Headers() const {
    return {"Cookie: ks=" + session_, "Accept-Language: en"};
  }
  std::uint16_t port_;
  RawHttpResponse last_login_;
  std::string session_;
  std::string csrf_;
};

}  // namespace kiosk_edge::testing
