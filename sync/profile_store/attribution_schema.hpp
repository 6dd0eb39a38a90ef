#pragma once

// Schema migrations 3 and 6 of both backends and 7 and 9 of PostgreSQL (sqlite_store.cpp,
// postgres_schema.cpp): what the attribution report reads (sqlite_attribution.cpp,
// postgres_attribution.cpp). Touches reuse
// version 1's device_links_by_profile, and find scans by device through events_by_scanner
// (PostgreSQL, version 9) or the device scan index (SQLite, version 8: device_scan_index.hpp).
// Each index costs ingest one more index entry per row it covers.

#include <string_view>

namespace kiosk_edge {

// The same text suits SQLite and PostgreSQL.
inline constexpr std::string_view kAttributionIndexesSql = R"sql(
CREATE INDEX events_by_type_time ON events (type, occurred_at_ms);
CREATE INDEX signups_by_time ON signups (occurred_at_ms);
CREATE INDEX vouchers_by_issue_time ON vouchers (issued_at_ms);
CREATE INDEX redemptions_by_time ON redemptions (occurred_at_ms);
)sql";

// Version 6, both backends: each voucher's signup (VoucherFact::signup), found once at ingest
// (the kiosk journals the voucher right after its signup, so the signup is stored first) instead
// of once per voucher in every report. Existing vouchers get theirs here.
inline constexpr std::string_view kVoucherSignupSql = R"sql(
ALTER TABLE vouchers ADD COLUMN signup_seq BIGINT;
UPDATE vouchers SET signup_seq = (
  SELECT s.seq FROM signups s WHERE s.kiosk_id = vouchers.signer
  AND s.incarnation = vouchers.issued_incarnation AND s.seq < vouchers.issued_seq
  AND s.campaign = vouchers.campaign AND s.channel_id IS NOT DISTINCT FROM vouchers.channel_id
  ORDER BY s.seq DESC LIMIT 1)
WHERE issued_seq IS NOT NULL;
)sql";

// Version 7, PostgreSQL only: the scan figures read one narrow index instead of every scan's
// row and payload. scan_flags: 1 = attributable (valid, with a channel), 2 = a verified presence
// code. scanner_key: a 64-bit digest of (kiosk, device), what unique scanners counts (NULL
// without a device); two scanners share one with a probability of about n^2 / 2^65 (1 in 500,000
// at 6 million scanners). Computed by PostgreSQL for every stored or updated row; the ALTER
// rewrites the events table once (minutes at 10 million events).
inline constexpr std::string_view kScanFactsPostgresSql = R"sql(
ALTER TABLE events
  ADD COLUMN scan_flags SMALLINT GENERATED ALWAYS AS (CASE WHEN type = 'scan' THEN
    (CASE WHEN channel_id IS NOT NULL AND payload->'valid' = 'true'::jsonb THEN 1 ELSE 0 END) +
    (CASE WHEN payload->>'code' = 'presence' AND payload->>'presence' = 'verified'
     THEN 2 ELSE 0 END) END) STORED,
  ADD COLUMN scanner_key BIGINT GENERATED ALWAYS AS (CASE WHEN type = 'scan' THEN
    ('x' || left(md5(kiosk_id || ' ' || device_id), 16))::bit(64)::bigint END) STORED;
CREATE INDEX scans_by_time ON events (occurred_at_ms)
  INCLUDE (channel_id, scan_flags, scanner_key) WHERE type = 'scan';
DROP INDEX events_by_type_time;
CREATE INDEX events_by_type_time ON events (type, occurred_at_ms) WHERE type <> 'scan';
)sql";

// Version 9, PostgreSQL only: profile-store computes scan_flags and scanner_key at ingest
// (PreparedEvent's ScanFacts, scanner_key.hpp) instead of PostgreSQL, which cost it a jsonb parse
// and an MD5 per stored event; the stored values stay. Touches look scans up by scanner_key, an
// 8-byte key, instead of (kiosk_id, device_id), which cost every stored event with a device a
// random insert into an index three times as wide.
inline constexpr std::string_view kScanFactsFromIngestSql = R"sql(
ALTER TABLE events ALTER COLUMN scan_flags DROP EXPRESSION,
  ALTER COLUMN scanner_key DROP EXPRESSION;
CREATE INDEX events_by_scanner ON events (scanner_key) WHERE scanner_key IS NOT NULL;
DROP INDEX events_by_device;
)sql";

}  // namespace kiosk_edge
