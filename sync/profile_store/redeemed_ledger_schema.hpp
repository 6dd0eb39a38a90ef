#pragma once

// The voucher ledger's positions (StoreBackend::RedeemedFleetVouchers), in the schema migrations
// of sqlite_store.cpp and postgres_schema.cpp.

#include <string_view>

namespace kiosk_edge {

// SQLite 12, PostgreSQL 15: each fleet-scope voucher's first redemption gets a ledger position,
// so that a kiosk can ask for the vouchers redeemed since the list it holds. Ingest gives the next
// positions (RecordRedemptions in sqlite_ingest.cpp and postgres_ingest.cpp); the vouchers
// redeemed before this migration are numbered here, in key order. The same text suits both.
inline constexpr std::string_view kRedeemedPositionsSql = R"sql(
ALTER TABLE vouchers ADD COLUMN redeemed_pos BIGINT;
UPDATE vouchers SET redeemed_pos = numbered.pos
  FROM (SELECT voucher_key, ROW_NUMBER() OVER (ORDER BY voucher_key) AS pos FROM vouchers
        WHERE scope = 'fleet' AND redemptions > 0) AS numbered
  WHERE vouchers.voucher_key = numbered.voucher_key;
CREATE UNIQUE INDEX vouchers_by_redeemed_pos ON vouchers (redeemed_pos)
  WHERE redeemed_pos IS NOT NULL;
)sql";

}  // namespace kiosk_edge
