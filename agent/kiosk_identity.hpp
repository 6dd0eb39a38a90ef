#pragma once

#include <filesystem>
#include <string>

#include "common/error.hpp"

namespace kiosk_edge {

// The kiosk id to run as: `configured` when set; otherwise the id kept in
// `state_dir`/kiosk-id, generated ("kiosk-" + 10 hex digits) and stored durably on first start.
Result<std::string> LoadOrCreateKioskId(const std::filesystem::path& state_dir,
                                        const std::string& configured);

}  // namespace kiosk_edge
