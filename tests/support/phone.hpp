#pragma once

#include <regex>
#include <string>
#include <vector>

#include "common/http_forms.hpp"
#include "support/http_client.hpp"

namespace kiosk_edge::testing {

// Agent config that lifts the signup rate limits, for tests that sign up many times.
inline constexpr std::string_view kOpenSignupLimits =
    "[shopper]\nsignups_per_device = 1000\nsignups_per_address = 1000000\n";

inline std::string DeviceCookie(const RawHttpResponse& response) {
  const std::regex device("kd=([0-9a-f]{32})");
  for (const auto& [name, value] : response.headers) {
    std::smatch match;
    if (name == "set-cookie" && std::regex_search(value, match, device)) return match[1];
  }
  return {};
}

inline std::string CsrfFrom(const std::string& html) {
  const std::regex csrf(R"re(name="csrf" value="([^"]+)")re");
  std::smatch match;
  return std::regex_search(html, match, csrf) ? std::string(match[1]) : std::string();
}

// The voucher token on the page a signup answers with (the address its script moves to), or "".
inline std::string IssuedVoucherToken(const std::string& html) {
  const std::regex token(R"re(<meta name="voucher-path" content="/v/(V1\.[A-Z2-7]+)">)re");
  std::smatch match;
  return std::regex_search(html, match, token) ? std::string(match[1]) : std::string();
}

// A phone: keeps its device cookie across requests, like a browser.
class Phone {
 public:
  explicit Phone(std::uint16_t port, std::string language = "zh-CN")
      : port_(port), language_(std::move(language)) {}

  RawHttpResponse Get(const std::string& target) {
    auto response = HttpExchange(port_, "GET", target, Headers());
    if (const std::string device = DeviceCookie(response); !device.empty()) device_ = device;
    return response;
  }
  RawHttpResponse SignUp(const std::string& channel, const std::string& name,
                         const std::string& phone, bool consent = true) {
    const std::string csrf = CsrfFrom(Get("/signup?channel=" + channel).body);
    std::string body = "csrf=" + UrlEncode(csrf) + "&channel=" + UrlEncode(channel) +
                       "&name=" + UrlEncode(name) + "&phone=" + UrlEncode(phone);
    if (consent) body += "&consent_service=yes";
    return Post(body);
  }
  RawHttpResponse Post(const std::string& body) {
    auto headers = Headers();
    headers.push_back("Content-Type: application/x-www-form-urlencoded");
    return HttpExchange(port_, "POST", "/signup", headers, body);
  }
  const std::string& device() const { return device_; }

 private:
  std::vector<std::string> Headers() const {
    std::vector<std::string> headers = {"Accept-Language: " + language_,
                                        "User-Agent: Mozilla/5.0 (iPhone; CPU iPhone OS 17_0)"};
    if (!device_.empty()) headers.push_back("Cookie: kd=" + device_);
    return headers;
  }

  std::uint16_t port_;
  std::string language_;
  std::string device_;
};

}  // namespace kiosk_edge::testing
