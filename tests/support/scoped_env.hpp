#pragma once

// Sets (or, with nullopt, unsets) an environment variable for its lifetime, for the code under
// test and the children it starts, then restores what was there. Not for tests that run threads
// reading the environment meanwhile.

#include <stdlib.h>

#include <optional>
#include <string>

namespace kiosk_edge::testing {

class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::optional<std::string>& value) : name_(name) {
    if (const char* old = ::getenv(name)) old_ = old;
    Set(value);
  }
  ~ScopedEnv() { Set(old_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  void Set(const std::optional<std::string>& value) {
    if (value) {
      ::setenv(name_, value->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

  const char* name_;
  std::optional<std::string> old_;
};

}  // namespace kiosk_edge::testing
