#pragma once

// Schema migration 3 of both backends (sqlite_store.cpp, postgres_schema.cpp): the indexes the
// attribution report's window conditions use (sqlite_attribution.cpp, postgres_attribution.cpp).
// Touches reuse version 1's device_links_by_profile and events_by_device. Each index costs ingest
// one more index entry per row it covers.

#include <string_view>

namespace kiosk_edge {

// The same text suits SQLite and PostgreSQL.
inline constexpr std::string_view kAttributionIndexesSql = R"sql(
CREATE INDEX events_by_type_time ON events (type, occurred_at_ms);
CREATE INDEX signups_by_time ON signups (occurred_at_ms);
CREATE INDEX vouchers_by_issue_time ON vouchers (issued_at_ms);
CREATE INDEX redemptions_by_time ON redemptions (occurred_at_ms);
)sql";

}  // namespace kiosk_edge
