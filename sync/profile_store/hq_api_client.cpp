#include "sync/profile_store/hq_api_client.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <charconv>
#include <optional>

#include "common/strings.hpp"

namespace kiosk_edge {
namespace {

boost::asio::awaitable<void> SendInto(HttpsClient* client, const HttpClientRequest* request,
                                      std::optional<Result<HttpClientResponse>>* out) {
  *out = co_await client->Send(*request);
}

bool IsHostChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.';
}

}  // namespace

Result<HttpsOrigin> ParseHttpsOrigin(std::string_view url) {
  const Error bad(ErrorKind::kInvalidArgument,
                  "the URL must look like https://hq.example.com:8443 (https, a host, a port)");
  constexpr std::string_view kScheme = "https://";
  if (!url.starts_with(kScheme)) return bad;
  std::string_view rest = url.substr(kScheme.size());
  if (rest.ends_with('/')) rest.remove_suffix(1);
  HttpsOrigin origin;
  std::string_view port;
  if (rest.starts_with('[')) {
    const std::size_t close = rest.find(']');
    if (close == std::string_view::npos || close < 3) return bad;
    origin.host = std::string(rest.substr(1, close - 1));
    rest.remove_prefix(close + 1);
    if (!rest.empty() && !rest.starts_with(':')) return bad;
    if (!rest.empty()) port = rest.substr(1);
  } else {
    const std::size_t colon = rest.find(':');
    origin.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) port = rest.substr(colon + 1);
    if (origin.host.empty() || !std::all_of(origin.host.begin(), origin.host.end(), IsHostChar)) {
      return bad;
    }
  }
  if (!port.empty() || rest.ends_with(':')) {
    unsigned value = 0;
    const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || error != std::errc() || end != port.data() + port.size() || value == 0 ||
        value > 65535) {
      return bad;
    }
    origin.port = static_cast<std::uint16_t>(value);
  }
  return origin;
}

Result<HttpClientResponse> HqApiGet(const HqApiClientOptions& options, const std::string& target) {
  return HqApiSend(options, "GET", target);
}

Result<HttpClientResponse> HqApiSend(const HqApiClientOptions& options, const std::string& method,
                                     const std::string& target) {
  auto origin = ParseHttpsOrigin(options.url);
  if (!origin) return origin.error();
  boost::asio::io_context io(1);
  HttpsClientOptions client_options;
  client_options.host = origin->host;
  client_options.port = origin->port;
  client_options.ca_pem = options.ca_pem;
  client_options.read_timeout = options.timeout;
  client_options.max_response_body_bytes = 64 * 1024 * 1024;
  auto client = HttpsClient::Create(io.get_executor(), client_options);
  if (!client) return client.error();
  HttpClientRequest request;
  request.method = method;
  request.target = target;
  request.headers = {{"Accept", "application/json, text/csv"}};
  if (!options.token.empty())
    request.headers.emplace_back("Authorization", "Bearer " + options.token);
  std::optional<Result<HttpClientResponse>> response;
  boost::asio::co_spawn(io, SendInto(client->get(), &request, &response), boost::asio::detached);
  io.run();
  if (!response) return Error(ErrorKind::kInternal, "the request did not complete");
  return std::move(*response);
}

}  // namespace kiosk_edge
