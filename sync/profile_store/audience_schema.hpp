#pragma once

// Schema migration 4 of both backends (sqlite_store.cpp, postgres_schema.cpp): consent
// withdrawals and the audit of audience exports (docs/attribution.md, "Audiences").
// - consent_withdrawals: each profile's latest withdrawal of marketing consent (a
//   consent_withdrawn event's occurred_at, or the time of HQ's withdraw-consent call). A profile
//   is in no audience while this is at or after its latest signup.
// - audience_exports: who exported which audience when, and how many shoppers it held.
// - vouchers_by_issue: finds the vouchers issued after a signup on its kiosk stream (the
//   audience's "has redeemed" test).

#include <string_view>

namespace kiosk_edge {

inline constexpr std::string_view kAudienceSchemaSqlite = R"sql(
CREATE TABLE consent_withdrawals (
  profile_key TEXT PRIMARY KEY, withdrawn_at_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE audience_exports (
  id INTEGER PRIMARY KEY, token_name TEXT NOT NULL, exported_at_ms INTEGER NOT NULL,
  audience TEXT NOT NULL, filter TEXT NOT NULL, row_count INTEGER NOT NULL);
CREATE INDEX vouchers_by_issue ON vouchers (signer, issued_incarnation, issued_seq);
)sql";

inline constexpr std::string_view kAudienceSchemaPostgres = R"sql(
CREATE TABLE consent_withdrawals (
  profile_key TEXT PRIMARY KEY, withdrawn_at_ms BIGINT NOT NULL);
CREATE TABLE audience_exports (
  id BIGSERIAL PRIMARY KEY, token_name TEXT NOT NULL, exported_at_ms BIGINT NOT NULL,
  audience TEXT NOT NULL, filter TEXT NOT NULL, row_count BIGINT NOT NULL);
CREATE INDEX vouchers_by_issue ON vouchers (signer, issued_incarnation, issued_seq);
)sql";

}  // namespace kiosk_edge
