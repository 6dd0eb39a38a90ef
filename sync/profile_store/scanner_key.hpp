#pragma once

// The 64-bit key PostgresStore's events carry for a scan's (kiosk, device) pair: what unique
// scanners count and what touches look scans up by (index events_by_scanner). Computed by
// profile-store at ingest and, for a stored device link, by PostgreSQL in a query; both must
// give the same number, so both are defined here. Not a security digest: MD5 is what migration 7
// computed for the rows stored before migration 9, and what PostgreSQL has built in.

#include <cstdint>
#include <string>
#include <string_view>

namespace kiosk_edge {

// The first 64 bits of MD5(kiosk_id + " " + device_id), big-endian, as a signed integer.
std::int64_t ScannerKey(std::string_view kiosk_id, std::string_view device_id);

// The same key in PostgreSQL's SQL, of two text expressions (column names).
std::string ScannerKeySql(std::string_view kiosk_id, std::string_view device_id);

// A join condition: the scans of table alias `scans` (events) by the device of alias `link`
// (a table with kiosk_id and device_id), through index events_by_scanner. The ids are compared
// too: two devices may share a key.
std::string ScansOfDeviceSql(std::string_view scans, std::string_view link);

}  // namespace kiosk_edge
