#pragma once

// A real profile-store process for tests of HQ's API, on either storage backend: its store is
// seeded before it starts, with the batches `seed` makes for HQ's own identity, and its config
// holds one API token.
//
//   testing::HqApiServer hq_;
//   ASSERT_NO_FATAL_FAILURE(testing::StartHqApiServer(dir_, GetParam(), "tests", seed, &hq_));

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/fake_clock.hpp"
#include "common/files.hpp"
#include "support/hq_database.hpp"
#include "support/running_profile_store.hpp"
#include "support/temp_dir.hpp"
#include "sync/profile_store/hq_api_tokens.hpp"
#include "sync/profile_store/hq_state.hpp"
#include "sync/profile_store/identity.hpp"

namespace kiosk_edge::testing {

struct HqApiServer {
  std::unique_ptr<HqDatabase> storage;
  std::unique_ptr<RunningProfileStore> process;
  std::string token;
  std::filesystem::path token_file;  // the token and a newline (the CLI's --token-file)
  std::string url;                   // https://127.0.0.1:PORT
  std::string ca_pem;                // HQ's CA, which signed its server certificate
};

using HqSeed = std::function<std::vector<EventBatch>(const HqIdentity&)>;

// Seeds a store on `backend` (state folder `dir`/hq) with `seed`'s batches (each must be stored
// whole) and starts profile-store on it with a token named `token_name`, of every scope. Fails the
// current test when anything does not work.
inline void StartHqApiServer(TempDir& dir, Backend backend, const std::string& token_name,
                             const HqSeed& seed, HqApiServer* server) {
  const std::filesystem::path state = dir / "hq";
  std::filesystem::create_directories(state);
  server->storage = std::make_unique<HqDatabase>(backend, state);
  ASSERT_TRUE(server->storage->ok()) << server->storage->error();
  {
    auto keys = LoadOrCreateHqState(state, {"localhost", "127.0.0.1"});
    ASSERT_TRUE(keys) << keys.error().message();
    auto identity = HqIdentity::Create(keys->pii_private_key, keys->index_key);
    ASSERT_TRUE(identity) << identity.error().message();
    FakeClock clock;
    auto store = server->storage->OpenStore(*identity, clock);
    ASSERT_TRUE(store) << store.error().message();
    for (const EventBatch& batch : seed(*identity)) {
      auto answer = (*store)->Ingest(batch);
      ASSERT_TRUE(answer) << answer.error().message();
      ASSERT_TRUE(answer->rejected.empty()) << answer->rejected[0].reason;
    }
  }
  auto token = NewHqApiToken();
  ASSERT_TRUE(token);
  server->token = *token;
  server->token_file = dir.Write("token", server->token + "\n");
  const auto config = dir.Write("profile-store.toml",
                                StrCat(HqApiTokenConfigLines(token_name, *token, kEveryHqApiScope),
                                       "\n", server->storage->ConfigToml()));
  server->process = std::make_unique<RunningProfileStore>(state, 0, config);
  ASSERT_NE(server->process->port(), 0) << "profile-store did not start";
  server->url = "https://127.0.0.1:" + std::to_string(server->process->port());
  auto ca = ReadSmallFile(server->process->ca_file());
  ASSERT_TRUE(ca) << ca.error().message();
  server->ca_pem = *ca;
}

}  // namespace kiosk_edge::testing
