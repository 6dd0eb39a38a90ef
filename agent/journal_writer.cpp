#include "agent/journal_writer.hpp"

#include "common/log.hpp"

namespace kiosk_edge {
namespace {

// A generous estimate of an event's footprint in the database: row header, envelope columns,
// index entry and page slack.
std::int64_t EstimatedBytes(const StampedDraft& stamped) {
  const EventDraft& draft = *stamped.draft;
  return 160 + static_cast<std::int64_t>(draft.type.size() + draft.payload_json.size() +
                                         (draft.channel_id ? draft.channel_id->size() : 0));
}

constexpr std::int64_t kShedChunkEvents = 2000;

}  // namespace

Result<JournalWriter> JournalWriter::Create(OpenedJournalFile file, std::uint64_t max_disk_bytes,
                                            std::string boot_id) {
  auto insert_event = file.db.Prepare(
      "INSERT INTO events (seq, type, occurred_at_ms, monotonic_ns, boot_id, channel_id, "
      "payload_version, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  if (!insert_event) return insert_event.error();
  auto update_last_seq = file.db.Prepare("UPDATE journal_meta SET last_seq = ?");
  if (!update_last_seq) return update_last_seq.error();
  auto used_bytes = file.db.Prepare(kUsedBytesQuery);
  if (!used_bytes) return used_bytes.error();
  auto insert_claim =
      file.db.Prepare("INSERT INTO claims (key, seq) VALUES (?, ?) ON CONFLICT (key) DO NOTHING");
  if (!insert_claim) return insert_claim.error();
  return JournalWriter(std::move(file.db), std::move(file.meta), max_disk_bytes, std::move(boot_id),
                       std::move(*insert_event), std::move(*update_last_seq),
                       std::move(*used_bytes), std::move(*insert_claim));
}

JournalWriter::JournalWriter(Database db, JournalMeta meta, std::uint64_t max_disk_bytes,
                             std::string boot_id, Statement insert_event, Statement update_last_seq,
                             Statement used_bytes, Statement insert_claim)
    : db_(std::move(db)),
      meta_(std::move(meta)),
      max_disk_bytes_(max_disk_bytes),
      boot_id_(std::move(boot_id)),
      insert_event_(std::move(insert_event)),
      update_last_seq_(std::move(update_last_seq)),
      used_bytes_(std::move(used_bytes)),
      insert_claim_(std::move(insert_claim)) {}

Result<std::int64_t> JournalWriter::UsedBytes() {
  std::int64_t used = 0;
  auto row = used_bytes_.ReadOne([&used](const Statement& bytes) { used = bytes.ColumnInt(0); });
  if (!row) return row.error();
  if (!*row) return Error(ErrorKind::kInternal, "page count query returned no row");
  return used;
}

std::vector<Result<std::int64_t>> JournalWriter::CommitBatch(std::span<const StampedDraft> batch) {
  auto fail_all = [&](const Error& error) {
    return std::vector<Result<std::int64_t>>(batch.size(), error);
  };
  auto transaction = Transaction::Begin(db_);
  if (!transaction) return fail_all(transaction.error().WithContext("journal"));
  std::int64_t last_seq = meta_.last_seq;
  auto outcomes = InsertBatch(batch, last_seq);
  if (!outcomes) return fail_all(outcomes.error().WithContext("journal"));
  if (last_seq != meta_.last_seq) {
    update_last_seq_.Reset();
    auto bound = update_last_seq_.Bind(1, last_seq);
    auto updated = bound ? update_last_seq_.Run() : bound;
    if (!updated) return fail_all(updated.error().WithContext("journal"));
  }
  if (auto committed = transaction->Commit(); !committed) {
    return fail_all(committed.error().WithContext("journal commit"));
  }
  meta_.last_seq = last_seq;
  return std::move(*outcomes);
}

Result<std::vector<Result<std::int64_t>>> JournalWriter::InsertBatch(
    std::span<const StampedDraft> batch, std::int64_t& last_seq) {
  std::int64_t needed = 0;
  for (const StampedDraft& stamped : batch) needed += EstimatedBytes(stamped);
  auto used = UsedBytes();
  if (!used) return used.error();
  const auto budget = static_cast<std::int64_t>(max_disk_bytes_);
  if (*used + needed > budget) {
    used = ShedSyncedFor(needed);
    if (!used) return used.error();
  }

  std::vector<Result<std::int64_t>> outcomes;
  outcomes.reserve(batch.size());
  std::int64_t projected = *used;
  std::size_t refused_for_space = 0;
  for (const StampedDraft& stamped : batch) {
    projected += EstimatedBytes(stamped);
    // Once one event does not fit, none after it is stored either: order is kept.
    if (refused_for_space > 0 || projected > budget) {
      ++refused_for_space;
      outcomes.emplace_back(Error(ErrorKind::kJournalFull,
                                  "the journal's disk budget is spent and every stored event "
                                  "still awaits sync"));
      continue;
    }
    const EventDraft& draft = *stamped.draft;
    if (draft.claim) {
      auto claimed = Claim(*draft.claim, last_seq + 1);
      if (!claimed) return claimed.error();
      if (!*claimed) {
        outcomes.emplace_back(Error(ErrorKind::kConflict, "the claim is held by an earlier event"));
        continue;
      }
    }
    Statement& insert = insert_event_;
    insert.Reset();
    Result<void> bound = insert.Bind(1, last_seq + 1);
    if (bound) bound = insert.Bind(2, draft.type);
    if (bound) bound = insert.Bind(3, stamped.occurred_at_ms);
    if (bound) bound = insert.Bind(4, stamped.monotonic_ns);
    if (bound) bound = insert.Bind(5, boot_id_);
    if (bound) bound = draft.channel_id ? insert.Bind(6, *draft.channel_id) : insert.BindNull(6);
    if (bound) bound = insert.Bind(7, std::int64_t{draft.payload_version});
    if (bound) bound = insert.Bind(8, draft.payload_json);
    if (bound) bound = insert.Run();
    if (!bound) return bound.error();
    outcomes.emplace_back(++last_seq);
  }
  if (refused_for_space > 0) {
    LogWarning("journal", "disk budget of ", max_disk_bytes_, " bytes spent with ",
               last_seq - meta_.synced_seq, " events waiting for sync; refused ", refused_for_space,
               " events");
  }
  return outcomes;
}

Result<bool> JournalWriter::Claim(const std::string& key, std::int64_t seq) {
  insert_claim_.Reset();
  Result<void> ran = insert_claim_.Bind(1, key);
  if (ran) ran = insert_claim_.Bind(2, seq);
  if (ran) ran = insert_claim_.Run();
  if (!ran) return ran.error();
  return db_.Changes() == 1;
}

Result<std::int64_t> JournalWriter::ShedSyncedFor(std::int64_t needed) {
  const auto budget = static_cast<std::int64_t>(max_disk_bytes_);
  auto shed = db_.Prepare(
      "DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE seq <= ? AND type NOT IN "
      "('channel_defined', 'channel_retired') ORDER BY seq LIMIT ?)");
  if (!shed) return shed.error();
  std::int64_t shed_total = 0;
  while (true) {
    auto used = UsedBytes();
    if (!used) return used.error();
    if (*used + needed <= budget) {
      if (shed_total > 0) LogInfo("journal", "shed ", shed_total, " synced events for space");
      return used;
    }
    shed->Reset();
    Result<void> ran = shed->Bind(1, meta_.synced_seq);
    if (ran) ran = shed->Bind(2, kShedChunkEvents);
    if (ran) ran = shed->Run();
    if (!ran) return ran.error();
    if (db_.Changes() == 0) return used;  // nothing synced is left to shed
    shed_total += db_.Changes();
  }
}

Result<void> JournalWriter::MarkSynced(std::int64_t high_water,
                                       const std::vector<RefusedEvent>& dead_letters,
                                       std::int64_t now_ms) {
  if (high_water > meta_.last_seq) {
    return Error(
        ErrorKind::kInvalidArgument,
        StrCat("sync mark ", high_water, " is beyond the last committed seq ", meta_.last_seq));
  }
  if (high_water <= meta_.synced_seq && dead_letters.empty()) return {};
  auto transaction = Transaction::Begin(db_);
  if (!transaction) return transaction.error();
  if (!dead_letters.empty()) {
    // A replayed acknowledgement must not fail: the first copy stays.
    auto copy = db_.Prepare(
        "INSERT OR IGNORE INTO dead_letters (seq, type, payload, reason, recorded_at_ms) "
        "SELECT seq, type, payload, ?, ? FROM events WHERE seq = ?");
    if (!copy) return copy.error();
    for (const RefusedEvent& letter : dead_letters) {
      if (letter.seq > high_water) {
        return Error(ErrorKind::kInvalidArgument,
                     StrCat("dead letter ", letter.seq, " is beyond the sync mark ", high_water));
      }
      Result<void> done = copy->Bind(1, letter.reason);
      if (done) done = copy->Bind(2, now_ms);
      if (done) done = copy->Bind(3, letter.seq);
      if (done) done = copy->Run();
      if (!done) return done.error();
      copy->Reset();
    }
  }
  if (high_water > meta_.synced_seq) {
    auto update = db_.Prepare("UPDATE journal_meta SET synced_seq = ?");
    if (!update) return update.error();
    if (auto bound = update->Bind(1, high_water); !bound) return bound.error();
    if (auto ran = update->Run(); !ran) return ran.error();
  }
  if (auto committed = transaction->Commit(); !committed) return committed.error();
  meta_.synced_seq = std::max(meta_.synced_seq, high_water);
  return {};
}

}  // namespace kiosk_edge
