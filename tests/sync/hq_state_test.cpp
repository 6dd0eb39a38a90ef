#include "sync/profile_store/hq_state.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "common/files.hpp"
#include "support/legacy_ed25519_ca.hpp"
#include "support/temp_dir.hpp"

namespace kiosk_edge {
namespace {

const std::vector<std::string> kNames = {"localhost", "127.0.0.1"};

std::string FileText(const std::filesystem::path& file) { return *ReadSmallFile(file, 1 << 16); }

TEST(HqStateTest, AFreshStateHasAP256CaAndServerCertificateThatBrowsersAccept) {
  testing::TempDir dir;
  auto state = LoadOrCreateHqState(dir.path(), kNames);
  ASSERT_TRUE(state) << state.error().message();
  auto ca = ReadCertificate(state->ca.cert_pem);
  auto server = ReadCertificate(state->server_certificate_pem);
  ASSERT_TRUE(ca && server);
  EXPECT_EQ(ca->key_type, "EC");
  EXPECT_EQ(server->key_type, "EC");
  EXPECT_EQ(server->issuer_common_name, ca->common_name);
  EXPECT_EQ(server->subject_alt_names, kNames);
  EXPECT_TRUE(server->server_auth);
  // Apple's platforms refuse a server certificate valid for more than 825 days.
  EXPECT_LE(server->not_after - server->not_before, std::chrono::days(825));
  for (const char* file : {"ca.pem", "ca-key.pem", "server.pem", "server-key.pem"}) {
    EXPECT_EQ(std::filesystem::status(dir / file).permissions(),
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write)
        << file;
  }

  // The next start keeps all of it; other names get a new server certificate from the same CA.
  auto again = LoadOrCreateHqState(dir.path(), kNames);
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(again->ca.cert_pem, state->ca.cert_pem);
  EXPECT_EQ(again->server_certificate_pem, state->server_certificate_pem);
  auto renamed = LoadOrCreateHqState(dir.path(), {"hq.example"});
  ASSERT_TRUE(renamed) << renamed.error().message();
  EXPECT_EQ(renamed->ca.cert_pem, state->ca.cert_pem);
  EXPECT_EQ(ReadCertificate(renamed->server_certificate_pem)->subject_alt_names,
            std::vector<std::string>{"hq.example"});
}

// The kiosks an Ed25519 CA enrolled trust only it: it stays, and each start says what it costs.
TEST(HqStateTest, AnEd25519CaMadeBeforeIsKeptWithAWarning) {
  testing::TempDir dir;
  ASSERT_TRUE(WriteFileAtomically(dir / "ca.pem", testing::kLegacyEd25519CaCertPem, 0600));
  ASSERT_TRUE(WriteFileAtomically(dir / "ca-key.pem", testing::kLegacyEd25519CaKeyPem, 0600));
  ::testing::internal::CaptureStderr();
  auto state = LoadOrCreateHqState(dir.path(), kNames);
  const std::string log = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(state) << state.error().message();
  EXPECT_EQ(state->ca.cert_pem, testing::kLegacyEd25519CaCertPem);
  EXPECT_EQ(FileText(dir / "ca.pem"), testing::kLegacyEd25519CaCertPem);
  EXPECT_EQ(ReadCertificate(state->server_certificate_pem)->issuer_common_name, "kiosk-edge HQ CA");
  EXPECT_NE(log.find("is an Ed25519 CA: browsers cannot open HQ's pages"), std::string::npos)
      << log;
}

}  // namespace
}  // namespace kiosk_edge
