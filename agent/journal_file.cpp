#include "agent/journal_file.hpp"

#include <algorithm>
#include <array>
#include <ctime>
#include <system_error>

#include "common/log.hpp"
#include "common/random.hpp"

namespace kiosk_edge {
namespace {

constexpr std::string_view kQuarantineMarker = ".corrupt-";

// Events are append-only: the trigger makes an UPDATE of an event fail loudly (migration 5 lets
// erasure scrub a payload and nothing else). Rows leave only
// by shedding, and only once HQ has confirmed them (seq <= synced_seq).
constexpr std::array kMigrations = {
    Migration{1, R"sql(
      CREATE TABLE journal_meta (
        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
        kiosk_id TEXT NOT NULL,
        incarnation TEXT NOT NULL,
        created_at_ms INTEGER NOT NULL,
        last_seq INTEGER NOT NULL,
        synced_seq INTEGER NOT NULL CHECK (synced_seq <= last_seq)
      );
      CREATE TABLE events (
        seq INTEGER PRIMARY KEY,
        type TEXT NOT NULL,
        occurred_at_ms INTEGER NOT NULL,
        monotonic_ns INTEGER NOT NULL,
        boot_id TEXT NOT NULL,
        channel_id TEXT,
        payload_version INTEGER NOT NULL,
        payload TEXT NOT NULL
      );
      CREATE TRIGGER events_are_append_only BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'journal events are append-only'); END;
      CREATE TRIGGER events_leave_only_when_synced BEFORE DELETE ON events
        WHEN OLD.seq > (SELECT synced_seq FROM journal_meta)
        BEGIN SELECT RAISE(ABORT, 'unsynced journal events cannot be deleted'); END;
    )sql"},
    // Unique claims ("signup:<campaign>:<phone index>", "redeem:<voucher>"): taken in the
    // transaction that stores the claiming event, so two racing events yield exactly one
    // success. Claims outlive shedding: they are the memory of what must not happen twice.
    Migration{2, R"sql(
      CREATE TABLE claims (
        key TEXT PRIMARY KEY,
        seq INTEGER NOT NULL
      ) WITHOUT ROWID;
    )sql"},
    // Definition events (channels) are never shed: the kiosk rebuilds its configuration from
    // them at every start. This index finds them without reading the whole journal.
    Migration{3, R"sql(
      CREATE INDEX events_definitions ON events (seq)
        WHERE type IN ('channel_defined', 'channel_retired');
    )sql"},
    // Events HQ refused (bad payload, unknown schema): copied here with HQ's reason when the
    // batch holding them is acknowledged, so they outlive shedding and can be looked at.
    Migration{4, R"sql(
      CREATE TABLE dead_letters (
        seq INTEGER PRIMARY KEY,
        type TEXT NOT NULL,
        payload TEXT NOT NULL,
        reason TEXT NOT NULL,
        recorded_at_ms INTEGER NOT NULL
      );
    )sql"},
    // Erasure (sync/protocol/erasure.hpp) is the one rewrite of an event: the envelope stays and
    // the new payload must be marked erased. Anything else is still refused.
    Migration{5, R"sql(
      DROP TRIGGER events_are_append_only;
      CREATE TRIGGER events_are_append_only BEFORE UPDATE ON events
        WHEN NEW.seq IS NOT OLD.seq OR NEW.type IS NOT OLD.type
          OR NEW.occurred_at_ms IS NOT OLD.occurred_at_ms
          OR NEW.monotonic_ns IS NOT OLD.monotonic_ns OR NEW.boot_id IS NOT OLD.boot_id
          OR NEW.channel_id IS NOT OLD.channel_id
          OR NEW.payload_version IS NOT OLD.payload_version
          OR json_extract(NEW.payload, '$.erased') IS NOT 1
        BEGIN SELECT RAISE(ABORT, 'journal events are append-only'); END;
    )sql"},
};

std::string UtcStamp(const Clock& clock) {
  const std::time_t now = std::chrono::system_clock::to_time_t(clock.WallNow());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y%m%dT%H%M%SZ", &utc);
  return buffer;
}

// Moves the database and its WAL aside; the shared-memory index is rebuilt by SQLite, so it
// is simply removed.
Result<std::filesystem::path> Quarantine(const std::filesystem::path& path, const Clock& clock) {
  std::filesystem::path target = path;
  target += StrCat(kQuarantineMarker, UtcStamp(clock));
  for (int attempt = 1; std::filesystem::exists(target); ++attempt) {
    target = path;
    target += StrCat(kQuarantineMarker, UtcStamp(clock), "-", attempt);
  }
  std::error_code error;
  std::filesystem::rename(path, target, error);
  if (error) {
    return Error(ErrorKind::kIo,
                 StrCat("move corrupt journal ", path.string(), " aside: ", error.message()));
  }
  std::filesystem::path wal = path, moved_wal = target;
  wal += "-wal";
  moved_wal += "-wal";
  if (std::filesystem::exists(wal)) std::filesystem::rename(wal, moved_wal, error);
  std::filesystem::path shm = path;
  shm += "-shm";
  std::filesystem::remove(shm, error);
  return target;
}

Result<JournalMeta> ReadMeta(Database& db) {
  auto statement =
      db.Prepare("SELECT kiosk_id, incarnation, last_seq, synced_seq FROM journal_meta");
  if (!statement) return statement.error();
  auto row = statement->Step();
  if (!row) return row.error();
  if (!*row) return Error(ErrorKind::kNotFound, "journal has no identity row");
  return JournalMeta{statement->ColumnText(0), statement->ColumnText(1), statement->ColumnInt(2),
                     statement->ColumnInt(3)};
}

Result<JournalMeta> CreateMeta(Database& db, const std::string& kiosk_id, const Clock& clock) {
  auto incarnation = RandomHex(8);
  if (!incarnation) return incarnation.error();
  auto insert = db.Prepare(
      "INSERT INTO journal_meta (singleton, kiosk_id, incarnation, created_at_ms, last_seq, "
      "synced_seq) VALUES (1, ?, ?, ?, 0, 0)");
  if (!insert) return insert.error();
  const auto now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock.WallNow().time_since_epoch())
          .count();
  if (auto b = insert->Bind(1, kiosk_id); !b) return b.error();
  if (auto b = insert->Bind(2, *incarnation); !b) return b.error();
  if (auto b = insert->Bind(3, static_cast<std::int64_t>(now_ms)); !b) return b.error();
  if (auto ran = insert->Run(); !ran) return ran.error();
  return JournalMeta{kiosk_id, *incarnation, 0, 0};
}

// Opens, checks and migrates; any kCorrupt error means the file must be quarantined.
Result<OpenedJournalFile> OpenChecked(const std::filesystem::path& path,
                                      const std::string& kiosk_id, const Clock& clock) {
  auto db = Database::Open(path, DatabaseOptions{});
  if (!db) return db.error();
  if (auto sound = db->CheckIntegrity(); !sound) return sound.error();
  if (auto migrated = Migrate(*db, kMigrations); !migrated) return migrated.error();
  auto meta = ReadMeta(*db);
  if (!meta && meta.error().kind() == ErrorKind::kNotFound) meta = CreateMeta(*db, kiosk_id, clock);
  if (!meta) return meta.error();
  if (meta->kiosk_id != kiosk_id) {
    return Error(ErrorKind::kConfig,
                 StrCat(path.string(), " belongs to kiosk '", meta->kiosk_id,
                        "', not to the configured kiosk '", kiosk_id,
                        "'; sync or move that journal before changing the kiosk id"));
  }
  return OpenedJournalFile{std::move(*db), std::move(*meta), std::nullopt};
}

}  // namespace

Result<OpenedJournalFile> OpenJournalFile(const std::filesystem::path& path,
                                          const std::string& kiosk_id, const Clock& clock) {
  auto opened = OpenChecked(path, kiosk_id, clock);
  if (opened || opened.error().kind() != ErrorKind::kCorrupt) return opened;

  LogError("journal", "corrupt journal: ", opened.error().message());
  auto moved = Quarantine(path, clock);
  if (!moved) return moved.error();
  LogError("journal", "moved the corrupt journal to ", moved->string(),
           "; starting a new incarnation");
  opened = OpenChecked(path, kiosk_id, clock);
  if (opened) opened->quarantined_to = *moved;
  return opened;
}

Result<Database> OpenJournalFileForReading(const std::filesystem::path& path) {
  DatabaseOptions options;
  options.read_only = true;
  return Database::Open(path, options);
}

std::vector<std::filesystem::path> ListQuarantinedJournals(const std::filesystem::path& path) {
  std::vector<std::filesystem::path> found;
  const std::string prefix = path.filename().string() + std::string(kQuarantineMarker);
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(path.parent_path(), error)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with(prefix) && !name.ends_with("-wal")) found.push_back(entry.path());
  }
  std::sort(found.begin(), found.end());
  return found;
}

}  // namespace kiosk_edge
