#include <string_view>
#include <vector>

#include "sync/profile_store/profile_store_app.hpp"

int main(int argc, char** argv) {
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  return kiosk_edge::RunProfileStore(args);
}
