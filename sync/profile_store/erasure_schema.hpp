#pragma once

// Schema migration 5 of both backends (sqlite_store.cpp, postgres_schema.cpp): erasure and
// revoked vouchers (docs/attribution.md, "Erasure").
//
//   erased_subjects   tombstones: the profile keys (HQ subject ids) HQ has erased, so that ingest
//                     does not re-create them from late events
//   erased_events     the signup events of erased subjects (identities only), which kiosks must
//                     scrub: listed in the config bundle and in batch answers
//   revoked_vouchers  "<kiosk id>/<voucher id>" HQ revoked (profile-store revoke-voucher): the
//                     config bundle's revoked_vouchers
//
// Migration 9 (SQLite) and 11 (PostgreSQL) add what erasure needs to find a shopper's
// consent_withdrawn events, whose sealed phone names them as a signup's does:
//
//   withdrawal_events  the profile key each stored consent_withdrawn event names (filled at
//                      ingest; events stored before the migration are added when the store
//                      opens, by the backends' BackfillWithdrawalEvents)

#include <string_view>

namespace kiosk_edge {

// The same text suits SQLite and PostgreSQL.
inline constexpr std::string_view kErasureSchemaSql = R"sql(
CREATE TABLE erased_subjects (
  profile_key TEXT PRIMARY KEY, erased_at_ms BIGINT NOT NULL);
CREATE TABLE erased_events (
  kiosk_id TEXT NOT NULL, incarnation TEXT NOT NULL, seq BIGINT NOT NULL,
  erased_at_ms BIGINT NOT NULL, PRIMARY KEY (kiosk_id, incarnation, seq));
CREATE TABLE revoked_vouchers (
  voucher_key TEXT PRIMARY KEY, revoked_at_ms BIGINT NOT NULL);
)sql";

inline constexpr std::string_view kWithdrawalEventsSql = R"sql(
CREATE TABLE withdrawal_events (
  kiosk_id TEXT NOT NULL, incarnation TEXT NOT NULL, seq BIGINT NOT NULL,
  profile_key TEXT NOT NULL, PRIMARY KEY (kiosk_id, incarnation, seq));
CREATE INDEX withdrawal_events_by_profile ON withdrawal_events (profile_key);
)sql";

}  // namespace kiosk_edge
