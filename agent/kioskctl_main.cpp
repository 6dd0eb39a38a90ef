#include <iostream>
#include <string_view>
#include <vector>

#include "agent/kioskctl.hpp"

int main(int argc, char** argv) {
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  return kiosk_edge::RunKioskctl(args, std::cout, std::cerr);
}
