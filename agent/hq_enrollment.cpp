#include "agent/hq_enrollment.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>

#include "agent/kiosk_identity.hpp"
#include "agent/kiosk_secrets.hpp"
#include "common/crypto.hpp"
#include "common/files.hpp"
#include "common/https_client.hpp"
#include "common/json_fields.hpp"
#include "common/strings.hpp"
#include "common/tls_certs.hpp"

namespace kiosk_edge {
namespace {

Error Invalid(std::string message) {
  return Error(ErrorKind::kInvalidArgument, std::move(message));
}

boost::asio::awaitable<Result<HttpClientResponse>> PostEnrollment(
    HttpsClient& client, const HttpClientRequest& request) {
  co_return co_await client.Send(request);
}

}  // namespace

Result<HqEnrollment> ParseHqUrl(std::string_view url) {
  constexpr std::string_view kScheme = "https://";
  if (!url.starts_with(kScheme)) return Invalid("the HQ URL must start with https://");
  std::string_view authority = url.substr(kScheme.size());
  if (authority.ends_with('/')) authority.remove_suffix(1);
  if (authority.empty() || authority.find_first_of("/?#@") != std::string_view::npos) {
    return Invalid("the HQ URL must be https://HOST[:PORT] with no path");
  }
  HqEnrollment enrollment;
  enrollment.url = StrCat(kScheme, authority);
  const std::size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']') == std::string_view::npos) {
    int port = 0;
    const std::string_view digits = authority.substr(colon + 1);
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (error != std::errc() || end != digits.data() + digits.size() || port < 1 || port > 65535) {
      return Invalid("the HQ URL's port must be 1..65535");
    }
    enrollment.port = static_cast<std::uint16_t>(port);
    authority = authority.substr(0, colon);
  }
  enrollment.host = std::string(authority);
  return enrollment;
}

Result<std::optional<HqEnrollment>> LoadHqEnrollment(const std::filesystem::path& state_dir) {
  auto text = ReadSmallFile(state_dir / "hq.json", 64 * 1024);
  if (!text) {
    if (text.error().kind() == ErrorKind::kNotFound) return std::optional<HqEnrollment>();
    return text.error();
  }
  boost::system::error_code error;
  const auto json = boost::json::parse(*text, error);
  if (error || !json.is_object()) return Error(ErrorKind::kCorrupt, "hq.json: not a JSON object");
  auto enrollment = ParseHqUrl(JsonString(json.as_object(), "url"));
  if (!enrollment) return enrollment.error().WithContext("hq.json");
  auto key = HexDecode(JsonString(json.as_object(), "hq_public_key"));
  if (!key || key->size() != kX25519KeySize) {
    return Error(ErrorKind::kCorrupt, "hq.json: hq_public_key is not 32 hex bytes");
  }
  enrollment->hq_public_key = std::move(*key);
  enrollment->state_dir = state_dir;
  for (auto [file, target] : {std::pair{"hq-ca.pem", &enrollment->ca_pem},
                              std::pair{"hq-client-cert.pem", &enrollment->client_certificate_pem},
                              std::pair{"device-key.pem", &enrollment->device_key_pem}}) {
    auto pem = ReadSmallFile(state_dir / file, 64 * 1024);
    if (!pem) return pem.error().WithContext("HQ enrollment");
    *target = std::move(*pem);
  }
  return std::optional<HqEnrollment>(std::move(*enrollment));
}

Result<std::string> EnrollWithHq(const std::filesystem::path& state_dir,
                                 const std::string& configured_kiosk_id, std::string_view url,
                                 std::string_view token, const std::string& ca_pem) {
  auto target = ParseHqUrl(url);
  if (!target) return target.error();
  if (auto made = EnsurePrivateDirectory(state_dir); !made) return made.error();
  auto kiosk_id = LoadOrCreateKioskId(state_dir, configured_kiosk_id);
  if (!kiosk_id) return kiosk_id.error();
  auto secrets = LoadOrCreateKioskSecrets(state_dir, std::nullopt);
  if (!secrets) return secrets.error();
  auto device_pem = Ed25519PrivateKeyToPem(secrets->device_key.private_key);
  if (!device_pem) return device_pem.error();
  auto csr = CreateCsr(*device_pem, *kiosk_id);
  if (!csr) return csr.error();

  boost::asio::io_context io;
  HttpsClientOptions options;
  options.host = target->host;
  options.port = target->port;
  options.ca_pem = ca_pem;
  auto client = HttpsClient::Create(io.get_executor(), options);
  if (!client) return client.error();
  HttpClientRequest request;
  request.method = "POST";
  request.target = "/v1/enroll";
  request.headers = {{"content-type", "application/json"}};
  request.body = boost::json::serialize(boost::json::object{{"token", token}, {"csr", *csr}});
  auto future =
      boost::asio::co_spawn(io, PostEnrollment(**client, request), boost::asio::use_future);
  io.run();
  auto response = future.get();
  if (!response) return response.error().WithContext(StrCat("HQ at ", target->url));
  boost::system::error_code error;
  const auto json = boost::json::parse(response->body, error);
  if (error || !json.is_object()) {
    return Error(ErrorKind::kIo, StrCat("HQ answered ", response->status, " without JSON"));
  }
  const auto& answer = json.as_object();
  if (response->status != 200) {
    return Error(ErrorKind::kInvalidArgument,
                 StrCat("HQ refused the enrollment: ", JsonString(answer, "error")));
  }
  const std::string certificate = JsonString(answer, "certificate");
  const std::string hq_ca = JsonString(answer, "ca");
  auto info = ReadCertificate(certificate);
  if (!info || info->common_name != *kiosk_id) {
    return Error(ErrorKind::kIo, "HQ's certificate is not for this kiosk");
  }
  for (auto [file, contents] : {std::pair{"hq-client-cert.pem", certificate},
                                std::pair{"hq-ca.pem", hq_ca.empty() ? ca_pem : hq_ca}}) {
    if (auto written = WriteFileAtomically(state_dir / file, contents, 0600); !written) {
      return written.error();
    }
  }
  // hq.json last: its presence means "enrolled", so it is written once the rest is in place.
  const boost::json::object saved{{"url", target->url},
                                  {"hq_public_key", JsonString(answer, "hq_public_key")}};
  if (auto written = WriteFileAtomically(state_dir / "hq.json", boost::json::serialize(saved));
      !written) {
    return written.error();
  }
  return kiosk_id;
}

}  // namespace kiosk_edge
