#pragma once

#include <filesystem>
#include <string>

#include "common/error.hpp"

namespace kiosk_edge {

// The kiosk id to run as: `configured` when set; otherwise the id kept in
// `state_dir`/kiosk-id, generated ("kiosk-" + 10 hex digits) and stored durably on first start.
Result<std::string> LoadOrCreateKioskId(const std::filesystem::path& state_dir,
                                        const std::string& configured);

// Creates `dir` (and parents) readable only by its owner, or checks that it is a directory.
Result<void> EnsurePrivateDirectory(const std::filesystem::path& dir);

}  // namespace kiosk_edge
