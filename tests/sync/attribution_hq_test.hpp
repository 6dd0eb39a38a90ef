#pragma once

// A fixture for tests of HQ's API over HTTPS: a real profile-store holding the attribution
// dataset of attribution_dataset.hpp (docs/attribution.md's worked example), with an HQ API
// token, and GET with any token. Parameterised on HQ's storage backend.
//
//   class MyTest : public testing::AttributionHqTest {};
//   TEST_P(MyTest, ...) { EXPECT_EQ(Get("/v1/channels", hq_.token).status, 200u); }
//   INSTANTIATE_TEST_SUITE_P(Backends, MyTest, testing::BothBackends(), testing::BackendName);

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "support/hq_api_server.hpp"
#include "support/temp_dir.hpp"
#include "sync/attribution_dataset.hpp"
#include "sync/profile_store/hq_api_client.hpp"

namespace kiosk_edge::testing {

class AttributionHqTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    // The store's own keys do not matter to the reports: any dataset sealed for HQ will do.
    ASSERT_NO_FATAL_FAILURE(StartHqApiServer(
        dir_, GetParam(), "tests",
        [](const HqIdentity& identity) {
          return attribution::AttributionBatches(identity.public_key());
        },
        &hq_));
  }

  HttpClientResponse Get(const std::string& target, const std::string& token) {
    auto response =
        HqApiGet({hq_.url, token, hq_.ca_pem, std::chrono::milliseconds(20'000)}, target);
    EXPECT_TRUE(response) << response.error().message();
    return response ? *response : HttpClientResponse{};
  }

  TempDir dir_;
  HqApiServer hq_;
};

}  // namespace kiosk_edge::testing
