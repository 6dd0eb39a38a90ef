#pragma once

#include <filesystem>
#include <string>

#include "common/error.hpp"

namespace kiosk_edge {

// Replaces `path` with `contents` so that a crash leaves either the old file or the whole new
// one: write a temporary file with `mode`, fsync it, rename it over `path`, fsync the folder.
Result<void> WriteFileAtomically(const std::filesystem::path& path, std::string_view contents,
                                 unsigned mode = 0600);

// The whole file; kNotFound when it does not exist, kIo when it cannot be read or is larger
// than `max_bytes`.
Result<std::string> ReadSmallFile(const std::filesystem::path& path,
                                  std::size_t max_bytes = 1 << 20);

// Creates `dir` (and parents) readable only by its owner, or checks that it is a directory.
Result<void> EnsurePrivateDirectory(const std::filesystem::path& dir);

}  // namespace kiosk_edge
