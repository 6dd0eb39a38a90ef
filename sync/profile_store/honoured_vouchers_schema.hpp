#pragma once

// Honoured vouchers' column (StoreBackend::HonourVouchersOf), in the schema migrations of
// sqlite_store.cpp and postgres_schema.cpp.

#include <string_view>

namespace kiosk_edge {

// SQLite 18, PostgreSQL 21: for a revoked kiosk, the HQ time (Unix ms) before which HQ received
// the issues of the vouchers kiosks keep accepting (the config bundle's honoured_vouchers); NULL:
// none. The same text suits both.
inline constexpr std::string_view kHonourCutoffSql = R"sql(
ALTER TABLE kiosks ADD COLUMN honour_received_before_ms BIGINT;
)sql";

}  // namespace kiosk_edge
