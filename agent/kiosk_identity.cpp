#include "agent/kiosk_identity.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <system_error>

#include "common/log.hpp"
#include "common/random.hpp"

namespace kiosk_edge {
namespace {

// Writes `text` to `path` so that a crash leaves either the old file or the complete new one.
Result<void> WriteFileDurably(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::path temporary = path;
  temporary += ".tmp";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Error(ErrorKind::kIo, StrCat(temporary.string(), ": ", std::strerror(errno)));
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                       ::fsync(fd) == 0;
  const int saved_errno = errno;
  ::close(fd);
  if (!written) {
    return Error(ErrorKind::kIo, StrCat(temporary.string(), ": ", std::strerror(saved_errno)));
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) return Error(ErrorKind::kIo, StrCat(path.string(), ": ", error.message()));
  const int dir_fd = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
  return {};
}

}  // namespace

Result<void> EnsurePrivateDirectory(const std::filesystem::path& dir) {
  std::error_code error;
  if (std::filesystem::is_directory(dir, error)) return {};
  std::filesystem::create_directories(dir, error);
  if (error) {
    return Error(ErrorKind::kIo,
                 StrCat("create state folder ", dir.string(), ": ", error.message()));
  }
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace, error);
  return {};
}

Result<std::string> LoadOrCreateKioskId(const std::filesystem::path& state_dir,
                                        const std::string& configured) {
  if (!configured.empty()) return configured;
  const std::filesystem::path file = state_dir / "kiosk-id";
  if (std::ifstream in(file); in) {
    std::string id;
    std::getline(in, id);
    if (id.empty()) return Error(ErrorKind::kCorrupt, StrCat(file.string(), " is empty"));
    return id;
  }
  auto suffix = RandomHex(5);
  if (!suffix) return suffix.error();
  std::string id = "kiosk-" + *suffix;
  if (auto stored = WriteFileDurably(file, id + "\n"); !stored) return stored.error();
  LogInfo("agent", "generated kiosk id ", id, " (kept in ", file.string(), ")");
  return id;
}

}  // namespace kiosk_edge
