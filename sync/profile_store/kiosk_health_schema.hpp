#pragma once

// Schema migration 7 of SQLite and 8 of PostgreSQL (sqlite_store.cpp, postgres_schema.cpp): each
// stream keeps the newest journal seq its kiosk reported with a batch (kJournalLastSeqHeader), so
// that kiosk health can show the kiosk's backlog as of its last batch (kiosk_health.hpp).

#include <string_view>

namespace kiosk_edge {

// The same text suits SQLite and PostgreSQL.
inline constexpr std::string_view kJournalLastSeqSql = R"sql(
ALTER TABLE streams ADD COLUMN journal_last_seq BIGINT;
)sql";

}  // namespace kiosk_edge
