#include "agent/kiosk_identity.hpp"

#include "common/files.hpp"
#include "common/log.hpp"
#include "common/random.hpp"

namespace kiosk_edge {

Result<std::string> LoadOrCreateKioskId(const std::filesystem::path& state_dir,
                                        const std::string& configured) {
  if (!configured.empty()) return configured;
  const std::filesystem::path file = state_dir / "kiosk-id";
  auto stored = ReadSmallFile(file, 256);
  if (stored) {
    std::string id = stored->substr(0, stored->find('\n'));
    if (id.empty()) return Error(ErrorKind::kCorrupt, StrCat(file.string(), " is empty"));
    return id;
  }
  if (stored.error().kind() != ErrorKind::kNotFound) return stored.error();
  auto suffix = RandomHex(5);
  if (!suffix) return suffix.error();
  std::string id = "kiosk-" + *suffix;
  if (auto written = WriteFileAtomically(file, id + "\n"); !written) return written.error();
  LogInfo("agent", "generated kiosk id ", id, " (kept in ", file.string(), ")");
  return id;
}

}  // namespace kiosk_edge
