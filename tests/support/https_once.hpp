#pragma once

// One HTTPS request on a connection of its own, run to completion on the calling thread (every
// step of HttpsClient has a deadline): for tests that need a single exchange with a TLS server.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <cstdint>
#include <string>
#include <utility>

#include "common/https_client.hpp"

namespace kiosk_edge::testing {

// `identity`: a client certificate and its key (PEM), or both empty for none.
struct ClientIdentity {
  std::string cert_pem;
  std::string key_pem;
};

inline boost::asio::awaitable<Result<HttpClientResponse>> SendOn(HttpsClient& client,
                                                                 HttpClientRequest request) {
  co_return co_await client.Send(request);
}

// `request` to https://127.0.0.1:`port`, trusting `ca_pem` only.
inline Result<HttpClientResponse> HttpsOnce(std::uint16_t port, const std::string& ca_pem,
                                            HttpClientRequest request,
                                            const ClientIdentity& identity = {}) {
  boost::asio::io_context io;
  HttpsClientOptions options;
  options.host = "127.0.0.1";
  options.port = port;
  options.ca_pem = ca_pem;
  options.client_certificate_pem = identity.cert_pem;
  options.client_private_key_pem = identity.key_pem;
  auto client = HttpsClient::Create(io.get_executor(), options);
  if (!client) return client.error();
  auto future =
      boost::asio::co_spawn(io, SendOn(**client, std::move(request)), boost::asio::use_future);
  io.run();
  return future.get();
}

}  // namespace kiosk_edge::testing
