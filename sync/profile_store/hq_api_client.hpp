#pragma once

// A blocking client of HQ's API for the command line (`profile-store attribution`, and the other
// HQ report commands): one GET over HTTPS with a bearer token, the server checked against HQ's CA.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "common/https_client.hpp"

namespace kiosk_edge {

struct HqApiClientOptions {
  std::string url;     // "https://hq.example.com:8443" (no path)
  std::string token;   // the bearer token (key material: never log it); empty: none sent
  std::string ca_pem;  // HQ's CA (state/ca.pem)
  // The whole exchange: connecting, and reading a report that may take a while to build.
  std::chrono::milliseconds timeout{120'000};
};

struct HttpsOrigin {
  std::string host;  // a DNS name or an IP address (without brackets)
  std::uint16_t port = 443;
};

// "https://host[:port][/]" with host a DNS name, an IPv4 address or a bracketed IPv6 address.
// kInvalidArgument otherwise.
Result<HttpsOrigin> ParseHttpsOrigin(std::string_view url);

// GETs `target` ("/v1/attribution?group_by=day") and returns HQ's answer, whatever its status.
// Blocks; runs an io_context of its own. Errors as HttpsClient::Send's.
Result<HttpClientResponse> HqApiGet(const HqApiClientOptions& options, const std::string& target);
// The same with another method and no body ("POST" for /v1/subjects/{phone}/withdraw-consent).
Result<HttpClientResponse> HqApiSend(const HqApiClientOptions& options, const std::string& method,
                                     const std::string& target);

}  // namespace kiosk_edge
