#include "agent/phones_listener.hpp"

#include "common/clock.hpp"
#include "common/files.hpp"
#include "common/strings.hpp"
#include "common/tls_certs.hpp"

namespace kiosk_edge {
namespace {

constexpr std::size_t kMaxPemBytes = 64 * 1024;

struct PhonesTls {
  TlsServerOptions options;
  std::int64_t not_after_ms = 0;
};

// Both files and the certificate's end; errors name the certificate file (or the key file that
// could not be read).
Result<PhonesTls> ReadPhonesTls(const std::filesystem::path& certificate_file,
                                const std::filesystem::path& private_key_file) {
  PhonesTls tls;
  for (const auto& [file, pem] : {std::pair{&certificate_file, &tls.options.certificate_chain_pem},
                                  std::pair{&private_key_file, &tls.options.private_key_pem}}) {
    auto text = ReadSmallFile(*file, kMaxPemBytes);
    if (!text) return text.error();
    *pem = std::move(*text);
  }
  auto not_after = CertificateNotAfter(tls.options.certificate_chain_pem);
  if (!not_after) return not_after.error();
  tls.not_after_ms = UnixMs(*not_after);
  return tls;
}

Error InHttps(const std::filesystem::path& certificate_file, const Error& error) {
  return Error(error.kind(), StrCat("[https] ", certificate_file.string(), ": ", error.message()));
}

}  // namespace

PhonesListener::PhonesListener(const AgentConfig& config, std::unique_ptr<HttpServer> server,
                               std::int64_t not_after_ms)
    : certificate_file_(config.https_certificate),
      private_key_file_(config.https_private_key),
      server_(std::move(server)),
      not_after_ms_(not_after_ms) {}

Result<std::unique_ptr<PhonesListener>> PhonesListener::Listen(boost::asio::io_context& io,
                                                               const AgentConfig& config,
                                                               const HttpServerLimits& limits,
                                                               const HttpHandler& handler) {
  if (config.https_certificate.empty()) return std::unique_ptr<PhonesListener>();
  auto tls = ReadPhonesTls(config.https_certificate, config.https_private_key);
  if (!tls) return InHttps(config.https_certificate, tls.error());
  auto server = HttpServer::ListenTls(io, config.https_listen_address, config.https_port, limits,
                                      tls->options, handler);
  if (!server) return InHttps(config.https_certificate, server.error());
  return std::unique_ptr<PhonesListener>(
      new PhonesListener(config, std::move(*server), tls->not_after_ms));
}

Result<std::int64_t> PhonesListener::Reload() {
  auto tls = ReadPhonesTls(certificate_file_, private_key_file_);
  if (!tls) return InHttps(certificate_file_, tls.error());
  if (auto replaced = server_->ReplaceTls(tls->options); !replaced) {
    return InHttps(certificate_file_, replaced.error());
  }
  not_after_ms_.store(tls->not_after_ms);
  return tls->not_after_ms;
}

}  // namespace kiosk_edge
