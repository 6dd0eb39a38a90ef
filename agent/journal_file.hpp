#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/error.hpp"
#include "common/sqlite.hpp"

namespace kiosk_edge {

// The journal's identity and cursors, one row in the database.
struct JournalMeta {
  std::string kiosk_id;
  std::string incarnation;      // random; new whenever the journal is created from scratch
  std::int64_t last_seq = 0;    // highest seq committed
  std::int64_t synced_seq = 0;  // high-water mark HQ has confirmed
};

struct OpenedJournalFile {
  Database db;
  JournalMeta meta;
  // Set when the file found at the path was corrupt and moved here before a fresh start.
  std::optional<std::filesystem::path> quarantined_to;
};

// Opens the journal database at `path` for writing, creating it (with a new incarnation for
// `kiosk_id`) when absent. A file that fails PRAGMA quick_check, or is not a database, is moved
// aside with its WAL as "<name>.corrupt-<UTC time>" and a new incarnation begins. A journal
// that belongs to another kiosk id is refused (kConfig): its unsynced events would be
// attributed to the wrong kiosk.
Result<OpenedJournalFile> OpenJournalFile(const std::filesystem::path& path,
                                          const std::string& kiosk_id, const Clock& clock);

// Opens an existing journal read-only (for checks and tools), without quarantining anything.
Result<Database> OpenJournalFileForReading(const std::filesystem::path& path);

// The files OpenJournalFile moved aside next to `path`, oldest first.
std::vector<std::filesystem::path> ListQuarantinedJournals(const std::filesystem::path& path);

}  // namespace kiosk_edge
