#pragma once

// Kiosk health's columns (kiosk_health.hpp), in the schema migrations of sqlite_store.cpp and
// postgres_schema.cpp.

#include <string_view>

namespace kiosk_edge {

// SQLite 7, PostgreSQL 8: each stream keeps the newest journal seq its kiosk reported with a
// batch (kJournalLastSeqHeader), so that kiosk health can show the kiosk's backlog as of its
// last batch. The same text suits both.
inline constexpr std::string_view kJournalLastSeqSql = R"sql(
ALTER TABLE streams ADD COLUMN journal_last_seq BIGINT;
)sql";

// SQLite 10, PostgreSQL 13: and, as its latest batch arrived, the end of validity of the
// certificate the kiosk served phones with (kHttpsNotAfterHeader; NULL when it reported none)
// and of the client certificate it synced with.
inline constexpr std::string_view kCertificateEndsSql = R"sql(
ALTER TABLE streams ADD COLUMN https_not_after_ms BIGINT;
ALTER TABLE streams ADD COLUMN client_cert_not_after_ms BIGINT;
)sql";

// SQLite 11, PostgreSQL 14: when each registered kiosk last reached HQ, batches or not (its
// config pulls, StoreBackend::NoteContact), so that a kiosk gone silent shows.
inline constexpr std::string_view kLastContactSql = R"sql(
ALTER TABLE kiosks ADD COLUMN last_contact_ms BIGINT;
)sql";

// SQLite 13, PostgreSQL 16: the end of validity of the client certificate HQ issued each kiosk
// last (the only one it accepts), so that kiosk health knows it without waiting for a batch.
inline constexpr std::string_view kIssuedCertificateEndSql = R"sql(
ALTER TABLE kiosks ADD COLUMN cert_not_after_ms BIGINT;
)sql";

// SQLite 14, PostgreSQL 17: the client certificate a kiosk's current one renewed (POST
// /v1/sync/certificate), still accepted until it ends, in case the kiosk never got the answer;
// NULL when none (enrolling clears it). PostgreSQL's text columns are COLLATE "C".
inline constexpr std::string_view kRenewedCertificateSqlite = R"sql(
ALTER TABLE kiosks ADD COLUMN previous_cert_serial TEXT;
)sql";
inline constexpr std::string_view kRenewedCertificatePostgres = R"sql(
ALTER TABLE kiosks ADD COLUMN previous_cert_serial TEXT COLLATE "C";
)sql";

// SQLite 15, PostgreSQL 18: how far each kiosk's clock was off HQ's at its latest noted contact
// (its clock minus HQ's, from kKioskClockHeader; NULL before a kiosk that sends it pulled).
inline constexpr std::string_view kClockOffsetSql = R"sql(
ALTER TABLE kiosks ADD COLUMN clock_offset_ms BIGINT;
)sql";

// SQLite 19, PostgreSQL 22: when an instance last refused each kiosk's batch because it had sent
// its events of the day ([server] kiosk_events_per_day; StoreBackend::NoteEventsRefused), and
// until when it said it would, so that every instance's kiosk health shows it; NULL before the
// first refusal.
inline constexpr std::string_view kEventsRefusedSql = R"sql(
ALTER TABLE kiosks ADD COLUMN events_refused_at_ms BIGINT;
ALTER TABLE kiosks ADD COLUMN events_refused_until_ms BIGINT;
)sql";

}  // namespace kiosk_edge
