#include "common/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "common/strings.hpp"

namespace kiosk_edge {
namespace {

Error IoError(const std::filesystem::path& path, int error_number) {
  return Error(ErrorKind::kIo, StrCat(path.string(), ": ", std::strerror(error_number)));
}

}  // namespace

Result<void> WriteFileAtomically(const std::filesystem::path& path, std::string_view contents,
                                 unsigned mode) {
  std::filesystem::path temporary = path;
  temporary += ".tmp";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                        static_cast<mode_t>(mode));
  if (fd < 0) return IoError(temporary, errno);
  std::size_t written = 0;
  while (written < contents.size()) {
    const ssize_t n = ::write(fd, contents.data() + written, contents.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int saved = errno;
      ::close(fd);
      return IoError(temporary, saved);
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const int saved = errno;
    ::close(fd);
    return IoError(temporary, saved);
  }
  ::close(fd);
  if (::rename(temporary.c_str(), path.c_str()) != 0) return IoError(path, errno);
  const std::filesystem::path folder = path.has_parent_path() ? path.parent_path() : ".";
  const int dir_fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
  return {};
}

Result<std::string> ReadSmallFile(const std::filesystem::path& path, std::size_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Error(ErrorKind::kNotFound, StrCat(path.string(), ": not found"));
    return IoError(path, errno);
  }
  std::string contents;
  char chunk[4096];
  while (true) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int saved = errno;
      ::close(fd);
      return IoError(path, saved);
    }
    if (n == 0) break;
    contents.append(chunk, static_cast<std::size_t>(n));
    if (contents.size() > max_bytes) {
      ::close(fd);
      return Error(ErrorKind::kIo, StrCat(path.string(), ": larger than ", max_bytes, " bytes"));
    }
  }
  ::close(fd);
  return contents;
}

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

}  // namespace kiosk_edge
