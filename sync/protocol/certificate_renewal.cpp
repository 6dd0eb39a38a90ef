#include "sync/protocol/certificate_renewal.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "common/tls_certs.hpp"
#include "sync/protocol/strict_json.hpp"

namespace kiosk_edge {
namespace {

std::string EncodeOne(std::string_view key, std::string_view pem) {
  return boost::json::serialize(boost::json::object{{key, pem}});
}

Result<std::string> DecodeOne(std::string_view body, std::string_view what, std::string_view key,
                              std::size_t max_bytes) {
  auto json = wire::ParseJsonObject(body, what);
  if (!json) return json.error();
  wire::StrictObject object(json->as_object(), "");
  auto pem = object.RawString(key, max_bytes);
  if (!pem) return pem.error().WithContext(what);
  if (auto rest = object.NoOtherMembers(); !rest) return rest.error().WithContext(what);
  return pem;
}

}  // namespace

std::chrono::system_clock::time_point CertificateRenewalDue(
    std::chrono::system_clock::time_point not_before,
    std::chrono::system_clock::time_point not_after) {
  const auto third = (not_after - not_before) / 3;
  const auto ahead =
      std::min<std::chrono::system_clock::duration>(kClientCertificateRenewal, third);
  return not_after - ahead;
}

std::string EncodeRenewalRequest(std::string_view csr_pem) { return EncodeOne("csr", csr_pem); }

Result<std::string> DecodeRenewalRequest(std::string_view body) {
  return DecodeOne(body, "certificate renewal request", "csr", kMaxCsrPemBytes);
}

std::string EncodeRenewalAnswer(std::string_view certificate_pem) {
  return EncodeOne("certificate", certificate_pem);
}

Result<std::string> DecodeRenewalAnswer(std::string_view body) {
  return DecodeOne(body, "certificate renewal answer", "certificate", kMaxCertificatePemBytes);
}

}  // namespace kiosk_edge
