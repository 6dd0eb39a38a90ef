// kiosk-agent's [https] listener, the way phones reach a kiosk: a real process serving the
// retailer's certificate, and the clear errors of a certificate it cannot use.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "common/files.hpp"
#include "common/tls_certs.hpp"
#include "support/child_process.hpp"
#include "support/clerk.hpp"
#include "support/http_client.hpp"
#include "support/https_once.hpp"
#include "support/kiosk_https.hpp"
#include "support/running_agent.hpp"
#include "support/temp_dir.hpp"

namespace kiosk_edge {
namespace {

using testing::ChildProcess;
using testing::HttpsConfig;
using testing::RunningAgent;
using testing::TempDir;
using testing::WriteKioskCertificate;

// A GET as a phone that trusts `ca_pem` makes it.
Result<HttpClientResponse> PhoneGet(std::uint16_t port, const std::string& ca_pem,
                                    const std::string& target) {
  HttpClientRequest request;
  request.target = target;
  return testing::HttpsOnce(port, ca_pem, std::move(request));
}

TEST(AgentHttpsTest, PhonesReachTheKioskOverTlsAndCodesPointThere) {
  TempDir dir;
  const std::string ca = WriteKioskCertificate(dir);
  RunningAgent agent(dir.path(), HttpsConfig(dir));
  ASSERT_NE(agent.port(), 0);
  const std::uint16_t phones = agent.phones_port();
  ASSERT_NE(phones, 0) << "no \"phones:\" line in the banner";

  // Codes are upper case (QR alphanumeric mode), which URLs allow in the scheme and host.
  const std::string code = agent.ChannelUrl("EL3-POSTER-V2");
  EXPECT_TRUE(code.starts_with("HTTPS://127.0.0.1:" + std::to_string(phones) + "/C/")) << code;
  auto landing = PhoneGet(phones, ca, agent.ChannelPath("EL3-POSTER-V2"));
  ASSERT_TRUE(landing) << landing.error().message();
  EXPECT_EQ(landing->status, 200u);
  const std::string device_cookie(landing->Header("set-cookie").value_or(""));
  EXPECT_TRUE(device_cookie.starts_with("kd=") && device_cookie.ends_with("; Secure"))
      << device_cookie;
  auto signup = PhoneGet(phones, ca, "/signup");
  ASSERT_TRUE(signup) << signup.error().message();
  EXPECT_EQ(signup->status, 200u);

  // The kiosk's own counter, on loopback: its session cookie is Secure too.
  const testing::Clerk clerk(agent.port(), "demo", agent.demo_pin());
  ASSERT_TRUE(clerk.logged_in()) << clerk.last_login().status << clerk.last_login().body;
  std::string session_cookie;
  for (const auto& [name, value] : clerk.last_login().headers) {
    if (name == "set-cookie") session_cookie = value;
  }
  EXPECT_NE(session_cookie.find("; Secure"), std::string::npos) << session_cookie;

  // kioskctl status shows when the certificate ends, and asks for attention two weeks before.
  const auto shown = testing::Kioskctl(agent, {"status"});
  EXPECT_EQ(shown.exit_code, 1) << shown.out << shown.err;
  EXPECT_NE(shown.out.find("https:    certificate valid until "), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("(47 h left)"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("needs attention: the [https] certificate expires in 47 h"),
            std::string::npos)
      << shown.out;

  // Plain HTTP stays on loopback for the kiosk's own screen; the phones' port speaks only TLS.
  EXPECT_EQ(testing::HttpGet(agent.port(), "/healthz").status, 200);
  EXPECT_EQ(testing::HttpGet(phones, "/healthz").status, 0);
  const int status = agent.Stop();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

// A renewed certificate installed over the old files: SIGHUP serves it to new connections and
// kioskctl status shows its end; files the agent cannot use keep the certificate in use.
TEST(AgentHttpsTest, SighupServesARenewedCertificate) {
  TempDir dir;
  const std::string first_ca = WriteKioskCertificate(dir);  // valid for 2 days
  RunningAgent agent(dir.path(), HttpsConfig(dir));
  const std::uint16_t phones = agent.phones_port();
  ASSERT_NE(phones, 0);
  ASSERT_TRUE(PhoneGet(phones, first_ca, "/signup"));

  const std::string renewed_ca = WriteKioskCertificate(dir, std::chrono::days(90));
  const std::string reloaded = agent.Reload();
  EXPECT_NE(reloaded.find("SIGHUP: serving the reloaded [https] certificate (89 days left)"),
            std::string::npos)
      << reloaded;
  auto renewed = PhoneGet(phones, renewed_ca, "/signup");
  ASSERT_TRUE(renewed) << renewed.error().message();
  EXPECT_EQ(renewed->status, 200u);
  EXPECT_FALSE(PhoneGet(phones, first_ca, "/signup")) << "the first certificate is still served";
  const auto shown = testing::Kioskctl(agent, {"status"});
  EXPECT_EQ(shown.exit_code, 0) << shown.out << shown.err;
  EXPECT_NE(shown.out.find("(89 d left)"), std::string::npos) << shown.out;

  ASSERT_TRUE(WriteFileAtomically(dir / "kiosk-key.pem", *NewCertificateKeyPem(), 0600));
  const std::string refused = agent.Reload();
  EXPECT_NE(refused.find("SIGHUP: kept the [https] certificate in use: [https] " +
                         (dir / "kiosk.pem").string()),
            std::string::npos)
      << refused;
  EXPECT_TRUE(PhoneGet(phones, renewed_ca, "/signup"));
  const int status = agent.Stop();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(AgentHttpsTest, SighupWithoutHttpsChangesNothing) {
  TempDir dir;
  RunningAgent agent(dir.path());
  ASSERT_NE(agent.port(), 0);
  const std::string line = agent.Reload();
  EXPECT_NE(line.find("SIGHUP: there is no [https] certificate to reload"), std::string::npos)
      << line;
  EXPECT_EQ(testing::HttpGet(agent.port(), "/healthz").status, 200);
}

// Starts an agent on `config` that must fail at start; what it wrote to stderr.
std::string FailedStart(const TempDir& dir, const std::string& config) {
  const auto file = dir / "agent.toml";
  EXPECT_TRUE(WriteFileAtomically(file, config, 0600));
  ChildProcess agent({KIOSK_AGENT_BINARY, "--config", file.string(), "--state-dir",
                      (dir / "state").string(), "--port", "0"});
  const std::string errors = agent.ReadAllStderr();
  const int status = agent.Wait();
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1) << errors;
  return errors;
}

TEST(AgentHttpsTest, ACertificateItCannotUseStopsTheAgentNamingIt) {
  TempDir dir;
  WriteKioskCertificate(dir);
  ASSERT_TRUE(WriteFileAtomically(dir / "kiosk-key.pem", *NewCertificateKeyPem(), 0600));
  const std::string mismatch = FailedStart(dir, HttpsConfig(dir));
  EXPECT_NE(mismatch.find((dir / "kiosk.pem").string()), std::string::npos) << mismatch;
  EXPECT_NE(mismatch.find("does not match the certificate"), std::string::npos) << mismatch;

  std::filesystem::remove(dir / "kiosk.pem");
  const std::string missing = FailedStart(dir, HttpsConfig(dir));
  EXPECT_NE(missing.find((dir / "kiosk.pem").string()), std::string::npos) << missing;
}

}  // namespace
}  // namespace kiosk_edge
